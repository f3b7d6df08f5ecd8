import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerControllerMetrics } from '../../src/controllers/index.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../src/policy/config.js';
import { buildMeshControlPlanePolicy } from '../../src/policy/desired/index.js';
import { FakeKube, waitFor } from '../adapters/kube/fake-kube.js';
import { BUILTIN_CONFIG } from '../support/builtin-config.js';
import {
  deactivatedIstioInjector,
  istioInjectorWebhooks,
  ztunnelDaemonSet,
} from '../support/mesh-webhooks.js';
import { describeWrites, namespace, pause, start, type LogLine } from './support.js';

// The mesh controllers on a fake API server: the enrolment mark on each enforced Namespace, the
// STRICT PeerAuthentication next to the default deny, and the deny's mesh companion.

const NS = 'v1/namespaces';
const NP = 'networking.k8s.io/v1/networkpolicies';
const PA = 'security.istio.io/v1/peerauthentications';
const HOOKS = 'admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const DS = 'apps/v1/daemonsets';
const PA_PATH = (ns: string, name = '') =>
  `/apis/security.istio.io/v1/namespaces/${ns}/peerauthentications${name ? `/${name}` : ''}`;
const WITHHELD = 'namespace not enforced: ztgate withholds what enforcing would create';

const ISTIO: ZtgateConfig = DEFAULT_CONFIG;
const mesh = (overrides: Partial<ZtgateConfig['mesh']>): ZtgateConfig => ({
  ...ISTIO,
  mesh: { ...ISTIO.mesh, ...overrides },
});
const LINKERD = mesh({ provider: 'linkerd' });
const AMBIENT = mesh({ provider: 'istio-ambient' });

/** A fake API server that serves Istio's PeerAuthentication, holding these namespaces. */
function cluster(...namespaces: ReturnType<typeof namespace>[]): FakeKube {
  const kube = new FakeKube();
  kube.served.add(PA);
  kube.served.add(HOOKS);
  for (const ns of namespaces) kube.seed(NS, ns);
  return kube;
}
const labelsOf = (kube: FakeKube, ns: string) =>
  (kube.get(NS, '', ns)?.['metadata'] as { labels?: Record<string, string> }).labels ?? {};
