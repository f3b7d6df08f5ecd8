import type { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { listClusterObjects } from '../../src/adapters/kube/list-cluster.js';
import { silentLogger } from '../../src/adapters/kube/logger.js';
import { createKubeViewSource } from '../../src/adapters/kube/view-source.js';
import type { ViewSource } from '../../src/adapters/view-source.js';
import { EVENT_SETTLE_MS } from '../../src/controllers/background-audit.js';
import { backgroundAuditController, registerControllerMetrics } from '../../src/controllers/index.js';
import { buildPolicyReports } from '../../src/policy/audit/policy-report.js';
import { scanClusterView } from '../../src/policy/audit/scan.js';
import { createClusterView } from '../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../src/policy/config.js';
import { judgeInjector } from '../../src/policy/mesh/injector.js';
import { readMeshInjector } from '../../src/adapters/kube/read-injector.js';
import { FakeKube, waitFor, type Call } from '../adapters/kube/fake-kube.js';
import { BUILTIN_CONFIG } from '../support/builtin-config.js';
import { istioInjectorWebhooks } from '../support/mesh-webhooks.js';
import { namespace, pause, start, type StartOptions } from './support.js';

const NS = 'v1/namespaces';
const SA = 'v1/serviceaccounts';
const NP = 'networking.k8s.io/v1/networkpolicies';
const DEPLOY = 'apps/v1/deployments';
const EVENTS = 'v1/events';
const PR = 'wgpolicyk8s.io/v1alpha2/policyreports';
const CPR = 'wgpolicyk8s.io/v1alpha2/clusterpolicyreports';
const REPORT = 'ztgate-audit';
// The audit alone: the default deny is the admin's here, so what the audit sees stays put. Under
// the builtin injector, so only the rules these tests are about speak (the mesh has its own below).
const CONFIG: ZtgateConfig = {
  ...BUILTIN_CONFIG,
  defaultDeny: { ...BUILTIN_CONFIG.defaultDeny, create: false },
  sidecar: { ...BUILTIN_CONFIG.sidecar, distributeTrustBundle: false },
};

const sources: ViewSource[] = [];
afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
});

function cluster(options: { crds?: boolean } = {}): FakeKube {
  const kube = new FakeKube();
  kube.served.add(EVENTS);
  if (options.crds !== false) for (const resource of [PR, CPR]) kube.served.add(resource);
  return kube;
}

const deployment = (ns: string, name: string, serviceAccountName?: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name, image: 'x:1' }] },
    },
  },
});
const denyAll = (ns: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny', namespace: ns },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
});
const allowList = (ns: string, app: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: `${app}-from-front`, namespace: ns },
  spec: {
    podSelector: { matchLabels: { app } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'front' } } }] }],
  },
});
/** A namespace with a default deny and one Deployment that runs as `default` with no allow-list. */
function seedShop(kube: FakeKube, ns = 'shop', labels: Record<string, string> = {}): void {
  kube.seed(NS, namespace(ns, labels));
  kube.seed(NP, denyAll(ns));
  kube.seed(DEPLOY, deployment(ns, 'web'));
}
/** What fixing `web` takes: its own ServiceAccount, set on the Deployment, and an allow-list. */
function fixShop(kube: FakeKube, ns = 'shop'): void {
  kube.seed(SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: ns } });
  kube.seed(NP, allowList(ns, 'web'));
  kube.seed(DEPLOY, deployment(ns, 'web', 'web'));
}

interface Result {
  rule: string;
  result: string;
  resources: { kind: string; name: string }[];
  properties?: Record<string, string>;
  timestamp: { seconds: number };
}
const results = (kube: FakeKube, ns = 'shop'): Result[] =>
  (kube.get(PR, ns, REPORT)?.['results'] as Result[] | undefined) ?? [];
const failed = (kube: FakeKube, ns = 'shop'): string[] =>
  results(kube, ns)
    .filter((r) => r.result === 'fail')
    .map((r) => `${r.resources[0]?.kind}/${r.resources[0]?.name} ${r.rule}`);
