import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ResourceSpec } from '../../../src/adapters/kube/resources.js';
import type { ViewPublication } from '../../../src/adapters/view-source.js';
import {
  namespaceMarks,
  ownedObject,
  registerControllerMetrics,
  unwanted,
  type Controller,
} from '../../../src/controllers/index.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import type { ClusterView } from '../../../src/policy/types.js';
import { FakeKube, waitFor } from '../../adapters/kube/fake-kube.js';
import { describeWrites, namespace, pause, start } from '../support.js';

// Controllers other engineers will write, reduced to their shape: enrolment marks on a Namespace,
// a custom resource in a fixed namespace, a cluster-scoped report, a condition on a watched object.
const NS = 'v1/namespaces';
const PEER_AUTHENTICATIONS: ResourceSpec = {
  group: 'security.istio.io',
  version: 'v1beta1',
  plural: 'peerauthentications',
  kind: 'PeerAuthentication',
  namespaced: true,
};
const CLUSTER_REPORTS: ResourceSpec = {
  group: 'wgpolicyk8s.io',
  version: 'v1alpha2',
  plural: 'clusterpolicyreports',
  kind: 'ClusterPolicyReport',
  namespaced: false,
};
const WEBHOOKS: ResourceSpec = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'mutatingwebhookconfigurations',
  kind: 'MutatingWebhookConfiguration',
  namespaced: false,
};
const PA = 'security.istio.io/v1beta1/peerauthentications';
const REPORTS = 'wgpolicyk8s.io/v1alpha2/clusterpolicyreports';
const HOOKS = 'admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const NO_BUILTINS: ZtgateConfig = {
  ...DEFAULT_CONFIG,
  defaultDeny: { ...DEFAULT_CONFIG.defaultDeny, create: false },
  sidecar: { ...DEFAULT_CONFIG.sidecar, distributeTrustBundle: false },
};

const enrolment: Controller = {
  name: 'enrolment',
  owns: [],
  watches: [],
  desired: (ns) => [namespaceMarks(ns.name, { enforcing: true, labels: { 'istio-injection': 'enabled' } })],
};

const strictMtls: Controller = {
  name: 'strict-mtls',
  owns: [PEER_AUTHENTICATIONS, CLUSTER_REPORTS],
  watches: [
    {
      name: 'injector',
      resource: WEBHOOKS,
      fieldSelector: 'metadata.name=istio-sidecar-injector',
      requeue: 'all',
    },
  ],
  desiredCluster: () => [
    ownedObject({
      resource: PEER_AUTHENTICATIONS,
      object: {
        apiVersion: 'security.istio.io/v1beta1',
        kind: 'PeerAuthentication',
        metadata: { name: 'ztgate-strict', namespace: 'istio-system' },
        spec: { mtls: { mode: 'STRICT' } },
      },
      enforcing: true,
      content: ['spec'],
      sameContent: (existing, desired) =>
        JSON.stringify(existing['spec']) === JSON.stringify(desired['spec']),
    }),
    ownedObject({
      resource: CLUSTER_REPORTS,
      object: {
        apiVersion: 'wgpolicyk8s.io/v1alpha2',
        kind: 'ClusterPolicyReport',
        metadata: { name: 'ztgate' },
        results: [],
      },
      enforcing: false,
      content: ['results'],
      sameContent: (existing, desired) =>
        JSON.stringify(existing['results']) === JSON.stringify(desired['results']),
    }),
  ],
  conditions: (context) => {
    const injector = context.watched('injector');
    if (!injector.synced() || injector.get('', 'istio-sidecar-injector') !== undefined) return [];
    return [
      { key: 'injector-missing', message: 'the mesh injector is not installed', fields: { mesh: 'istio' } },
    ];
  },
};

function served(): FakeKube {
  const kube = new FakeKube();
  for (const resource of [PA, REPORTS, HOOKS]) kube.served.add(resource);
  return kube;
}