const annotationsOf = (kube: FakeKube, ns: string) =>
  (kube.get(NS, '', ns)?.['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};
const policyNames = (kube: FakeKube, ns: string) =>
  ['ztgate-allow-dns', 'ztgate-allow-mesh', 'ztgate-default-deny'].filter(
    (name) => kube.get(NP, ns, name) !== undefined,
  );
const relabel = (kube: FakeKube, name: string, labels: Record<string, string>) => {
  const current = kube.get(NS, '', name)!;
  kube.seed(NS, { ...current, metadata: { ...(current['metadata'] as object), labels } });
};

describe('mesh-enrolment controller', () => {
  it('marks every enforced namespace, keeping its other labels, and never a system or exempt one', async () => {
    const kube = cluster(
      namespace('shop', { team: 'a' }),
      namespace('kube-system'),
      namespace('ztgate-system'),
      namespace('lab', { 'ztgate.dev/exempt': 'true' }),
      namespace('trial', { 'ztgate.dev/mode': 'audit' }),
    );
    const { writes } = start(kube, { config: ISTIO });
    await waitFor(() => labelsOf(kube, 'shop')['istio-injection'] === 'enabled');
    kube.seed(NS, namespace('new'));
    await waitFor(() => labelsOf(kube, 'new')['istio-injection'] === 'enabled');
    expect(labelsOf(kube, 'shop')).toEqual({ team: 'a', 'istio-injection': 'enabled' });
    for (const ns of ['kube-system', 'ztgate-system', 'lab', 'trial'])
      expect(labelsOf(kube, ns)['istio-injection']).toBeUndefined();
    // The enrolment goes first: the next pod of the namespace is meshed.
    expect(describeWrites(writes).filter((w) => w.startsWith('replace Namespace'))).toEqual([
      'replace Namespace /shop',
      'replace Namespace /new',
    ]);
  });

  it.each<[string, ZtgateConfig, Record<string, string>, Record<string, string>]>([
    ['Istio with a revision', mesh({ revision: 'canary' }), { 'istio.io/rev': 'canary' }, {}],
    ['ambient', AMBIENT, { 'istio.io/dataplane-mode': 'ambient' }, {}],
    [
      'Linkerd',
      LINKERD,
      {},
      { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/default-inbound-policy': 'all-authenticated' },
    ],
  ])('writes the mark of %s', async (_name, config, labels, annotations) => {
    const kube = cluster(namespace('shop'));
    start(kube, { config });
    await waitFor(
      () => Object.keys(labelsOf(kube, 'shop')).length + Object.keys(annotationsOf(kube, 'shop')).length > 0,
    );
    expect([labelsOf(kube, 'shop'), annotationsOf(kube, 'shop')]).toEqual([labels, annotations]);
  });

  it("restores a mark someone removed, leaves an admin's opt-out alone, and rewrites nothing on resync", async () => {
    const kube = cluster(namespace('shop'), namespace('optout', { 'istio-injection': 'disabled' }));
    const { writes } = start(kube, { config: ISTIO, resyncIntervalMs: 20 });
    await waitFor(() => labelsOf(kube, 'shop')['istio-injection'] === 'enabled');
    relabel(kube, 'shop', {});
    await waitFor(() => labelsOf(kube, 'shop')['istio-injection'] === 'enabled');
    await pause(120); // several resyncs
    expect(labelsOf(kube, 'optout')).toEqual({ 'istio-injection': 'disabled' });
    expect(describeWrites(writes).filter((w) => w.includes('Namespace'))).toEqual([
      'replace Namespace /shop',
      'replace Namespace /shop',
    ]);
  });

  it('withholds the mark in audit namespaces, reports it, and never takes a mark back', async () => {
    const kube = cluster(namespace('shop'), namespace('trial', { 'ztgate.dev/mode': 'audit' }));
    const { logs } = start(kube, { config: ISTIO });
    await waitFor(() => labelsOf(kube, 'shop')['istio-injection'] === 'enabled');
    await waitFor(() =>
      logs.some((line) => line.message === WITHHELD && line.fields['namespace'] === 'trial'),
    );
    const trial = logs.filter((line) => line.message === WITHHELD && line.fields['namespace'] === 'trial');
    expect(trial.map((line) => line.fields['controller'])).toContain('mesh-enrolment');
    expect(
      trial.find((line) => line.fields['controller'] === 'mesh-enrolment')?.fields['wouldCreate'],
    ).toEqual(['Namespace/trial']);
    // shop goes to audit: its default deny and PeerAuthentication go, its mark stays.
    await waitFor(() => kube.get(PA, 'shop', 'ztgate-strict-mtls') !== undefined);
    relabel(kube, 'shop', { ...labelsOf(kube, 'shop'), 'ztgate.dev/mode': 'audit' });
    await waitFor(
      () =>
        kube.get(PA, 'shop', 'ztgate-strict-mtls') === undefined && policyNames(kube, 'shop').length === 0,
    );
    expect(labelsOf(kube, 'shop')['istio-injection']).toBe('enabled');
  });
});

describe('strict-mtls controller', () => {
  it('creates a namespace-wide STRICT PeerAuthentication in every enforced namespace, none elsewhere', async () => {
    const kube = cluster(
      namespace('shop'),
      namespace('trial', { 'ztgate.dev/mode': 'audit' }),
      namespace('kube-system'),
    );
    start(kube, { config: ISTIO });
    await waitFor(() => kube.get(PA, 'shop', 'ztgate-strict-mtls') !== undefined);
    expect(kube.get(PA, 'shop', 'ztgate-strict-mtls')).toMatchObject({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'ztgate' } },
      spec: { mtls: { mode: 'STRICT' } },
    });
    await pause(50);
    expect([
      kube.get(PA, 'trial', 'ztgate-strict-mtls'),
      kube.get(PA, 'kube-system', 'ztgate-strict-mtls'),
    ]).toEqual([undefined, undefined]);
  });

  it('re-creates it when deleted and restores STRICT when someone relaxes it', async () => {
    const kube = cluster(namespace('shop'));
    const { writes } = start(kube, { config: AMBIENT, resyncIntervalMs: 30 });
    await waitFor(() => kube.get(PA, 'shop', 'ztgate-strict-mtls') !== undefined);
    kube.remove(PA, 'shop', 'ztgate-strict-mtls');
    await waitFor(() => kube.get(PA, 'shop', 'ztgate-strict-mtls') !== undefined);
    const current = kube.get(PA, 'shop', 'ztgate-strict-mtls')!;
    await kube.request('PUT', PA_PATH('shop', 'ztgate-strict-mtls'), {
      body: { ...current, spec: { mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } } },
    });
    await waitFor(() => writes.filter((w) => w.kind === 'PeerAuthentication').length === 3);
    await pause(100);
    expect(describeWrites(writes).filter((w) => w.includes('PeerAuthentication'))).toEqual([
      'create PeerAuthentication shop/ztgate-strict-mtls',
      'create PeerAuthentication shop/ztgate-strict-mtls',
      'replace PeerAuthentication shop/ztgate-strict-mtls',
    ]);
    expect(kube.get(PA, 'shop', 'ztgate-strict-mtls')?.['spec']).toEqual({ mtls: { mode: 'STRICT' } });
  });

  it.each<[string, ZtgateConfig]>([
    ['Linkerd (its STRICT is the namespace default inbound policy)', LINKERD],
    ['createStrictPeerAuthentication: false', mesh({ createStrictPeerAuthentication: false })],
  ])('writes no PeerAuthentication under %s', async (_name, config) => {
    const kube = cluster(namespace('shop'));
    start(kube, { config });
    await waitFor(() => policyNames(kube, 'shop').length === 3);
    await pause(50);
    expect(kube.calls.filter((call) => call.path.includes('peerauthentications'))).toEqual([]);
  });
});