const uid = (object: Record<string, unknown>): string => (object['metadata'] as { uid: string }).uid;
const reportWrites = (kube: FakeKube): Call[] =>
  kube.writes().filter((call) => call.method !== 'WATCH' && call.path.includes('policyreports'));
const eventPosts = (kube: FakeKube): Call[] => kube.writes().filter((call) => call.path.endsWith('/events'));
interface EventBody {
  metadata: { name: string };
  involvedObject: { kind: string; name: string; uid: string };
  reason: string;
  type: string;
  message: string;
}
/** The Events ztgate posted in a namespace that the API server holds. */
const events = (kube: FakeKube, ns = 'shop'): EventBody[] =>
  eventPosts(kube)
    .filter((call) => call.path.includes(`/namespaces/${ns}/`))
    .map((call) => call.body as EventBody)
    .filter((body) => kube.get(EVENTS, ns, body.metadata.name) !== undefined);

function viewOf(kube: FakeKube, config: ZtgateConfig = CONFIG): ViewSource {
  const source = createKubeViewSource({
    kubeConfig: {} as KubeConfig,
    config,
    logger: silentLogger,
    rest: kube,
    debounceMs: 5,
  });
  sources.push(source);
  void source.start();
  return source;
}

function audit(kube: FakeKube, options: StartOptions = {}) {
  const config = options.config ?? CONFIG;
  return start(kube, { audit: true, view: viewOf(kube, config), ...options, config });
}

