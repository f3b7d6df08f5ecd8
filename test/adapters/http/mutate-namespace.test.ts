import jsonpatch from 'jsonpatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import { makeCerts, postJson, startApp, type Running, type TestCerts } from './support.js';

// /mutate on Namespace CREATE, over real TLS: the mesh's injectors select pods by their
// namespace's labels (Istio's istio-sidecar-injector, istio-cni for ambient) or annotation
// (Linkerd's proxy-injector), so the mark must be on the Namespace before its first pod.

const LINKERD: ZtgateConfig = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'linkerd' } };
const AMBIENT: ZtgateConfig = {
  ...DEFAULT_CONFIG,
  mesh: { ...DEFAULT_CONFIG.mesh, provider: 'istio-ambient' },
};
const REVISION: ZtgateConfig = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, revision: '1-24' } };
const AUDIT_MODE: ZtgateConfig = { ...DEFAULT_CONFIG, mode: 'audit' };
const CONFIGS = { istio: DEFAULT_CONFIG, linkerd: LINKERD, ambient: AMBIENT, revision: REVISION };
const ALL_CONFIGS = { ...CONFIGS, audit: AUDIT_MODE, builtin: BUILTIN_CONFIG };
type ConfigName = keyof typeof ALL_CONFIGS;

function namespace(name: string, labels?: Record<string, string>, annotations?: Record<string, string>) {
  const metadata: Record<string, unknown> = { name };
  if (labels !== undefined) metadata['labels'] = labels;
  if (annotations !== undefined) metadata['annotations'] = annotations;
  return { apiVersion: 'v1', kind: 'Namespace', metadata };
}

function review(object: KubeObject, overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-ns',
      kind: { group: '', version: 'v1', kind: 'Namespace' },
      resource: { group: '', version: 'v1', resource: 'namespaces' },
      operation: 'CREATE',
      name: object.metadata?.name,
      object,
      userInfo: { username: 'alice', groups: ['dev'] },
      ...overrides,
    },
  };
}

let certs: TestCerts;
const servers = {} as Record<ConfigName, Running>;

beforeAll(async () => {
  certs = await makeCerts();
  for (const [name, config] of Object.entries(ALL_CONFIGS)) {
    servers[name as ConfigName] = await startApp(certs, { config });
  }
});
afterAll(async () => {
  for (const server of Object.values(servers)) await server.app.close();
});

/** Posts a review to /mutate and returns the patched object (or the object unchanged) and the patch. */
async function mutate(config: ConfigName, object: KubeObject, overrides: Record<string, unknown> = {}) {
  const answer = await postJson(servers[config].url, '/mutate', review(object, overrides), certs.caPem);
  expect(answer.status).toBe(200);
  const response = answer.json().response;
  expect(response).toMatchObject({ uid: 'uid-ns', allowed: true });
  if (response.patch === undefined) return { patched: object, ops: [] };
  expect(response.patchType).toBe('JSONPatch');
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  return { patched: jsonpatch.apply_patch(object, ops) as KubeObject, ops };
}

describe('/mutate enrols a new Namespace in the configured mesh', () => {
  it.each<[string, ConfigName, KubeObject, Record<string, string>, Record<string, string>]>([
    [
      'Istio: the default revision label, next to the labels there',
      'istio',
      namespace('shop', { team: 'a' }),
      { team: 'a', 'istio-injection': 'enabled' },
      {},
    ],
    [
      'Istio: labels added whole when there are none',
      'istio',
      namespace('shop'),
      { 'istio-injection': 'enabled' },
      {},
    ],
    [
      'Istio with a revision: istio.io/rev, and the default injection label dropped',
      'revision',
      namespace('shop', { 'istio-injection': 'enabled' }),
      { 'istio.io/rev': '1-24' },
      {},
    ],
    [
      'ambient: the dataplane-mode label istio-cni selects',
      'ambient',
      namespace('shop'),
      { 'istio.io/dataplane-mode': 'ambient' },
      {},
    ],
    [
      'Linkerd: the inject annotation and a default inbound policy that requires mTLS',
      'linkerd',
      namespace('shop', { team: 'a' }, { owner: 'a' }),
      { team: 'a' },
      {
        owner: 'a',
        'linkerd.io/inject': 'enabled',
        'config.linkerd.io/default-inbound-policy': 'all-authenticated',
      },
    ],
    [
      'Linkerd: a stricter inbound policy the namespace chose is kept',
      'linkerd',
      namespace('shop', undefined, { 'config.linkerd.io/default-inbound-policy': 'deny' }),
      {},
      { 'config.linkerd.io/default-inbound-policy': 'deny', 'linkerd.io/inject': 'enabled' },
    ],
  ])('%s', async (_name, config, object, labels, annotations) => {
    const { patched } = await mutate(config, object);
    expect(patched.metadata?.labels ?? {}).toEqual(labels);
    expect(patched.metadata?.annotations ?? {}).toEqual(annotations);
    // Idempotent: the enrolled namespace needs nothing more (the API server may call /mutate again).
    const again = await mutate(config, patched);
    expect(again.ops).toEqual([]);
  });

  // Audit means no enforcement, exempt means none at all; an admin's opt-out is never overwritten;
  // only a Namespace CREATE is enrolment's business.
  it.each<[string, ConfigName, KubeObject, Record<string, unknown>?]>([
    [
      'a namespace labelled ztgate.dev/mode=audit',
      'istio',
      namespace('shop', { 'ztgate.dev/mode': 'audit' }),
    ],
    [
      'a namespace labelled ztgate.dev/exempt=true',
      'istio',
      namespace('shop', { 'ztgate.dev/exempt': 'true' }),
    ],
    ['a namespace the config exempts', 'istio', namespace('kube-public')],
    ["ztgate's own namespace", 'linkerd', namespace('ztgate-system')],
    ['any namespace with mode: audit', 'audit', namespace('shop')],
    ['any namespace under the builtin injector', 'builtin', namespace('shop')],
    ["an admin's explicit opt-out", 'istio', namespace('shop', { 'istio-injection': 'disabled' })],
    [
      'a namespace already enrolled',
      'linkerd',
      namespace(
        'shop',
        {},
        { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/default-inbound-policy': 'deny' },
      ),
    ],
    ['an UPDATE', 'istio', namespace('shop'), { operation: 'UPDATE', oldObject: namespace('shop') }],
    ['a status subresource', 'istio', namespace('shop'), { subResource: 'status' }],
  ])('leaves %s untouched', async (_name, config, object, overrides) => {
    const { ops } = await mutate(config, object, overrides);
    expect(ops).toEqual([]);
  });

  it('enrols a namespace whose audit label sits next to a forged kubernetes.io/metadata.name (1.20)', async () => {
    // The forgery voids the audit label (the namespace stays enforced), so it is enrolled as well.
    const object = namespace('shop', {
      'kubernetes.io/metadata.name': 'kube-system',
      'ztgate.dev/mode': 'audit',
    });
    const { patched } = await mutate('istio', object);
    expect(patched.metadata?.labels?.['istio-injection']).toBe('enabled');
  });

  it('logs the mutation as an allow with no violations', async () => {
    await mutate('istio', namespace('logged'));
    const line = servers.istio
      .logLines()
      .find((entry) => entry['msg'] === 'admission decision' && entry['name'] === 'logged');
    expect(line).toMatchObject({ decision: 'allow', webhook: 'mutate', operation: 'CREATE' });
  });
});
