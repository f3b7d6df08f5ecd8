import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKubeRest,
  loadKubeConfig,
  startDefaultDenyReconciler,
  type DefaultDenyReconciler,
  type KubeRest,
  type ReconcilerWrite,
} from '../../src/adapters/kube/index.js';
import { silentLogger } from '../../src/adapters/kube/logger.js';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { waitFor } from './support/processes.js';

const NP = (ns: string, name = '') =>
  `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies${name ? `/${name}` : ''}`;
const POLICIES = ['ztgate-default-deny', 'ztgate-allow-dns'];
const CM = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const BUNDLE = DEFAULT_CONFIG.sidecar.trustBundleConfigMap;

describe('default-deny reconciler against a real API server', () => {
  let cp: ControlPlane;
  let rest: KubeRest;
  const writes: Record<string, ReconcilerWrite[]> = { a: [], b: [] };
  const reconcilers: Record<string, DefaultDenyReconciler> = {};

  const start = (identity: 'a' | 'b'): DefaultDenyReconciler =>
    (reconcilers[identity] = startDefaultDenyReconciler({
      kubeConfig: loadKubeConfig({ kubeconfig: cp.adminKubeconfig }),
      config: DEFAULT_CONFIG,
      logger: silentLogger,
      identity: `replica-${identity}`,
      onWrite: (write) => writes[identity]!.push(write),
    }));
  const policyNames = async (ns: string): Promise<string[]> => {
    const list = await rest.request<{ items: { metadata: { name: string } }[] }>('GET', NP(ns));
    return list.items.map((item) => item.metadata.name).sort();
  };
  const hasBoth = (ns: string) => async () => (await policyNames(ns)).join() === [...POLICIES].sort().join();
  /** The trust bundle copy's ca.crt in a namespace, or undefined while there is none. */
  const copiedCa = async (ns: string): Promise<string | undefined> => {
    try {
      const copy = await rest.request<{ data?: Record<string, string> }>('GET', CM(ns, BUNDLE));
      return copy.data?.['ca.crt'];
    } catch {
      return undefined;
    }
  };
  const leaseHolder = async () =>
    (
      await rest.request<{ spec: { holderIdentity?: string } }>(
        'GET',
        '/apis/coordination.k8s.io/v1/namespaces/ztgate-system/leases/ztgate-leader',
      )
    ).spec.holderIdentity;

  beforeAll(async () => {
    cp = await startControlPlane();
    rest = createKubeRest(loadKubeConfig({ kubeconfig: cp.adminKubeconfig }));
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'ztgate-system' } } });
    start('a');
    await waitFor(
      async () => reconcilers['a']!.isLeader(),
      10_000,
      () => 'a never led',
    );
    start('b');
  });
  afterAll(async () => {
    for (const reconciler of Object.values(reconcilers)) await reconciler.stop();
    await cp?.stop();
  });

  it('gives a new namespace both policies within seconds', async () => {
    const started = Date.now();
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team-a' } } });
    await waitFor(hasBoth('team-a'), 5000, () => 'policies not created');
    expect(Date.now() - started).toBeLessThan(5000);
    const deny = await rest.request<{ metadata: { labels: Record<string, string> }; spec: unknown }>(
      'GET',
      NP('team-a', 'ztgate-default-deny'),
    );
    expect(deny.metadata.labels['app.kubernetes.io/managed-by']).toBe('ztgate');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('leaves exempt namespaces alone', async () => {
    expect([await policyNames('kube-system'), await policyNames('ztgate-system')]).toEqual([[], []]);
  });

  it('re-creates a deleted policy', async () => {
    await rest.request('DELETE', NP('team-a', 'ztgate-default-deny'));
    await waitFor(hasBoth('team-a'), 5000, () => 'policy not re-created');
  });

  it('restores an edited policy', async () => {
    const current = await rest.request<Record<string, unknown>>('GET', NP('team-a', 'ztgate-default-deny'));
    await rest.request('PUT', NP('team-a', 'ztgate-default-deny'), {
      body: { ...current, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}] } },
    });
    await waitFor(
      async () => {
        const spec = (
          await rest.request<{ spec: Record<string, unknown> }>('GET', NP('team-a', 'ztgate-default-deny'))
        ).spec;
        return spec['ingress'] === undefined;
      },
      5000,
      () => 'policy not restored',
    );
  });

  it('writes nothing for a server-side dry-run namespace creation', async () => {
    const before = writes['a']!.length;
    await rest.request('POST', '/api/v1/namespaces', {
      query: { dryRun: 'All' },
      body: { metadata: { name: 'dry' } },
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await expect(rest.request('GET', '/api/v1/namespaces/dry')).rejects.toMatchObject({ statusCode: 404 });
    expect(writes['a']!.slice(before)).toEqual([]);
  });

  it('copies the trust bundle into namespaces within seconds, and propagates a changed source', async () => {
    const before = writes['a']!.length;
    await rest.request('POST', CM('ztgate-system'), {
      body: { metadata: { name: BUNDLE }, data: { 'ca.crt': 'root-1' } },
    });
    // An existing namespace gets its copy once the source appears; a new one within seconds.
    await waitFor(
      async () => (await copiedCa('team-a')) === 'root-1',
      5000,
      () => 'team-a: no copy',
    );
    const started = Date.now();
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team-tb' } } });
    await waitFor(
      async () => (await copiedCa('team-tb')) === 'root-1',
      5000,
      () => 'team-tb: no copy',
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const copy = await rest.request<{ metadata: { labels: Record<string, string> } }>(
      'GET',
      CM('team-tb', BUNDLE),
    );
    expect(copy.metadata.labels['app.kubernetes.io/managed-by']).toBe('ztgate');

    const source = await rest.request<Record<string, unknown>>('GET', CM('ztgate-system', BUNDLE));
    await rest.request('PUT', CM('ztgate-system', BUNDLE), {
      body: { ...source, data: { 'ca.crt': 'root-2' } },
    });
    for (const ns of ['team-a', 'team-tb']) {
      await waitFor(
        async () => (await copiedCa(ns)) === 'root-2',
        5000,
        () => `${ns}: not updated`,
      );
    }
    // A deleted copy returns; exempt namespaces get none.
    await rest.request('DELETE', CM('team-a', BUNDLE));
    await waitFor(
      async () => (await copiedCa('team-a')) === 'root-2',
      5000,
      () => 'copy not re-created',
    );
    expect(await copiedCa('kube-system')).toBeUndefined();
    const bundleWrites = writes['a']!.slice(before).filter((write) => write.kind === 'ConfigMap');
    // default is a namespace like any other: it gets its copy too.
    expect(bundleWrites.map((write) => `${write.action} ${write.namespace}`).sort()).toEqual([
      'create default',
      'create team-a',
      'create team-a',
      'create team-tb',
      'replace default',
      'replace team-a',
      'replace team-tb',
    ]);
  });

  it('lets only the leader write: the Lease names it and the follower wrote nothing', async () => {
    expect(await leaseHolder()).toBe('replica-a');
    expect([reconcilers['a']!.isLeader(), reconcilers['b']!.isLeader()]).toEqual([true, false]);
    expect(writes['a']!.length).toBeGreaterThanOrEqual(4);
    expect(writes['b']).toEqual([]);
  });

  it('hands over to the follower when the leader stops', async () => {
    await reconcilers['a']!.stop();
    await waitFor(
      async () => reconcilers['b']!.isLeader(),
      10_000,
      () => 'b never took over',
    );
    expect(await leaseHolder()).toBe('replica-b');
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team-b' } } });
    await waitFor(hasBoth('team-b'), 5000, () => 'b did not create the policies');
    await waitFor(
      async () => (await copiedCa('team-b')) === 'root-2',
      5000,
      () => 'b did not copy the bundle',
    );
    expect(writes['b']!.map((write) => `${write.kind} ${write.namespace}`)).toEqual([
      'NetworkPolicy team-b',
      'NetworkPolicy team-b',
      'ConfigMap team-b',
    ]);
  });
});