describe('background audit: reports', () => {
  it('writes each namespace its PolicyReport with the findings and fixes, and the ClusterPolicyReport', async () => {
    const kube = cluster();
    seedShop(kube);
    kube.seed(NS, namespace('quiet'));
    kube.seed(NP, denyAll('quiet'));
    kube.seed(NS, namespace('kube-system'));
    kube.seed(DEPLOY, deployment('kube-system', 'coredns'));
    audit(kube);
    await waitFor(() => failed(kube).length > 0 && kube.get(CPR, '', REPORT) !== undefined);
    expect(failed(kube)).toEqual([
      'Deployment/web allow-list-policy',
      'Deployment/web dedicated-service-account',
    ]);
    const report = kube.get(PR, 'shop', REPORT)!;
    expect(report).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'ztgate' } },
      scope: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' },
      summary: { fail: 2 },
    });
    const identity = results(kube).find((r) => r.rule === 'dedicated-service-account' && r.result === 'fail');
    expect(identity?.properties).toEqual({
      path: 'spec.template.spec.serviceAccountName',
      fix: expect.stringContaining('kind: ServiceAccount'),
    });
    // Passes are counted, not listed; the namespace's own result counts in its report.
    expect(results(kube).every((r) => r.result === 'fail')).toBe(true);
    expect((report['summary'] as { pass: number }).pass).toBeGreaterThan(10);
    await waitFor(() => kube.get(PR, 'quiet', REPORT) !== undefined);
    expect(kube.get(PR, 'quiet', REPORT)).toMatchObject({ summary: { fail: 0 }, results: [] });
    // Exempt namespaces get none.
    await pause(50);
    expect(kube.get(PR, 'kube-system', REPORT)).toBeUndefined();
  });

  it('rewrites nothing on a resync or a relist, clears a fixed finding, and rewrites only what changed', async () => {
    const kube = cluster();
    seedShop(kube);
    seedShop(kube, 'other');
    audit(kube, { resyncIntervalMs: 20 });
    await waitFor(() => failed(kube).length === 2 && failed(kube, 'other').length === 2);
    await pause(100);
    const written = reportWrites(kube).length;
    const watching = kube.watcherCount();
    kube.breakWatches(); // every watch relists: a new view of every namespace
    await waitFor(() => kube.watcherCount() === watching, 3000);
    await pause(200); // and several resyncs
    expect(reportWrites(kube).length).toBe(written);
    const before = results(kube, 'other');

    fixShop(kube);
    await waitFor(() => failed(kube).length === 0);
    const after = reportWrites(kube).slice(written);
    expect(after.map((call) => `${call.method} ${call.path}`)).toEqual([
      `PUT /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/${REPORT}`,
    ]);
    expect(results(kube, 'other')).toEqual(before);
  });

  it('reports what ztgate audit finds, from the same scan: a pod with a forged controller is judged, a real one is not', async () => {
    const kube = cluster();
    seedShop(kube);
    const web = kube.get(DEPLOY, 'shop', 'web')!;
    const owner = (kind: string, name: string, uid: string) => ({
      ownerReferences: [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }],
    });
    const template = (web['spec'] as { template: { spec: Record<string, unknown> } }).template;
    const replicaSet = kube.seed('apps/v1/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-7c9d8f', namespace: 'shop', ...owner('Deployment', 'web', uid(web)) },
      spec: { selector: { matchLabels: { app: 'web' } }, template },
    });
    const pod = (name: string, rs: string, rsUid: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop', labels: { app: 'web' }, ...owner('ReplicaSet', rs, rsUid) },
      spec: template.spec,
    });
    // Its controller exists with that uid: judged through the Deployment, as admission judged it.
    kube.seed('v1/pods', pod('web-7c9d8f-a1b2c', 'web-7c9d8f', uid(replicaSet)));
    // The Kubernetes garbage collector and the API server take any ownerReference as written: a
    // pod claiming a ReplicaSet that does not exist is nobody's, and is judged on its own.
    kube.seed('v1/pods', pod('web-5f6e7d-x2x9q', 'web-5f6e7d', 'forged-uid'));
    audit(kube);
    await waitFor(() => failed(kube).some((line) => line.startsWith('Pod/')));
    await waitFor(() => events(kube).some((event) => event.involvedObject.kind === 'Pod'));
    const brief = (list: readonly Result[]) =>
      list.map((r) => [r.resources[0]?.kind, r.resources[0]?.name, r.rule, r.result, r.properties?.['path']]);
    // What `ztgate audit` reads and judges: the cluster listed, one view, one scan.
    const listed = createClusterView(await listClusterObjects(kube), {
      istioRootNamespace: CONFIG.istioRootNamespace,
      serviceAccountsComplete: true,
    });
    const expected = buildPolicyReports(scanClusterView(listed, CONFIG), 0).find(
      (report) => (report['metadata'] as { namespace?: string }).namespace === 'shop',
    )!;
    expect(brief(results(kube))).toEqual(brief(expected['results'] as Result[]));
    expect(kube.get(PR, 'shop', REPORT)?.['summary']).toEqual(expected['summary']);
    const judged = results(kube).filter((r) => r.rule !== 'mtls-sidecar');
    expect(new Set(judged.map((r) => `${r.resources[0]?.kind}/${r.resources[0]?.name}`))).toEqual(
      new Set(['Deployment/web', 'Pod/web-5f6e7d-x2x9q']),
    );
    // The real pod is not judged as a workload; as a running pod it is checked for the proxy, which
    // it runs without (created before injection), as ztgate audit reports it.
    expect(
      results(kube)
        .filter((r) => r.resources[0]?.name === 'web-7c9d8f-a1b2c')
        .map((r) => r.rule),
    ).toEqual(['mtls-sidecar', 'mtls-sidecar']);
    expect(
      events(kube)
        .map((event) => event.involvedObject.name)
        .sort(),
    ).toEqual(['web', 'web-5f6e7d-x2x9q']);
  });

  it('keeps the timestamp of a result still found when the report is rewritten', async () => {
    let clock = 1_700_000_000_000;
    const kube = cluster();
    seedShop(kube);
    kube.seed(DEPLOY, deployment('shop', 'api'));
    const view = viewOf(kube);
    start(kube, {
      audit: true,
      view,
      config: CONFIG,
      controllers: [backgroundAuditController(CONFIG, { now: () => clock })],
    });
    await waitFor(() => failed(kube).length === 4);
    clock += 60_000;
    // An update (same uid) to a ServiceAccount that does not exist: a new finding beside an old one.
    const stored = kube.get(DEPLOY, 'shop', 'web')!;
    const changed = deployment('shop', 'web', 'web');
    await kube.request('PUT', '/apis/apps/v1/namespaces/shop/deployments/web', {
      body: {
        ...changed,
        metadata: {
          ...changed.metadata,
          resourceVersion: (stored['metadata'] as { resourceVersion: string }).resourceVersion,
        },
      },
    });
    await waitFor(
      () =>
        failed(kube).some((line) => line === 'Deployment/web dedicated-service-account') &&
        results(kube).some((r) => r.timestamp.seconds === 1_700_000_060),
    );
    const stamps = (name: string) =>
      results(kube)
        .filter((r) => r.resources[0]?.name === name)
        .map((r) => r.timestamp.seconds);
    // api's findings and web's allow-list finding are as before; web's identity finding is new.
    expect(new Set(stamps('api'))).toEqual(new Set([1_700_000_000]));
    const web = results(kube).filter((r) => r.resources[0]?.name === 'web');
    expect(web.map((r) => [r.rule, r.timestamp.seconds]).sort()).toEqual([
      ['allow-list-policy', 1_700_000_000],
      ['dedicated-service-account', 1_700_000_060],
    ]);
  });

  it('restores a report whose results were edited, and re-creates a deleted one', async () => {
    const kube = cluster();
    seedShop(kube);
    audit(kube);
    await waitFor(() => failed(kube).length === 2);
    const stored = kube.get(PR, 'shop', REPORT)!;
    kube.seed(PR, { ...stored, results: [], summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 } });
    await waitFor(() => failed(kube).length === 2);
    kube.remove(PR, 'shop', REPORT);
    await waitFor(() => failed(kube).length === 2);
  });

  it('reports an audit-mode namespace judged as if enforced, and removes its report when exempted', async () => {
    const kube = cluster();
    kube.seed(NS, namespace('rollout', { 'ztgate.dev/mode': 'audit' }));
    kube.seed(DEPLOY, deployment('rollout', 'web'));
    const config = { ...CONFIG, defaultDeny: BUILTIN_CONFIG.defaultDeny };
    audit(kube, { config, controllers: [backgroundAuditController(config)] });
    await waitFor(() => failed(kube, 'rollout').length > 0);
    // The default deny enforcing would create counts: no namespace-default-deny finding.
    expect(failed(kube, 'rollout')).toEqual([
      'Deployment/web allow-list-policy',
      'Deployment/web dedicated-service-account',
    ]);
    expect(
      results(kube, 'rollout')
        .filter((r) => r.result === 'warn')
        .map((r) => r.resources[0]?.name),
    ).toEqual(['ztgate-allow-dns', 'ztgate-default-deny']);
    kube.seed(NS, namespace('rollout', { 'ztgate.dev/exempt': 'true' }));
    await waitFor(() => kube.get(PR, 'rollout', REPORT) === undefined);
  });
});