describe("the default deny's mesh companion", () => {
  // The content is the core's (buildMeshControlPlanePolicy, tested with the fixes); here: that the
  // controller writes it, in the right place, before the deny.
  const reach = (spec: unknown): unknown => {
    const rules =
      (spec as { egress?: { ports: { port: number }[] }[]; ingress?: { from: unknown[] }[] }) ?? {};
    return (
      rules.egress?.map((rule) => rule.ports.map((port) => port.port)) ?? rules.ingress?.map((r) => r.from)
    );
  };
  it.each<[string, ZtgateConfig, unknown]>([
    ['Istio: egress to istiod on 15012', ISTIO, [[15012]]],
    [
      'Linkerd: identity on 8080, destination and policy on 8086 and 8090',
      mesh({ provider: 'linkerd', controlPlaneNamespace: 'l5d' }),
      [[8080], [8086, 8090]],
    ],
    [
      "ambient: the kubelet's probes, which istio-cni SNATs to 169.254.7.127",
      AMBIENT,
      [[{ ipBlock: { cidr: '169.254.7.127/32' } }]],
    ],
  ])('%s, created before the deny', async (_name, config, expected) => {
    const kube = cluster(namespace('shop'));
    const { writes } = start(kube, {
      config: { ...config, mesh: { ...config.mesh, createStrictPeerAuthentication: false } },
    });
    await waitFor(() => policyNames(kube, 'shop').length === 3);
    const spec = kube.get(NP, 'shop', 'ztgate-allow-mesh')?.['spec'];
    expect(spec).toEqual(buildMeshControlPlanePolicy(config, 'shop')?.spec);
    expect(reach(spec)).toEqual(expected);
    expect(describeWrites(writes).filter((w) => w.includes('NetworkPolicy'))).toEqual([
      'create NetworkPolicy shop/ztgate-allow-dns',
      'create NetworkPolicy shop/ztgate-allow-mesh',
      'create NetworkPolicy shop/ztgate-default-deny',
    ]);
  });

  it('is removed after the deny when the namespace goes to audit', async () => {
    const kube = cluster(namespace('shop'));
    const { writes } = start(kube, { config: mesh({ createStrictPeerAuthentication: false }) });
    await waitFor(() => policyNames(kube, 'shop').length === 3);
    relabel(kube, 'shop', { ...labelsOf(kube, 'shop'), 'ztgate.dev/mode': 'audit' });
    await waitFor(() => policyNames(kube, 'shop').length === 0);
    expect(describeWrites(writes).filter((w) => w.startsWith('delete'))).toEqual([
      'delete NetworkPolicy shop/ztgate-default-deny',
      'delete NetworkPolicy shop/ztgate-allow-mesh',
      'delete NetworkPolicy shop/ztgate-allow-dns',
    ]);
  });

  it('is not created under the builtin injector', async () => {
    const kube = cluster(namespace('shop'));
    start(kube, {
      config: { ...BUILTIN_CONFIG, sidecar: { ...BUILTIN_CONFIG.sidecar, distributeTrustBundle: false } },
    });
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    await pause(30);
    expect(policyNames(kube, 'shop')).toEqual(['ztgate-allow-dns', 'ztgate-default-deny']);
  });
});

