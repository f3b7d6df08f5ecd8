import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONTAINERS } from '../../../src/policy/pod-spec/typed.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import { makeCerts, postJson, reviewFixture, startDemoApp, type Running, type TestCerts } from './support.js';

// Issue 16 (minor): /mutate threw a TypeError on an ownerReferences that was not a list or held
// null. Every malformed ownerReferences is refused as invalid-object with its path, on both
// routes, with no patch and no internal error; the API server would refuse the object anyway.
let certs: TestCerts;
let server: Running;

beforeAll(async () => {
  certs = await makeCerts();
  // The builtin injector: /mutate builds ztgate's patch only under it.
  server = await startDemoApp(certs, BUILTIN_CONFIG);
});
afterAll(async () => server.app.close());

const rs = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'catalog-7c9d8f',
  uid: 'u-1',
  controller: true,
};

async function podReview(ownerReferences: unknown): ReturnType<typeof reviewFixture> {
  const body = await reviewFixture('catalog-pod-review.json');
  body.request.object.metadata.ownerReferences = ownerReferences;
  return body;
}

describe('a malformed ownerReferences over TLS', () => {
  it.each([
    ['a string', 'ReplicaSet/catalog', 'metadata.ownerReferences'],
    ['an object', { kind: 'ReplicaSet' }, 'metadata.ownerReferences'],
    ['a null entry', [null], 'metadata.ownerReferences[0]'],
    ['a number entry', [rs, 3], 'metadata.ownerReferences[1]'],
    ['controller as a string', [{ ...rs, controller: 'true' }], 'metadata.ownerReferences[0].controller'],
    ['no uid', [{ ...rs, uid: undefined }], 'metadata.ownerReferences[0].uid'],
    ['two controllers', [rs, { ...rs, name: 'other' }], 'metadata.ownerReferences'],
  ])('%s: invalid-object on /mutate and /validate, no patch, no error logged', async (_name, refs, path) => {
    const body = await podReview(refs);
    for (const route of ['/mutate', '/validate']) {
      const answer = await postJson(server.url, route, body, certs.caPem);
      expect(answer.status).toBe(200);
      const response = answer.json().response;
      expect(response).toMatchObject({ uid: body.request.uid, allowed: false, status: { code: 403 } });
      expect(response.patch).toBeUndefined();
      const lines = String(response.status.message).split('\n');
      expect(lines.some((line: string) => line.startsWith(`[invalid-object] ${path}: `))).toBe(true);
    }
    const errors = server.logLines().filter((line) => Number(line['level']) >= 50);
    expect(errors).toEqual([]);
    expect(server.rawLog()).not.toContain('TypeError');
  });

  it('still injects a pod whose ownerReferences are well formed', async () => {
    const answer = await postJson(server.url, '/mutate', await podReview([rs]), certs.caPem);
    expect(answer.json().response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
  });
});

describe('a DELETE review the API server never sends', () => {
  const review = (request: Record<string, unknown>) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-delete',
      kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
      resource: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
      operation: 'DELETE',
      namespace: 'ztgate-demo',
      name: 'ztgate-default-deny',
      userInfo: { username: 'mallory', groups: ['dev'] },
      ...request,
    },
  });
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'ztgate-default-deny', namespace: 'ztgate-demo' },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };

  it.each([
    [
      'oldObject null, object set',
      { object: policy, oldObject: null },
      'request.object must be null for DELETE',
    ],
    ['neither', { object: null, oldObject: null }, 'request.oldObject must be set for DELETE'],
  ])('%s: 400, never allowed', async (_name, request, message) => {
    for (const route of ['/validate', '/mutate']) {
      const answer = await postJson(server.url, route, review(request), certs.caPem);
      expect(answer.status).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'ZT_ERR_INVALID_REVIEW' });
      expect(answer.json().message).toContain(message);
    }
  });

  it('judges the DELETE the API server does send (oldObject set): the default deny is protected', async () => {
    const answer = await postJson(
      server.url,
      '/validate',
      review({ object: null, oldObject: policy }),
      certs.caPem,
    );
    expect(answer.json().response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(answer.json().response.status.message).toContain('[default-deny-protected]');
  });
});

// Every rule reads every container, and Kubernetes sets no limit: 300,000 containers held the
// event loop 170 ms on /mutate (npm run fuzz). Past MAX_CONTAINERS the pod is refused at once.
describe('a pod with more containers than ztgate judges', () => {
  async function withContainers(count: number): ReturnType<typeof reviewFixture> {
    const body = await reviewFixture('catalog-pod-review.json');
    const [first] = body.request.object.spec.containers;
    body.request.object.spec.containers = Array.from({ length: count }, (_, i) => ({
      ...first,
      name: `c${i}`,
    }));
    return body;
  }

  it('501: invalid-object at spec.containers on /mutate and /validate, no patch', async () => {
    const body = await withContainers(MAX_CONTAINERS + 1);
    for (const route of ['/mutate', '/validate']) {
      const response = (await postJson(server.url, route, body, certs.caPem)).json().response;
      expect(response).toMatchObject({ allowed: false, status: { code: 403 } });
      expect(response.patch).toBeUndefined();
      expect(String(response.status.message)).toContain(
        `[invalid-object] spec.containers: the pod lists ${MAX_CONTAINERS + 1} containers`,
      );
    }
  });

  it('500: not refused for its size', async () => {
    const body = await withContainers(MAX_CONTAINERS);
    const answer = await postJson(server.url, '/mutate', body, certs.caPem);
    expect(answer.json().response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
    const validate = (await postJson(server.url, '/validate', body, certs.caPem)).json().response;
    expect(String(validate.status?.message ?? '')).not.toContain('containers (init, app and ephemeral)');
  });
});