describe('background audit: events', () => {
  it('posts one Warning Event per refused workload, none for a compliant one, and none again for the same findings', async () => {
    const kube = cluster();
    seedShop(kube);
    kube.seed(SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ok', namespace: 'shop' } });
    kube.seed(DEPLOY, deployment('shop', 'ok', 'ok'));
    kube.seed(NP, allowList('shop', 'ok'));
    audit(kube, { resyncIntervalMs: 20 });
    await waitFor(() => events(kube).length === 1);
    await pause(150); // resyncs
    const watching = kube.watcherCount();
    kube.breakWatches(); // a relist: every namespace judged again
    await waitFor(() => kube.watcherCount() === watching, 3000);
    await pause(100);
    expect(eventPosts(kube)).toHaveLength(1);
    const [event] = events(kube);
    const web = kube.get(DEPLOY, 'shop', 'web')!;
    expect(event).toMatchObject({
      reason: 'ZtgateViolation',
      type: 'Warning',
      involvedObject: { kind: 'Deployment', name: 'web', uid: (web['metadata'] as { uid: string }).uid },
    });
    expect(event!.message).toMatch(
      /^ztgate would refuse this Deployment if it were created now \(fixes: PolicyReport ztgate-audit in this namespace, or `ztgate audit`\): \[allow-list-policy\] spec\.template\.metadata\.labels: .*; \[dedicated-service-account\] spec\.template\.spec\.serviceAccountName: /,
    );
  });

  it('posts a new Event when the findings change, and none once they are gone', async () => {
    const kube = cluster();
    seedShop(kube);
    audit(kube);
    await waitFor(() => eventPosts(kube).length === 1);
    kube.seed(SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop' } });
    kube.seed(DEPLOY, deployment('shop', 'web', 'web')); // identity fixed; allow-list still missing
    await waitFor(() => eventPosts(kube).length === 2);
    expect((eventPosts(kube)[1]!.body as { message: string }).message).not.toContain(
      'dedicated-service-account',
    );
    kube.seed(NP, allowList('shop', 'web'));
    await waitFor(() => failed(kube).length === 0);
    await pause(100);
    expect(eventPosts(kube)).toHaveLength(2);
  });

  it('holds an Event back until the namespace has held still for a second: a state between two watches is never posted', async () => {
    // `kubectl apply` of a ServiceAccount, a policy and the Deployment using them is one request
    // per object, and ztgate watches each resource on a stream of its own: the view can be
    // published with the Deployment's change and not yet the policy's. Here the fix arrives in two
    // steps 300 ms apart; between them the Deployment lacks only its allow-list, a finding set of
    // its own that an Event (history, never taken back) would keep.
    const kube = cluster();
    seedShop(kube);
    audit(kube);
    await waitFor(() => eventPosts(kube).length === 1, 4000);
    kube.seed(SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop' } });
    kube.seed(DEPLOY, deployment('shop', 'web', 'web'));
    await waitFor(() => failed(kube).join() === 'Deployment/web allow-list-policy');
    await pause(300);
    kube.seed(NP, allowList('shop', 'web'));
    await waitFor(() => failed(kube).length === 0);
    await pause(EVENT_SETTLE_MS + 300);
    expect(eventPosts(kube)).toHaveLength(1);

    // Findings that hold are posted once the namespace has been still that long, not before.
    kube.seed(DEPLOY, deployment('shop', 'web')); // back to `default`
    const changed = Date.now();
    await waitFor(() => failed(kube).join() === 'Deployment/web dedicated-service-account');
    await pause(Math.max(0, EVENT_SETTLE_MS / 2 - (Date.now() - changed)));
    expect(eventPosts(kube)).toHaveLength(1);
    await waitFor(() => eventPosts(kube).length === 2, 4000);
    expect(Date.now() - changed).toBeGreaterThanOrEqual(EVENT_SETTLE_MS - 50);
    expect((eventPosts(kube)[1]!.body as { message: string }).message).toContain('dedicated-service-account');
  });

  it('posts a standing finding while the rest of the namespace keeps changing (pods come and go all day)', async () => {
    // The wait is counted per Event (per set of findings), not per namespace: a namespace where
    // something changes more often than once a second (a Job's pods, a scaling ReplicaSet, an
    // author touching a policy on purpose) would otherwise never get an Event for its refused
    // Deployment.
    const kube = cluster();
    seedShop(kube);
    audit(kube);
    let changes = 0;
    const churn = setInterval(() => {
      changes += 1;
      kube.seed(NP, allowList('shop', `other-${changes}`));
    }, 150);
    try {
      await waitFor(() => eventPosts(kube).length === 1, EVENT_SETTLE_MS + 3000);
    } finally {
      clearInterval(churn);
    }
    // The namespace changed several times inside the wait, and the Event went out all the same.
    expect(changes).toBeGreaterThanOrEqual(4);
    expect((eventPosts(kube)[0]!.body as { message: string }).message).toContain('dedicated-service-account');
  });

  it('paces Events: a burst, then the rest at the rate, none lost and none twice', async () => {
    const kube = cluster();
    kube.seed(NS, namespace('shop'));
    kube.seed(NP, denyAll('shop'));
    for (let index = 0; index < 6; index += 1) kube.seed(DEPLOY, deployment('shop', `w${index}`));
    const view = viewOf(kube);
    start(kube, {
      audit: true,
      view,
      config: CONFIG,
      postRate: { perSecond: 20, burst: 2 },
    });
    await waitFor(() => eventPosts(kube).length >= 2);
    expect(eventPosts(kube).length).toBeLessThan(6);
    await waitFor(() => eventPosts(kube).length === 6, 3000);
    await pause(200);
    expect(
      new Set(
        eventPosts(kube).map(
          (call) => (call.body as { involvedObject: { name: string } }).involvedObject.name,
        ),
      ).size,
    ).toBe(6);
  });
});

describe('background audit: replicas and CRDs', () => {
  it('lets a second replica write nothing, and a new leader rewrite and re-post nothing', async () => {
    const kube = cluster();
    seedShop(kube);
    const a = audit(kube, { identity: 'a' });
    await waitFor(
      () => a.controllers.isLeader() && failed(kube).length === 2 && eventPosts(kube).length === 1,
    );
    const b = audit(kube, { identity: 'b' });
    await pause(200);
    expect([b.controllers.isLeader(), b.writes]).toEqual([false, []]);
    const writes = kube.writes().filter((call) => !call.path.includes('/leases/')).length;
    await a.controllers.stop();
    await waitFor(() => b.controllers.isLeader());
    const others = (): number => kube.writes().filter((call) => !call.path.includes('/leases/')).length;
    // Its Event waits until the namespace has held still for EVENT_SETTLE_MS (counted from its first look).
    await waitFor(() => others() > writes, EVENT_SETTLE_MS + 2000);
    await pause(300);
    // The new leader judged everything: same reports, and its Event POSTs met the ones there (409).
    expect(b.writes).toEqual([]);
    const after = kube.writes().filter((call) => !call.path.includes('/leases/'));
    expect(after.slice(writes).map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /api/v1/namespaces/shop/events',
    ]);
  });

  it('without the PolicyReport CRDs: warns once, posts Events, and writes the reports once they are installed', async () => {
    const kube = cluster({ crds: false });
    seedShop(kube);
    const { controllers, logs } = audit(kube, { resyncIntervalMs: 20 });
    await waitFor(() => eventPosts(kube).length === 1);
    await pause(150);
    const warned = () => logs.filter((line) => line.fields['condition'] === 'policy-reports-missing');
    expect(warned().map((line) => [line.level, line.message])).toEqual([
      [
        'warn',
        'the PolicyReport CRDs (wgpolicyk8s.io/v1alpha2) are not installed: the audit posts Events and exports metrics, and writes its reports once they are',
      ],
    ]);
    expect(controllers.activeConditions()).toEqual(['background-audit/policy-reports-missing']);
    expect(kube.calls.filter((call) => call.path.includes('policyreports'))).toEqual([]);
    for (const resource of [PR, CPR]) kube.served.add(resource);
    await waitFor(() => failed(kube).length === 2);
    await waitFor(() => controllers.activeConditions().length === 0);
    expect(warned().map((line) => line.level)).toEqual(['warn', 'info']);
  });
});

describe('background audit: passes and metrics', () => {
  it('judges every namespace again each intervalSeconds and exports findings and the last full pass', async () => {
    let clock = 1_700_000_000_000;
    const kube = cluster();
    seedShop(kube);
    kube.seed(NS, namespace('quiet'));
    const config = { ...CONFIG, audit: { background: true, intervalSeconds: 60 } };
    const controller = backgroundAuditController(config, { now: () => clock });
    const { controllers } = start(kube, {
      audit: true,
      view: viewOf(kube, config),
      config,
      controllers: [controller],
      resyncIntervalMs: 20,
    });
    await waitFor(() => controller.status.lastFullPass() !== undefined);
    const first = controller.status.lastFullPass()!;
    await pause(100);
    expect(controller.status.lastFullPass()).toBe(first);
    clock += 61_000;
    await waitFor(() => controller.status.lastFullPass() !== first);
    expect(controller.status.lastFullPass()?.endedAt).toBe(clock);
    const registry = new Registry();
    registerControllerMetrics(registry, { ...controllers, audit: controller.status }, config);
    const text = await registry.metrics();
    expect(text).toContain('ztgate_audit_findings{namespace="shop",rule="dedicated-service-account"} 1');
    expect(text).toContain('ztgate_audit_findings{namespace="shop",rule="allow-list-policy"} 1');
    expect(text).toContain('ztgate_audit_findings{namespace="quiet",rule="namespace-default-deny"} 1');
    expect(text).toContain(`ztgate_audit_last_full_pass_timestamp_seconds ${clock / 1000}`);
    expect(text).toMatch(/ztgate_audit_full_pass_duration_seconds \d/);
  });
});

describe('background audit: the mesh', () => {
  const PA = 'security.istio.io/v1/peerauthentications';
  const DR = 'networking.istio.io/v1/destinationrules';
  const MWC = 'admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
  // Istio sidecars, the shipped default; the audit alone, so nothing enrols a namespace or makes it
  // STRICT behind the audit's back.
  const ISTIO: ZtgateConfig = {
    ...DEFAULT_CONFIG,
    defaultDeny: { ...DEFAULT_CONFIG.defaultDeny, create: false },
  };
  const peerAuthentication = (ns: string, name: string, mode: string) => ({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace: ns },
    spec: { mtls: { mode } },
  });
  function meshCluster(): FakeKube {
    const kube = cluster();
    for (const resource of [PA, DR, MWC]) kube.served.add(resource);
    return kube;
  }
  const meshAudit = (kube: FakeKube) =>
    audit(kube, { config: ISTIO, controllers: [backgroundAuditController(ISTIO)] });

  it('reports a namespace not enrolled and not STRICT, and clears each when fixed, the mesh-wide mode included', async () => {
    const kube = meshCluster();
    kube.seed(NS, namespace('shop'));
    kube.seed(NP, denyAll('shop'));
    meshAudit(kube);
    await waitFor(() => failed(kube).length > 0);
    expect(failed(kube)).toEqual(['Namespace/shop mesh-enrolment', 'Namespace/shop strict-mtls']);
    expect(results(kube).find((r) => r.rule === 'strict-mtls')).toMatchObject({
      message: 'the namespace-wide mTLS mode in force in shop is PERMISSIVE',
    });
    // Enrolled: the namespace's own change.
    kube.seed(NS, namespace('shop', { 'istio-injection': 'enabled' }));
    await waitFor(() => failed(kube).length === 1);
    expect(failed(kube)).toEqual(['Namespace/shop strict-mtls']);
    // STRICT mesh-wide: nothing in shop changed, the root namespace's PeerAuthentication did.
    kube.seed(PA, peerAuthentication('istio-system', 'default', 'STRICT'));
    await waitFor(() => failed(kube).length === 0);
    // Relaxed mesh-wide: shop inherits PERMISSIVE again; its own STRICT policy fixes it for good.
    kube.seed(PA, peerAuthentication('istio-system', 'default', 'PERMISSIVE'));
    await waitFor(() => failed(kube).length === 1);
    expect(failed(kube)).toEqual(['Namespace/shop strict-mtls']);
    kube.seed(PA, peerAuthentication('shop', 'strict', 'STRICT'));
    await waitFor(() => failed(kube).length === 0);
    expect(
      results(kube).filter((r) => r.result === 'fail'),
      'passes are counted, not listed',
    ).toEqual([]);
  });

  it('reports what ztgate audit reports for a mesh: unmeshed pods, mTLS settings, the namespace and the injector', async () => {
    const kube = meshCluster();
    kube.seed(NS, namespace('shop', { 'istio-injection': 'enabled' }));
    kube.seed(NP, denyAll('shop'));
    kube.seed(SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop' } });
    kube.seed(NP, allowList('shop', 'web'));
    const web = kube.seed(DEPLOY, deployment('shop', 'web', 'web'));
    const template = (web['spec'] as { template: { spec: Record<string, unknown> } }).template;
    const controlledBy = (kind: string, name: string, uid: string) => [
      { apiVersion: 'apps/v1', kind, name, uid, controller: true },
    ];
    const replicaSet = kube.seed('apps/v1/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-7c9d8f',
        namespace: 'shop',
        ownerReferences: controlledBy('Deployment', 'web', uid(web)),
      },
      spec: { selector: { matchLabels: { app: 'web' } }, template },
    });
    // Created before the namespace was enrolled: running without the proxy until restarted.
    kube.seed('v1/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-7c9d8f-a1b2c',
        namespace: 'shop',
        labels: { app: 'web' },
        ownerReferences: controlledBy('ReplicaSet', 'web-7c9d8f', uid(replicaSet)),
      },
      spec: template.spec,
    });
    kube.seed(PA, peerAuthentication('shop', 'loose', 'PERMISSIVE'));
    kube.seed(DR, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'plain', namespace: 'shop' },
      spec: { host: 'web', trafficPolicy: { tls: { mode: 'DISABLE' } } },
    });
    meshAudit(kube);
    await waitFor(
      () =>
        failed(kube).some((line) => line.startsWith('Pod/')) &&
        failed(kube).some((line) => line.startsWith('DestinationRule/')) &&
        kube.get(CPR, '', REPORT)?.['summary'] !== undefined &&
        (kube.get(CPR, '', REPORT)?.['summary'] as { fail: number }).fail > 0,
    );
    // What `ztgate audit` reads and judges: the cluster listed, one view, one scan, the injector read by name.
    const listed = createClusterView(await listClusterObjects(kube), {
      istioRootNamespace: ISTIO.istioRootNamespace,
      serviceAccountsComplete: true,
    });
    const injector = judgeInjector(ISTIO, await readMeshInjector(kube, ISTIO));
    const expected = buildPolicyReports(scanClusterView(listed, ISTIO, undefined, { injector }), 0);
    const brief = (list: readonly Result[]) =>
      list.map((r) => [r.resources[0]?.kind, r.resources[0]?.name, r.rule, r.result, r.properties?.['path']]);
    const shop = expected.find(
      (report) => (report['metadata'] as { namespace?: string }).namespace === 'shop',
    )!;
    const clusterReport = expected.find((report) => report.kind === 'ClusterPolicyReport')!;
    expect(brief(results(kube))).toEqual(brief(shop['results'] as Result[]));
    expect(kube.get(PR, 'shop', REPORT)?.['summary']).toEqual(shop['summary']);
    expect(brief(kube.get(CPR, '', REPORT)?.['results'] as Result[])).toEqual(
      brief(clusterReport['results'] as Result[]),
    );
    // The mesh findings are there (ztgate audit's equality alone would hold with none).
    expect(failed(kube)).toEqual([
      'Namespace/shop strict-mtls',
      // The Deployment itself: admission would refuse it where mTLS is not STRICT.
      'Deployment/web strict-mtls',
      'DestinationRule/plain strict-mtls',
      'PeerAuthentication/loose strict-mtls',
      'Pod/web-7c9d8f-a1b2c mtls-sidecar',
      'Pod/web-7c9d8f-a1b2c mtls-sidecar',
    ]);
    expect(brief(kube.get(CPR, '', REPORT)?.['results'] as Result[])).toEqual([
      ['MutatingWebhookConfiguration', 'istio-sidecar-injector', 'mesh-enrolment', 'fail', undefined],
    ]);
    // Istio installed: the cluster report clears though the view did not change (the injector is
    // read through the mesh-injector check's watches, not the view).
    kube.seed(MWC, istioInjectorWebhooks(''));
    await waitFor(() => (kube.get(CPR, '', REPORT)?.['summary'] as { fail: number }).fail === 0);
    expect(kube.get(CPR, '', REPORT)?.['summary']).toMatchObject({ pass: 1, fail: 0 });
  });
});
