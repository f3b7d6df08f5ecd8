import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../src/adapters/kube/kube-rest.js';
import { coreResource } from '../../../src/adapters/kube/resources.js';
import { ensureObject, removeObject, WriteConflict } from '../../../src/controllers/runtime/ensure.js';
import { namespaceMarks, ownedObject, unwanted } from '../../../src/controllers/runtime/intents.js';
import { isSameNetworkPolicySpec } from '../../../src/policy/desired/index.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { FakeKube } from '../../adapters/kube/fake-kube.js';

const NP = 'networking.k8s.io/v1/networkpolicies';
const NETWORK_POLICIES = coreResource('NetworkPolicy');
const MANAGED = { 'app.kubernetes.io/managed-by': 'ztgate' };
const DENY = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };
const policy = (labels: Record<string, string> = MANAGED, spec: object = DENY): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny', namespace: 'shop', labels },
  spec,
});
const intent = ownedObject({
  resource: NETWORK_POLICIES,
  object: policy(),
  enforcing: true,
  content: ['spec'],
  sameContent: (existing, desired) => isSameNetworkPolicySpec(existing['spec'], desired['spec']),
});
const NO_CACHE = { authoritative: false, cached: undefined };
const WRITE = { dryRun: false };
const DRY = { dryRun: true };
const writes = (kube: FakeKube) =>
  kube.writes().map((call) => `${call.method} ${call.query?.['dryRun'] ?? ''}`.trim());

describe('ensureObject', () => {
  it('costs nothing when the cached copy is up to date', async () => {
    const kube = new FakeKube();
    const cached = kube.seed(NP, policy());
    expect(await ensureObject(kube, intent, { authoritative: true, cached }, WRITE)).toBeUndefined();
    expect(kube.calls).toEqual([]);
  });

  it('creates an absent object, replaces a changed one, and leaves an identical live one alone', async () => {
    const kube = new FakeKube();
    expect(await ensureObject(kube, intent, NO_CACHE, WRITE)).toBe('create');
    expect(await ensureObject(kube, intent, NO_CACHE, WRITE)).toBeUndefined();
    kube.seed(NP, policy({ team: 'a' }, { podSelector: {}, policyTypes: ['Ingress'] }));
    expect(await ensureObject(kube, intent, NO_CACHE, WRITE)).toBe('replace');
    expect(kube.get(NP, 'shop', 'deny')).toMatchObject({
      metadata: { labels: { team: 'a', ...MANAGED } },
      spec: DENY,
    });
    expect(writes(kube)).toEqual(['POST', 'PUT']);
  });

  it('sends dryRun=All in a dry run and persists nothing', async () => {
    const kube = new FakeKube();
    expect(await ensureObject(kube, intent, NO_CACHE, DRY)).toBe('create');
    kube.seed(NP, policy({}));
    expect(await ensureObject(kube, intent, NO_CACHE, DRY)).toBe('replace');
    expect([writes(kube), kube.get(NP, 'shop', 'deny')?.['metadata']]).toEqual([
      ['POST All', 'PUT All'],
      expect.objectContaining({ labels: {} }),
    ]);
  });

  it('never creates marks on an object that is not there', async () => {
    const kube = new FakeKube();
    const marks = namespaceMarks('ghost', { enforcing: true, labels: { 'istio-injection': 'enabled' } });
    expect(await ensureObject(kube, marks, NO_CACHE, WRITE)).toBeUndefined();
    expect(writes(kube)).toEqual([]);
  });

  it('throws WriteConflict on 409, and ignores a namespace being deleted', async () => {
    const kube = new FakeKube();
    kube.request = async (method) => {
      if (method === 'GET') throw new KubeApiError(404, 'not found');
      throw new KubeApiError(409, 'already exists');
    };
    await expect(ensureObject(kube, intent, NO_CACHE, WRITE)).rejects.toBeInstanceOf(WriteConflict);
    kube.request = async (method) => {
      if (method === 'GET') throw new KubeApiError(404, 'not found');
      throw new KubeApiError(
        403,
        'unable to create new content in namespace shop because it is being terminated',
      );
    };
    expect(await ensureObject(kube, intent, NO_CACHE, WRITE)).toBeUndefined();
  });
});

describe('removeObject', () => {
  const gone = unwanted(NETWORK_POLICIES, 'shop', 'deny');

  it('costs nothing when a synced cache of ztgate objects lacks it', async () => {
    const kube = new FakeKube();
    expect(await removeObject(kube, gone, { authoritative: true, cached: undefined }, WRITE)).toBeUndefined();
    expect(kube.calls).toEqual([]);
  });

  it('deletes ztgate’s own object with uid and resourceVersion preconditions', async () => {
    const kube = new FakeKube();
    const stored = kube.seed(NP, policy());
    expect(await removeObject(kube, gone, NO_CACHE, WRITE)).toBe('delete');
    const call = kube.calls.find((entry) => entry.method === 'DELETE');
    const metadata = stored['metadata'] as Record<string, unknown>;
    expect(call?.body).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: metadata['uid'], resourceVersion: metadata['resourceVersion'] },
    });
    expect(kube.get(NP, 'shop', 'deny')).toBeUndefined();
  });

  it('never deletes an object without the managed-by label, nor an absent one', async () => {
    const kube = new FakeKube();
    expect(await removeObject(kube, gone, NO_CACHE, WRITE)).toBeUndefined();
    kube.seed(NP, policy({ 'app.kubernetes.io/managed-by': 'helm' }));
    expect(await removeObject(kube, gone, NO_CACHE, WRITE)).toBeUndefined();
    expect([writes(kube), kube.get(NP, 'shop', 'deny') !== undefined]).toEqual([[], true]);
  });

  it('sends dryRun=All in a dry run and keeps the object', async () => {
    const kube = new FakeKube();
    kube.seed(NP, policy());
    expect(await removeObject(kube, gone, NO_CACHE, DRY)).toBe('delete');
    expect([writes(kube), kube.get(NP, 'shop', 'deny') !== undefined]).toEqual([['DELETE All'], true]);
  });
});