describe('startControllers: kinds beyond NetworkPolicy and ConfigMap', () => {
  it('holds enrolment labels on enforced namespaces only, and takes none back on the way to audit', async () => {
    const kube = served();
    kube.seed(NS, namespace('shop', { team: 'a' }));
    kube.seed(NS, namespace('legacy', { 'ztgate.dev/mode': 'audit' }));
    const { writes, logs } = start(kube, {
      config: NO_BUILTINS,
      controllers: [enrolment],
      resyncIntervalMs: 20,
    });
    const labels = (ns: string) => (kube.get(NS, '', ns)?.['metadata'] as { labels: object }).labels;
    await waitFor(() => writes.length === 1);
    await pause(100); // several resyncs: an applied mark is not rewritten
    expect([labels('shop'), labels('legacy')]).toEqual([
      { team: 'a', 'istio-injection': 'enabled' },
      { 'ztgate.dev/mode': 'audit' },
    ]);
    expect(describeWrites(writes)).toEqual(['replace Namespace /shop']);
    const withheld = logs.find((line) => line.fields['controller'] === 'enrolment' && line.level === 'warn');
    expect(withheld?.fields['wouldCreate']).toEqual(['Namespace/legacy']);
    // Going to audit: marks on someone else's object are withheld, never reverted.
    kube.seed(NS, {
      ...kube.get(NS, '', 'shop'),
      metadata: { name: 'shop', labels: { ...labels('shop'), 'ztgate.dev/mode': 'audit' } },
    });
    await pause(100);
    expect([writes.length, labels('shop')]).toEqual([
      1,
      { team: 'a', 'istio-injection': 'enabled', 'ztgate.dev/mode': 'audit' },
    ]);
  });

  it('writes a custom resource in a fixed namespace and a cluster-scoped report from the cluster-wide pass', async () => {
    const kube = served();
    kube.seed(HOOKS, { kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-sidecar-injector' } });
    const { writes } = start(kube, { config: NO_BUILTINS, controllers: [strictMtls], resyncIntervalMs: 20 });
    await waitFor(() => writes.length === 2);
    await pause(100);
    expect(describeWrites(writes)).toEqual([
      'create PeerAuthentication istio-system/ztgate-strict',
      'create ClusterPolicyReport /ztgate',
    ]);
    expect(kube.get(PA, 'istio-system', 'ztgate-strict')).toMatchObject({
      spec: { mtls: { mode: 'STRICT' } },
    });
  });

  it('withholds cluster-wide enforcing objects in audit mode but writes the rest', async () => {
    const kube = served();
    const { writes, logs } = start(kube, {
      config: { ...NO_BUILTINS, mode: 'audit' },
      controllers: [strictMtls],
    });
    await waitFor(() => writes.length === 1);
    expect(describeWrites(writes)).toEqual(['create ClusterPolicyReport /ztgate']);
    const withheld = logs.find((line) => line.message.startsWith('audit mode: ztgate withholds'));
    expect(withheld?.fields).toEqual({
      controller: 'strict-mtls',
      scope: 'cluster',
      mode: 'audit',
      reason: 'config mode: audit',
      wouldCreate: ['PeerAuthentication/istio-system/ztgate-strict'],
    });
  });

  it('logs a condition once while it stands, once when it clears, and exposes it as a gauge', async () => {
    const kube = served();
    const { logs, controllers } = start(kube, {
      config: NO_BUILTINS,
      controllers: [strictMtls],
      resyncIntervalMs: 20,
    });
    const registry = new Registry();
    registerControllerMetrics(registry, controllers, NO_BUILTINS);
    await waitFor(() => controllers.activeConditions().length === 1);
    await pause(100);
    expect(await registry.metrics()).toContain(
      'ztgate_controller_condition{controller="strict-mtls",condition="injector-missing"} 1',
    );
    kube.seed(HOOKS, { kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-sidecar-injector' } });
    await waitFor(() => controllers.activeConditions().length === 0);
    const lines = logs.filter((line) => line.fields['condition'] === 'injector-missing');
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'the mesh injector is not installed'],
      ['info', 'controller condition cleared'],
    ]);
    expect(await registry.metrics()).not.toContain('injector-missing');
  });
});

describe('startControllers: the queue', () => {
  it('retries a namespace with backoff while the API server fails, then converges', async () => {
    const kube = served();
    kube.seed(NS, namespace('shop'));
    const original = kube.request.bind(kube);
    let failures = 3;
    kube.request = async (method, path, options) => {
      if (method === 'GET' && path === '/api/v1/namespaces/shop' && failures-- > 0) {
        throw new Error('connection reset');
      }
      return original(method, path, options);
    };
    const { writes, logs } = start(kube, { config: NO_BUILTINS, controllers: [enrolment] });
    await waitFor(() => writes.length === 1, 3000);
    const retried = logs
      .filter((line) => line.message === 'reconcile failed; retrying')
      .map((line) => line.fields['namespace']);
    expect(retried).toEqual(['shop', 'shop', 'shop']);
  });

  it('deletes what a controller declares unwanted, only when ztgate made it', async () => {
    const kube = served();
    kube.seed(NS, namespace('shop'));
    const managed = { 'app.kubernetes.io/managed-by': 'ztgate' };
    kube.seed(PA, {
      kind: 'PeerAuthentication',
      metadata: { name: 'old', namespace: 'shop', labels: managed },
    });
    kube.seed(PA, { kind: 'PeerAuthentication', metadata: { name: 'theirs', namespace: 'shop' } });
    const cleanup: Controller = {
      name: 'cleanup',
      owns: [PEER_AUTHENTICATIONS],
      watches: [],
      desired: (ns) => ['old', 'theirs'].map((name) => unwanted(PEER_AUTHENTICATIONS, ns.name, name)),
    };
    const { writes } = start(kube, { config: NO_BUILTINS, controllers: [cleanup] });
    await waitFor(() => writes.length === 1);
    await pause(50);
    expect([describeWrites(writes), kube.get(PA, 'shop', 'theirs') !== undefined]).toEqual([
      ['delete PeerAuthentication shop/old'],
      true,
    ]);
  });

  it('looks at a namespace again when asked (a trigger beyond its own watches)', async () => {
    const kube = served();
    kube.seed(NS, namespace('shop'));
    let wanted = false;
    const external: Controller = {
      ...enrolment,
      desired: (ns) => (wanted ? enrolment.desired!(ns, undefined as never) : []),
    };
    const { writes, controllers } = start(kube, { config: NO_BUILTINS, controllers: [external] });
    await waitFor(() => controllers.isLeader());
    await pause(50);
    wanted = true;
    controllers.enqueue('shop');
    await waitFor(() => writes.length === 1);
  });

  it('reconciles the namespaces a published view touched, and every one after a relist', async () => {
    const kube = served();
    for (const name of ['a', 'b', 'c']) kube.seed(NS, namespace(name));
    let publish: (publication: ViewPublication) => void = () => undefined;
    const snapshot = { view: {} as ClusterView, objectsIn: () => [], changedAt: () => 0 };
    const seen: string[] = [];
    const reader: Controller = {
      name: 'reader',
      owns: [],
      watches: [],
      readsView: true,
      desired: (ns, context) => {
        if (context.view() === snapshot) seen.push(ns.name);
        return [];
      },
    };
    const { controllers } = start(kube, {
      config: NO_BUILTINS,
      controllers: [reader],
      view: {
        snapshot: () => snapshot,
        onPublish: (listener) => {
          publish = listener;
          return () => undefined;
        },
      },
    });
    await waitFor(() => controllers.isLeader() && seen.length === 3);
    seen.length = 0;
    publish({ snapshot, touched: new Set(['b']) });
    await pause(50);
    expect(seen).toEqual(['b']);
    publish({ snapshot, touched: 'all' });
    await waitFor(() => seen.length === 4);
    expect(seen.slice(1).sort()).toEqual(['a', 'b', 'c']);
  });

  it('posts a record once a term, counts one already there (409) as posted, and paces posts', async () => {
    const kube = served();
    kube.served.add('v1/events');
    kube.seed(NS, namespace('shop'));
    kube.seed('v1/events', { kind: 'Event', metadata: { name: 'old', namespace: 'shop' } });
    const EVENT = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true } as const;
    const poster: Controller = {
      name: 'poster',
      owns: [],
      watches: [],
      desired: (ns) =>
        ['old', 'e1', 'e2', 'e3'].map((name) => ({
          action: 'post' as const,
          resource: EVENT,
          namespace: ns.name,
          name,
          body: { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: ns.name } },
        })),
    };
    const { writes, logs } = start(kube, {
      config: NO_BUILTINS,
      controllers: [poster],
      resyncIntervalMs: 20,
      postRate: { perSecond: 20, burst: 2 },
    });
    await waitFor(() => writes.length === 1);
    expect(describeWrites(writes)).toEqual(['create Event shop/e1']);
    // The rest come back when the rate allows, without waiting for the next resync.
    await waitFor(() => writes.length === 3, 1000);
    await pause(150);
    const posts = kube.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/events'));
    expect([describeWrites(writes).slice(1), posts.length]).toEqual([
      ['create Event shop/e2', 'create Event shop/e3'],
      4,
    ]);
    expect(logs.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('watches an optional owned resource only once it is served, and tells the controller', async () => {
    const kube = served();
    kube.served.delete(PA);
    kube.seed(NS, namespace('shop'));
    const answers: (boolean | undefined)[] = [];
    const optional: Controller = {
      name: 'optional',
      owns: [PEER_AUTHENTICATIONS],
      optionalOwns: [PA],
      watches: [],
      desired: (_ns, context) => {
        answers.push(context.serves(PEER_AUTHENTICATIONS));
        return [];
      },
    };
    const { logs, controllers } = start(kube, { config: NO_BUILTINS, controllers: [optional] });
    await waitFor(() => controllers.isLeader() && answers.includes(false));
    await pause(100);
    const watched = () => kube.calls.filter((call) => call.path.includes('peerauthentications'));
    expect([watched(), logs.filter((line) => line.level === 'warn')]).toEqual([[], []]);
    kube.served.add(PA);
    await waitFor(() => answers.at(-1) === true);
    await waitFor(() => watched().some((call) => call.method === 'WATCH'));
  });
});