describe('mesh-injector check', () => {
  const gauge = async (registry: Registry): Promise<string | undefined> =>
    (await registry.metrics()).split('\n').find((line) => line.startsWith('ztgate_mesh_injector_present{'));
  const missing = (logs: readonly LogLine[]) =>
    logs.filter((line) => line.fields['condition'] === 'injector-missing');

  it('warns once while the injector is missing, reads 0 on leader and follower, and 1 once it is installed', async () => {
    const kube = cluster(namespace('shop'));
    const leader = start(kube, { config: ISTIO, identity: 'a', resyncIntervalMs: 20 });
    await waitFor(() => leader.controllers.isLeader());
    const follower = start(kube, { config: ISTIO, identity: 'b' });
    const [leaderMetrics, followerMetrics] = [new Registry(), new Registry()];
    registerControllerMetrics(leaderMetrics, leader.controllers, ISTIO);
    registerControllerMetrics(followerMetrics, follower.controllers, ISTIO);
    await waitFor(() => missing(leader.logs).length === 1);
    await pause(100); // several resyncs: one warning, not one per resync
    expect(missing(leader.logs).map((line) => [line.level, line.message, line.fields['names']])).toEqual([
      [
        'warn',
        'the istio injector is not installed (no MutatingWebhookConfiguration istio-sidecar-injector or istio-revision-tag-default): new pods in enforced namespaces get no istio proxy, and ztgate refuses them; install istio or set mesh.provider to the mesh you run',
        ['istio-sidecar-injector', 'istio-revision-tag-default'],
      ],
    ]);
    expect(missing(follower.logs)).toEqual([]);
    expect([await gauge(leaderMetrics), await gauge(followerMetrics)]).toEqual([
      'ztgate_mesh_injector_present{provider="istio"} 0',
      'ztgate_mesh_injector_present{provider="istio"} 0',
    ]);
    kube.seed(HOOKS, istioInjectorWebhooks(''));
    await waitFor(() => leader.controllers.activeConditions().length === 0);
    expect(missing(leader.logs).map((line) => [line.level, line.message])).toContainEqual([
      'info',
      'controller condition cleared',
    ]);
    expect([await gauge(leaderMetrics), await gauge(followerMetrics)]).toEqual([
      'ztgate_mesh_injector_present{provider="istio"} 1',
      'ztgate_mesh_injector_present{provider="istio"} 1',
    ]);
  });

  it('reads every injector object by name, never the whole kind', async () => {
    const kube = cluster(namespace('shop'));
    kube.seed(HOOKS, deactivatedIstioInjector());
    kube.seed(HOOKS, {
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'someone-elses' },
      webhooks: [],
    });
    const { controllers } = start(kube, { config: ISTIO });
    await waitFor(() => controllers.activeConditions().includes('mesh-injector/injector-missing'));
    const reads = kube.calls.filter((call) => call.path.includes('mutatingwebhookconfigurations'));
    expect(new Set(reads.map((call) => call.query?.['fieldSelector']))).toEqual(
      new Set(['metadata.name=istio-sidecar-injector', 'metadata.name=istio-revision-tag-default']),
    );
    // The deactivated default injector is there, and still no injector selects enrolled pods.
    expect(controllers.currentConditions('mesh-injector')?.[0]?.message).toContain('selects no pod');
  });

  it("finds ambient's ztunnel DaemonSet in the control-plane namespace", async () => {
    const kube = cluster(namespace('shop'));
    const registry = new Registry();
    const { controllers } = start(kube, { config: AMBIENT });
    registerControllerMetrics(registry, controllers, AMBIENT);
    await waitFor(() => controllers.activeConditions().length === 1);
    kube.seed(DS, ztunnelDaemonSet());
    await waitFor(() => controllers.activeConditions().length === 0);
    expect(await gauge(registry)).toBe('ztgate_mesh_injector_present{provider="istio-ambient"} 1');
  });

  it('has no gauge and no watch under the builtin injector', async () => {
    const kube = cluster(namespace('shop'));
    const registry = new Registry();
    const { controllers } = start(kube, { config: BUILTIN_CONFIG });
    registerControllerMetrics(registry, controllers, BUILTIN_CONFIG);
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    expect(await gauge(registry)).toBeUndefined();
    expect(kube.calls.filter((call) => call.path.includes('mutatingwebhookconfigurations'))).toEqual([]);
  });
});
