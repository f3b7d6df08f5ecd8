import { describe, expect, it } from 'vitest';
import type { Violation } from '../../../src/policy/types.js';
import { EMPTY_VIEW, fixedSource, h1, makeCerts, postJson, startApp } from './support.js';

const missing: Violation = {
  rule: 'dedicated-service-account',
  path: 'spec.template.spec.serviceAccountName',
  message: 'ServiceAccount shop/web does not exist',
  fix: 'create it',
  missing: { kind: 'ServiceAccount', namespace: 'shop', name: 'web' },
};

const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'slow-1',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    operation: 'CREATE',
    namespace: 'shop',
    object: { kind: 'Deployment', metadata: { name: 'web' } },
  },
};

describe('graceful close', () => {
  it('finishes an in-flight request, then refuses new connections', async () => {
    const certs = await makeCerts();
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    // A slow live confirmation keeps the request in flight while the server closes.
    const server = await startApp(certs, {
      viewSource: fixedSource(EMPTY_VIEW, {
        confirm: async () => {
          entered();
          await new Promise((resolve) => setTimeout(resolve, 500));
          return EMPTY_VIEW;
        },
      }),
      evaluate: () => ({
        allowed: false,
        skipped: false,
        mode: 'enforce',
        violations: [missing],
        warnings: [],
      }),
    });
    const pending = postJson(server.url, '/validate', review, certs.caPem);
    await inFlight;
    const closed = server.app.close();
    const answer = await pending;
    await closed;
    expect(answer.status).toBe(200);
    expect(answer.json().response).toMatchObject({ uid: 'slow-1', allowed: false, status: { code: 403 } });
    await expect(h1(server.url, '/healthz', { ca: certs.caPem })).rejects.toThrow(/ECONNREFUSED/);
  });
});
