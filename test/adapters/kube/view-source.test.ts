import type { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/kube/logger.js';
import { createKubeViewSource } from '../../../src/adapters/kube/view-source.js';
import type { ViewPublication, ViewSource } from '../../../src/adapters/view-source.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { FakeKube, waitFor } from './fake-kube.js';

const sources: ViewSource[] = [];
afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
});

function create(
  kube: FakeKube,
  options: { now?: () => number; config?: ZtgateConfig; onSynced?: () => void } = {},
): ViewSource {
  const source = createKubeViewSource({
    kubeConfig: {} as KubeConfig,
    config: options.config ?? DEFAULT_CONFIG,
    logger: process.env.DBG
      ? { debug: console.log, info: console.log, warn: console.log, error: console.log }
      : silentLogger,
    rest: kube,
    debounceMs: 10,
    now: options.now,
    onSynced: options.onSynced,
  });
  sources.push(source);
  return source;
}

const ns = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { team: name } },
});
const sa = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace },
});
const cnp = (namespace: string, name: string) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name, namespace },
  spec: { endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { app: 'a' } }] }] },
});
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'ciliumnetworkpolicies.cilium.io' },
  spec: {
    group: 'cilium.io',
    names: { plural: 'ciliumnetworkpolicies' },
    versions: [{ name: 'v2', served: true }],
  },
  status: { conditions: [{ type: 'Established', status: 'True' }] },
};

