/**
 * A view older than view.staleAfterSeconds (a watch broken that long): /readyz fails with the
 * reason, and /validate denies with a message that says why, instead of judging by a view that
 * may allow what the cluster no longer permits. /mutate, which reads no view, still injects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateDirSource } from '../../../src/adapters/state-dir-source.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import {
  fixedSource,
  h1,
  makeCerts,
  postJson,
  reviewFixture,
  startApp,
  type Running,
  type TestCerts,
} from './support.js';

const REASON = 'watch of v1/namespaces broken for 42s (limit 30s)';
let certs: TestCerts;
let server: Running;

beforeAll(async () => {
  certs = await makeCerts();
  const demo = createStateDirSource({ dir: 'manifests/demo', config: DEFAULT_CONFIG });
  await demo.start();
  const view = demo.current();
  // ztgate's own injector (mesh.provider builtin): under a mesh's injector /mutate injects nothing.
  server = await startApp(certs, {
    config: BUILTIN_CONFIG,
    viewSource: fixedSource(view, { isReady: () => false, notReadyReason: () => REASON }),
  });
});
afterAll(async () => server.app.close());

describe('a stale cluster view', () => {
  it('fails /readyz with the reason', async () => {
    const answer = await h1(server.url, '/readyz', { ca: certs.caPem });
    expect(answer.status).toBe(503);
    expect(answer.json()).toEqual({ status: 'not ready', reason: REASON });
  });

  it('denies /validate with a clear message, even what the view would allow', async () => {
    const body = await reviewFixture('storefront-deployment-review.json');
    body.request.object.spec.template.spec.serviceAccountName = 'catalog';
    const answer = await postJson(server.url, '/validate', body, certs.caPem);
    expect(answer.json().response).toEqual({
      uid: body.request.uid,
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message: `ztgate's cluster view is stale (${REASON}); ztgate denies until it reaches the API server again - retry in a moment`,
      },
    });
  });

  it('still injects on /mutate (the patch reads no view)', async () => {
    const body = await reviewFixture('catalog-pod-review.json');
    const answer = await postJson(server.url, '/mutate', body, certs.caPem);
    expect(answer.json().response).toMatchObject({
      uid: body.request.uid,
      allowed: true,
      patchType: 'JSONPatch',
    });
  });
});
