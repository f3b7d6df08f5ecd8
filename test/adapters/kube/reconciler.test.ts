import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/kube/logger.js';
import {
  startDefaultDenyReconciler,
  type DefaultDenyReconciler,
  type ReconcilerWrite,
} from '../../../src/adapters/kube/reconciler.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { FakeKube, waitFor } from './fake-kube.js';
import type { KubeConfig } from '@kubernetes/client-node';

const NP = 'networking.k8s.io/v1/networkpolicies';
const running: DefaultDenyReconciler[] = [];
afterEach(async () => {
  for (const reconciler of running.splice(0)) await reconciler.stop();
});

function start(
  kube: FakeKube,
  identity = 'a',
  config: ZtgateConfig = DEFAULT_CONFIG,
  writes: ReconcilerWrite[] = [],
) {
  const reconciler = startDefaultDenyReconciler({
    kubeConfig: {} as KubeConfig,
    config,
    logger: silentLogger,
    identity,
    rest: kube,
    renewIntervalMs: 20,
    onWrite: (write) => writes.push(write),
  });
  running.push(reconciler);
  return reconciler;
}

const namespace = (name: string, phase = 'Active') => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
  status: { phase },
});
const policyNames = (kube: FakeKube, ns: string) =>
  ['ztgate-default-deny', 'ztgate-allow-dns'].filter((name) => kube.get(NP, ns, name) !== undefined);

describe('startDefaultDenyReconciler', () => {
  it('creates both policies in every non-exempt, non-terminating namespace, and in a new one', async () => {
    const kube = new FakeKube();
    for (const ns of ['shop', 'kube-system', 'ztgate-system']) kube.seed('v1/namespaces', namespace(ns));
    kube.seed('v1/namespaces', namespace('leaving', 'Terminating'));
    start(kube);
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    kube.seed('v1/namespaces', namespace('new'));
    await waitFor(() => policyNames(kube, 'new').length === 2);
    expect([
      policyNames(kube, 'kube-system'),
      policyNames(kube, 'ztgate-system'),
      policyNames(kube, 'leaving'),
    ]).toEqual([[], [], []]);
    expect(kube.get(NP, 'shop', 'ztgate-default-deny')).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'ztgate' } },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  });

  it('re-creates a deleted policy, restores an edited one, and leaves identical ones alone', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    const writes: ReconcilerWrite[] = [];
    start(kube, 'a', DEFAULT_CONFIG, writes);
    await waitFor(() => writes.length === 2);
    kube.remove(NP, 'shop', 'ztgate-default-deny');
    await waitFor(() => writes.length === 3);
    const current = kube.get(NP, 'shop', 'ztgate-allow-dns')!;
    await kube.request('PUT', '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/ztgate-allow-dns', {
      body: { ...current, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] } },
    });
    await waitFor(() => writes.length === 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const np = { kind: 'NetworkPolicy', namespace: 'shop' };
    expect(writes).toEqual([
      { ...np, action: 'create', name: 'ztgate-default-deny' },
      { ...np, action: 'create', name: 'ztgate-allow-dns' },
      { ...np, action: 'create', name: 'ztgate-default-deny' },
      { ...np, action: 'replace', name: 'ztgate-allow-dns' },
    ]);
    expect(kube.get(NP, 'shop', 'ztgate-allow-dns')?.['spec']).toEqual(current['spec']);
  });

  it('treats a policy someone else created first (409) as no error', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    const writes: ReconcilerWrite[] = [];
    const original = kube.request.bind(kube);
    let raced = false;
    kube.request = async (method, path, options) => {
      if (method === 'POST' && path.endsWith('/networkpolicies') && !raced) {
        raced = true;
        await original('POST', path, options);
      }
      return original(method, path, options);
    };
    start(kube, 'a', DEFAULT_CONFIG, writes);
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(writes.map((write) => write.name)).toEqual(['ztgate-allow-dns']);
  });

  it('does nothing when defaultDeny.create and sidecar.distributeTrustBundle are both false', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    start(kube, 'a', {
      ...DEFAULT_CONFIG,
      defaultDeny: { ...DEFAULT_CONFIG.defaultDeny, create: false },
      sidecar: { ...DEFAULT_CONFIG.sidecar, distributeTrustBundle: false },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kube.calls).toEqual([]);
  });

  it('lets only the leader write when two replicas run', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    const writesA: ReconcilerWrite[] = [];
    const writesB: ReconcilerWrite[] = [];
    const a = start(kube, 'a', DEFAULT_CONFIG, writesA);
    await waitFor(() => a.isLeader());
    const b = start(kube, 'b', DEFAULT_CONFIG, writesB);
    kube.seed('v1/namespaces', namespace('second'));
    await waitFor(() => policyNames(kube, 'second').length === 2);
    expect([a.isLeader(), b.isLeader(), writesA.length, writesB.length]).toEqual([true, false, 4, 0]);
  });
});