describe('createKubeViewSource', () => {
  it('is not ready until every resource has listed, then publishes a view with the objects', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', ns('shop'));
    kube.seed('v1/serviceaccounts', sa('shop', 'web'));
    const source = create(kube);
    expect([source.isReady(), source.current()]).toEqual([false, undefined]);
    expect(source.notReadyReason?.()).toContain('cluster view not synced yet');
    await source.start();
    await waitFor(() => source.isReady());
    const view = source.current()!;
    expect(view.namespace('shop')?.labels['team']).toBe('shop');
    expect(view.serviceAccount('shop', 'web')).toMatchObject({ namespace: 'shop', name: 'web' });
    expect(view.knowsServiceAccounts('shop')).toBe(true);
  });

  it('calls onSynced once, with the first view already published (serve collects the lists left behind)', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', ns('shop'));
    const seen: (number | undefined)[] = [];
    const source = create(kube, { onSynced: () => seen.push(source.current()?.revision) });
    await source.start();
    await waitFor(() => source.isReady());
    kube.seed('v1/serviceaccounts', sa('shop', 'web'));
    await waitFor(() => source.current()?.serviceAccount('shop', 'web') !== undefined);
    expect(seen).toEqual([1]);
  });

  it('publishes a new view (higher revision) after a change, coalescing a burst', async () => {
    const kube = new FakeKube();
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    const first = source.current()!.revision;
    for (let index = 0; index < 50; index += 1) kube.seed('v1/serviceaccounts', sa('shop', `sa-${index}`));
    await waitFor(() => source.current()!.serviceAccount('shop', 'sa-49') !== undefined);
    const revision = source.current()!.revision;
    expect(revision).toBeGreaterThan(first);
    expect(revision - first).toBeLessThan(5);
  });

  it('rebuilds only the namespace a change touched, and drops what was deleted', async () => {
    const kube = new FakeKube();
    const deployment = (namespace: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace },
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { serviceAccountName: 'web' } } },
    });
    for (const name of ['shop', 'other']) {
      kube.seed('v1/namespaces', ns(name));
      kube.seed('v1/serviceaccounts', sa(name, 'web'));
      kube.seed('apps/v1/deployments', deployment(name));
    }
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    const before = source.current()!;
    expect(before.serviceAccountUsers('other', 'web').map((ref) => ref.name)).toEqual(['web']);

    kube.seed('v1/serviceaccounts', sa('shop', 'api'));
    await waitFor(() => source.current()!.serviceAccount('shop', 'api') !== undefined);
    const after = source.current()!;
    // The untouched namespace's index is the very same object: it was linked, not rebuilt.
    expect(after.serviceAccountUsers('other', 'web')).toBe(before.serviceAccountUsers('other', 'web'));
    expect(after.serviceAccountUsers('shop', 'web')).not.toBe(before.serviceAccountUsers('shop', 'web'));
    // The published snapshot never changes.
    expect(before.serviceAccount('shop', 'api')).toBeUndefined();

    kube.remove('apps/v1/deployments', 'other', 'web');
    kube.remove('v1/serviceaccounts', 'other', 'web');
    await waitFor(() => source.current()!.serviceAccount('other', 'web') === undefined);
    await waitFor(() => source.current()!.workloads('other').length === 0);
    expect(source.current()!.serviceAccountUsers('other', 'web')).toEqual([]);
    expect(source.current()!.namespace('other')?.name).toBe('other');
    expect(source.current()!.serviceAccount('shop', 'web')?.name).toBe('web');
  });

  it('tells its listeners what each publish touched, with the objects each namespace was built from', async () => {
    const kube = new FakeKube();
    for (const name of ['shop', 'other']) kube.seed('v1/namespaces', ns(name));
    kube.seed('v1/serviceaccounts', sa('shop', 'web'));
    const source = create(kube);
    const seen: ViewPublication[] = [];
    source.onPublish!((publication) => seen.push(publication));
    await source.start();
    await waitFor(() => seen.length === 1);
    expect(seen[0]!.touched).toBe('all');
    const first = seen[0]!.snapshot;
    expect(first.view).toBe(source.current());
    expect(source.snapshot!()).toBe(first);
    expect(first.objectsIn('shop').map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ServiceAccount/web',
    ]);
    expect(
      first
        .objectsIn('')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['other', 'shop']);

    kube.seed('v1/serviceaccounts', sa('shop', 'api'));
    await waitFor(() => seen.length === 2);
    expect(seen[1]!.touched).toEqual(new Set(['shop']));
    const second = seen[1]!.snapshot;
    expect(second.objectsIn('shop')).toHaveLength(2);
    // The earlier snapshot still shows what its view was built from.
    expect(first.objectsIn('shop')).toHaveLength(1);
    expect(second.changedAt('shop')).toBeGreaterThan(first.changedAt('shop'));
    expect(second.changedAt('other')).toBe(first.changedAt('other'));

    // A namespace's labels touch that namespace; a cluster-wide policy touches every one.
    kube.seed('v1/namespaces', { ...ns('other'), metadata: { name: 'other', labels: { team: 'b' } } });
    await waitFor(() => seen.length === 3);
    expect(seen[2]!.touched).toEqual(new Set(['other']));
    expect(seen[2]!.snapshot.changedAt('shop')).toBe(second.changedAt('shop'));
    kube.served.add('cilium.io/v2/ciliumclusterwidenetworkpolicies');
    kube.seed('apiextensions.k8s.io/v1/customresourcedefinitions', {
      ...crd,
      metadata: { name: 'ciliumclusterwidenetworkpolicies.cilium.io' },
      spec: { ...crd.spec, names: { plural: 'ciliumclusterwidenetworkpolicies' } },
    });
    await waitFor(() => seen.at(-1)!.touched === 'all' && seen.length > 3);
    const count = seen.length;
    kube.seed('cilium.io/v2/ciliumclusterwidenetworkpolicies', {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: 'platform' },
      spec: { endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { app: 'a' } }] }] },
    });
    await waitFor(() => seen.length > count);
    expect(seen.at(-1)!.touched).toBe('all');
    const all = seen.at(-1)!.snapshot;
    expect(all.changedAt('shop')).toBe(all.view.revision);
    expect(all.changedAt('other')).toBe(all.view.revision);
  });

  it('starts watching a policy kind when its CRD becomes established', async () => {
    const kube = new FakeKube();
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    kube.served.add('cilium.io/v2/ciliumnetworkpolicies');
    kube.seed('cilium.io/v2/ciliumnetworkpolicies', cnp('shop', 'allow-a'));
    kube.seed('apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await waitFor(() =>
      source
        .current()!
        .allPolicies()
        .some((policy) => policy.name === 'allow-a'),
    );
    expect(
      source
        .current()!
        .policiesFor('shop')
        .map((policy) => [policy.flavour, policy.name]),
    ).toEqual([['cilium', 'allow-a']]);
  });

  it('drops readiness when a watch stays broken past staleAfterSeconds, and says which', async () => {
    const kube = new FakeKube();
    let clock = 0;
    const source = create(kube, { now: () => clock });
    await source.start();
    await waitFor(() => source.isReady());
    kube.failWith = 503;
    kube.breakWatches();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(source.isReady()).toBe(true);
    clock = 301_000;
    expect(source.isReady()).toBe(false);
    expect(source.notReadyReason?.()).toMatch(/^watch of .+ broken for 301s \(limit 300s\)$/);
    kube.failWith = undefined;
    await waitFor(() => source.isReady(), 5000);
  });

  it('reports for /metrics: synced now while healthy, since the break while broken; objects and relists by kind', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', ns('shop'));
    kube.seed('v1/serviceaccounts', sa('shop', 'web'));
    kube.seed('v1/serviceaccounts', sa('shop', 'api'));
    let clock = 1_000;
    const source = create(kube, { now: () => clock });
    expect(source.stats?.().syncedAtMs).toBeUndefined();
    await source.start();
    await waitFor(() => source.isReady());
    clock = 5_000;
    const healthy = source.stats?.();
    expect(healthy?.syncedAtMs).toBe(5_000);
    expect(healthy?.objects).toContainEqual({ group: '', kind: 'ServiceAccount', count: 2 });
    expect(healthy?.relists).toContainEqual({ group: '', kind: 'ServiceAccount', count: 0 });
    kube.failWith = 503;
    kube.breakWatches();
    await new Promise((resolve) => setTimeout(resolve, 30));
    clock = 90_000;
    expect(source.stats?.().syncedAtMs).toBe(5_000);
    kube.failWith = undefined;
    await waitFor(() => source.stats?.().syncedAtMs === 90_000, 5000);
    expect(source.stats?.().relists).toContainEqual({ group: '', kind: 'ServiceAccount', count: 1 });
  });

  it('confirms a missing ServiceAccount and namespace policies with live reads', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', ns('shop'));
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    // Written behind the watch's back: the view cannot know yet.
    kube.breakWatches();
    kube.seed('v1/serviceaccounts', sa('shop', 'late'));
    const view = await source.confirm!(
      [
        { kind: 'ServiceAccount', namespace: 'shop', name: 'late' },
        { kind: 'ServiceAccount', namespace: 'shop', name: 'absent' },
      ],
      'shop',
    );
    expect(view.serviceAccount('shop', 'late')).toMatchObject({ name: 'late' });
    expect(view.serviceAccount('shop', 'absent')).toBeUndefined();
  });

  it("confirms a pod's owner chain the watch has not delivered yet (ReplicaSet → Deployment)", async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', ns('shop'));
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    kube.breakWatches();
    // What the controller manager writes: the owner's group, name and the uid the API server gave
    // it (ztgate checks all three).
    const owned = (kind: string, name: string, owner?: { kind: string; name: string; uid: string }) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: {
        name,
        namespace: 'shop',
        ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', ...owner, controller: true }] } : {}),
      },
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { serviceAccountName: 'web' } } },
    });
    const created = kube.seed('apps/v1/deployments', owned('Deployment', 'web'));
    const uid = String((created['metadata'] as Record<string, unknown>)['uid']);
    kube.seed(
      'apps/v1/replicasets',
      owned('ReplicaSet', 'web-5d4f8', { kind: 'Deployment', name: 'web', uid }),
    );
    const view = await source.confirm!(
      [{ kind: 'Workload', workloadKind: 'ReplicaSet', namespace: 'shop', name: 'web-5d4f8' }],
      'shop',
    );
    expect(
      view
        .workloads('shop')
        .map((ref) => `${ref.kind}/${ref.name} owner ${ref.owner.kind}/${ref.owner.name}`)
        .sort(),
    ).toEqual(['Deployment/web owner Deployment/web', 'ReplicaSet/web-5d4f8 owner Deployment/web']);
  });

  it('watches PeerAuthentications where Istio serves them, and confirms one the watch has not delivered', async () => {
    const kube = new FakeKube();
    kube.served.add('security.istio.io/v1/peerauthentications');
    kube.seed('v1/namespaces', ns('shop'));
    const pa = (namespace: string, name: string) => ({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name, namespace },
      spec: { mtls: { mode: 'STRICT' } },
    });
    kube.seed('security.istio.io/v1/peerauthentications', pa('shop', 'watched'));
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    expect(
      source
        .current()
        ?.peerAuthentications('shop')
        .map((p) => p.name),
    ).toEqual(['watched']);
    kube.breakWatches();
    kube.seed('security.istio.io/v1/peerauthentications', pa('istio-system', 'mesh'));
    const view = await source.confirm!([{ kind: 'PeerAuthentication', namespace: 'shop' }], 'shop');
    expect(view.peerAuthentications('istio-system').map((p) => `${p.name} ${p.mode}`)).toEqual([
      'mesh STRICT',
    ]);
  });

  it('a PeerAuthentication in the mesh root namespace touches every namespace; one elsewhere its own', async () => {
    const kube = new FakeKube();
    kube.served.add('security.istio.io/v1/peerauthentications');
    for (const name of ['shop', 'other', 'istio-system']) kube.seed('v1/namespaces', ns(name));
    const pa = (namespace: string, name: string, mode: string) => ({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name, namespace },
      spec: { mtls: { mode } },
    });
    const source = create(kube);
    const seen: ViewPublication[] = [];
    source.onPublish!((publication) => seen.push(publication));
    await source.start();
    await waitFor(() => source.isReady() && seen.length > 0);
    let count = seen.length;
    kube.seed('security.istio.io/v1/peerauthentications', pa('shop', 'local', 'STRICT'));
    await waitFor(() => seen.length > count);
    expect(seen.at(-1)!.touched).toEqual(new Set(['shop']));
    // Istio's mesh-wide mode: every namespace without its own inherits it (strict-mtls reads it).
    count = seen.length;
    const before = seen.at(-1)!.snapshot.changedAt('other');
    kube.seed('security.istio.io/v1/peerauthentications', pa('istio-system', 'default', 'PERMISSIVE'));
    await waitFor(() => seen.length > count);
    expect(seen.at(-1)!.touched).toBe('all');
    expect(seen.at(-1)!.snapshot.changedAt('other')).toBeGreaterThan(before);
  });

  it('keeps the view when a live read fails, so the denial stands', async () => {
    const kube = new FakeKube();
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    kube.failWith = 500;
    const view = await source.confirm!([{ kind: 'Namespace', name: 'x' }], 'x');
    expect(view).toBe(source.current());
    kube.failWith = undefined;
  });
});
