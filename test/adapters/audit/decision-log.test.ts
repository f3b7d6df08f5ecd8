import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDecisionReport } from '../../../src/admission/decision-report.js';
import {
  h2,
  makeCerts,
  postJson,
  reviewFixture,
  startDemoApp,
  type Running,
  type TestCerts,
} from '../http/support.js';

let certs: TestCerts;
let server: Running;

beforeAll(async () => {
  certs = await makeCerts();
  server = await startDemoApp(certs);
});
afterAll(async () => server.app.close());

function decisions(): Record<string, unknown>[] {
  return server.logLines().filter((line) => line['msg'] === 'admission decision');
}

const SECRET_VALUE = 'cGFzc3dvcmQtZG8tbm90LWxvZw==';

describe('the decision log', () => {
  it('writes one line per decision with the documented fields', async () => {
    const body = await reviewFixture('storefront-deployment-review.json');
    await h2(server.url, '/validate', {
      body: JSON.stringify({ ...body, request: { ...body.request, dryRun: true } }),
      ca: certs.caPem,
    });
    const line = decisions().find((entry) => entry['uid'] === body.request.uid);
    expect(line).toBeDefined();
    const { time, pid, hostname, level, ...fields } = line as Record<string, unknown>;
    expect([typeof time, typeof pid, typeof hostname, level]).toEqual(['number', 'number', 'string', 30]);
    expect(typeof fields['durationMs']).toBe('number');
    expect({ ...fields, durationMs: 0 }).toEqual({
      msg: 'admission decision',
      decision: 'deny',
      uid: body.request.uid,
      operation: 'CREATE',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: 'deployments',
      namespace: 'ztgate-demo',
      name: 'storefront',
      user: { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] },
      dryRun: true,
      mode: 'enforce',
      violations: [
        {
          rule: 'dedicated-service-account',
          path: 'spec.template.spec.serviceAccountName',
          message: expect.any(String),
          fix: expect.stringContaining('kind: ServiceAccount'),
        },
        {
          rule: 'allow-list-policy',
          path: 'spec.template.metadata.labels',
          message: expect.any(String),
          fix: expect.stringContaining('kind: NetworkPolicy'),
        },
      ],
      durationMs: 0,
      webhook: 'validate',
    });
  });

  it('never logs an env value or Secret data', async () => {
    const pod = await reviewFixture('catalog-pod-review.json');
    await postJson(server.url, '/mutate', pod, certs.caPem);
    await postJson(server.url, '/validate', pod, certs.caPem);
    const secret = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'secret-1',
        kind: { group: '', version: 'v1', kind: 'Secret' },
        resource: { group: '', version: 'v1', resource: 'secrets' },
        operation: 'CREATE',
        namespace: 'ztgate-demo',
        name: 'db',
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'db' },
          data: { password: SECRET_VALUE },
          stringData: { token: 'plain-token-xyz' },
        },
        userInfo: { username: 'alice' },
      },
    };
    await postJson(server.url, '/validate', secret, certs.caPem);
    const raw = server.rawLog();
    expect(decisions().map((line) => line['uid'])).toEqual(
      expect.arrayContaining([pod.request.uid, 'secret-1']),
    );
    expect(raw).not.toContain('do-not-log-me-0xC0FFEE');
    expect(raw).not.toContain(SECRET_VALUE);
    expect(raw).not.toContain('plain-token-xyz');
    expect(decisions().find((line) => line['uid'] === 'secret-1')).toMatchObject({
      decision: 'allow',
      violations: [],
    });
  });

  it('redacts objects even when a log call passes one', () => {
    server.app.log.info(
      { object: { data: { password: SECRET_VALUE } }, request: { object: { env: 'x' } } },
      'careless',
    );
    const line = server.logLines().find((entry) => entry['msg'] === 'careless');
    expect(line).toMatchObject({ object: '[redacted]', request: { object: '[redacted]' } });
    expect(server.rawLog()).not.toContain(SECRET_VALUE);
  });

  it('is what ztgate report reads', () => {
    const report = buildDecisionReport(server.rawLog().split('\n'));
    expect(report.decisions + report.dryRun.decisions).toBe(decisions().length);
    expect(report.denials.byNamespace).toContainEqual({ key: 'ztgate-demo', count: report.denied });
    // The storefront denial was a dry run: counted apart, and in no breakdown.
    expect(report.dryRun.denied).toBeGreaterThan(0);
    expect(report.denials.byRule.map((row) => row.key)).toContain('dedicated-service-account');
    const storefront = report.events.find((event) => event.name === 'storefront');
    expect(storefront).toMatchObject({ user: 'alice@example.com', dryRun: true, decision: 'deny' });
    // The fix travels in the log, so the report can show an auditor what each refusal needs.
    expect(storefront?.violations.map((violation) => violation.fix)).toEqual([
      expect.stringContaining('kind: ServiceAccount'),
      expect.stringContaining('kind: NetworkPolicy'),
    ]);
  });
});
