import { describe, expect, it } from 'vitest';
import { createClusterView } from '../../src/policy/cluster-view.js';
import type { ZtgateConfig } from '../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../support/builtin-config.js';
import { buildDesiredPolicies } from '../../src/policy/desired/index.js';
import { evaluate } from '../../src/policy/engine.js';
import { FakeKube, waitFor } from '../adapters/kube/fake-kube.js';
import { describeWrites, namespace, pause, start } from './support.js';

const NP = 'networking.k8s.io/v1/networkpolicies';
const NS = 'v1/namespaces';
const NP_PATH = (ns: string, name = '') =>
  `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies${name ? `/${name}` : ''}`;
const NO_BUNDLE: ZtgateConfig = {
  ...BUILTIN_CONFIG,
  sidecar: { ...BUILTIN_CONFIG.sidecar, distributeTrustBundle: false },
};
const AUDIT: ZtgateConfig = { ...NO_BUNDLE, mode: 'audit' };
const policyNames = (kube: FakeKube, ns: string) =>
  ['ztgate-default-deny', 'ztgate-allow-dns'].filter((name) => kube.get(NP, ns, name) !== undefined);
const WITHHELD = 'namespace not enforced: ztgate withholds what enforcing would create';
const relabel = (kube: FakeKube, name: string, labels: Record<string, string>) => {
  const current = kube.get(NS, '', name)!;
  kube.seed(NS, { ...current, metadata: { ...(current['metadata'] as object), labels } });
};

describe('default-deny controller: enforced namespaces', () => {
  it('creates the DNS allowance, then the deny, in every enforced namespace and in a new one', async () => {
    const kube = new FakeKube();
    for (const ns of ['shop', 'kube-system', 'ztgate-system']) kube.seed(NS, namespace(ns));
    kube.seed(NS, namespace('leaving', {}, 'Terminating'));
    const { writes } = start(kube, { config: NO_BUNDLE });
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    kube.seed(NS, namespace('new'));
    await waitFor(() => policyNames(kube, 'new').length === 2);
    expect(['kube-system', 'ztgate-system', 'leaving'].map((ns) => policyNames(kube, ns))).toEqual([
      [],
      [],
      [],
    ]);
    expect(kube.get(NP, 'shop', 'ztgate-default-deny')).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'ztgate' } },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    // Allowance first: the namespace never holds a deny without its DNS.
    expect(describeWrites(writes)).toEqual([
      'create NetworkPolicy shop/ztgate-allow-dns',
      'create NetworkPolicy shop/ztgate-default-deny',
      'create NetworkPolicy new/ztgate-allow-dns',
      'create NetworkPolicy new/ztgate-default-deny',
    ]);
  });

  it('re-creates a deleted policy, restores an edited one, and leaves identical ones alone', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('shop'));
    const { writes } = start(kube, { config: NO_BUNDLE, resyncIntervalMs: 30 });
    await waitFor(() => writes.length === 2);
    kube.remove(NP, 'shop', 'ztgate-default-deny');
    await waitFor(() => writes.length === 3);
    const current = kube.get(NP, 'shop', 'ztgate-allow-dns')!;
    await kube.request('PUT', NP_PATH('shop', 'ztgate-allow-dns'), {
      body: { ...current, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] } },
    });
    await waitFor(() => writes.length === 4);
    await pause(150); // several resyncs: nothing more is written
    expect(describeWrites(writes).slice(2)).toEqual([
      'create NetworkPolicy shop/ztgate-default-deny',
      'replace NetworkPolicy shop/ztgate-allow-dns',
    ]);
    expect(kube.get(NP, 'shop', 'ztgate-allow-dns')?.['spec']).toEqual(current['spec']);
    const policyWrites = kube
      .writes()
      .filter((call) => call.method !== 'WATCH' && call.path.includes('networkpolicies'));
    expect(policyWrites).toHaveLength(5);
  });

  it('treats a policy someone else created first (409) as no error', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('shop'));
    const original = kube.request.bind(kube);
    let raced = false;
    kube.request = async (method, path, options) => {
      if (method === 'POST' && path.endsWith('/networkpolicies') && !raced) {
        raced = true;
        await original('POST', path, options);
      }
      return original(method, path, options);
    };
    const { writes } = start(kube, { config: NO_BUNDLE });
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    await pause(50);
    expect(writes.map((write) => write.name)).toEqual(['ztgate-default-deny']);
  });

  it('does nothing when defaultDeny.create and sidecar.distributeTrustBundle are both false', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('shop'));
    start(kube, { config: { ...NO_BUNDLE, defaultDeny: { ...NO_BUNDLE.defaultDeny, create: false } } });
    await pause(50);
    expect(kube.calls).toEqual([]);
  });

  it('lets only the leader write when two replicas run', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('shop'));
    const a = start(kube, { config: NO_BUNDLE, identity: 'a' });
    await waitFor(() => a.controllers.isLeader());
    const b = start(kube, { config: NO_BUNDLE, identity: 'b' });
    kube.seed(NS, namespace('second'));
    await waitFor(() => policyNames(kube, 'second').length === 2);
    expect([a.controllers.isLeader(), b.controllers.isLeader(), a.writes.length, b.writes.length]).toEqual([
      true,
      false,
      4,
      0,
    ]);
  });
});

describe('default-deny controller: audit and exempt namespaces', () => {
  it('writes no NetworkPolicy anywhere with mode: audit, and warns once per namespace', async () => {
    const kube = new FakeKube();
    for (const ns of ['shop', 'billing', 'kube-system']) kube.seed(NS, namespace(ns));
    const { writes, logs, controllers } = start(kube, { config: AUDIT, resyncIntervalMs: 20 });
    await waitFor(() => logs.filter((line) => line.message === WITHHELD).length === 2);
    await pause(150); // several resyncs
    expect(
      kube.writes().filter((call) => call.method !== 'WATCH' && call.path.includes('networkpolicies')),
    ).toEqual([]);
    expect(writes).toEqual([]);
    const warned = logs.filter((line) => line.message === WITHHELD).map((line) => line.fields);
    expect(warned.sort((x, y) => String(x['namespace']).localeCompare(String(y['namespace'])))).toEqual(
      ['billing', 'shop'].map((ns) => ({
        controller: 'default-deny',
        namespace: ns,
        mode: 'audit',
        reason: 'config mode: audit',
        wouldCreate: [`NetworkPolicy/${ns}/ztgate-allow-dns`, `NetworkPolicy/${ns}/ztgate-default-deny`],
      })),
    );
    expect(controllers.withheldCounts()).toEqual(new Map([['default-deny', 4]]));
  });

  it('writes nothing in namespaces labelled audit or exempt, and enforces once the label goes', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('legacy', { 'ztgate.dev/mode': 'audit' }));
    kube.seed(NS, namespace('lab', { 'ztgate.dev/exempt': 'true' }));
    kube.seed(NS, namespace('shop'));
    const { writes, logs } = start(kube, { config: NO_BUNDLE, resyncIntervalMs: 20 });
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    await pause(100);
    expect([policyNames(kube, 'legacy'), policyNames(kube, 'lab')]).toEqual([[], []]);
    const reasons = logs.filter((line) => line.message === WITHHELD).map((line) => line.fields['reason']);
    expect(reasons.sort()).toEqual(['label ztgate.dev/exempt=true', 'label ztgate.dev/mode=audit']);
    relabel(kube, 'legacy', {});
    await waitFor(() => policyNames(kube, 'legacy').length === 2);
    expect(describeWrites(writes).filter((write) => write.includes('legacy/'))).toEqual([
      'create NetworkPolicy legacy/ztgate-allow-dns',
      'create NetworkPolicy legacy/ztgate-default-deny',
    ]);
  });

  it('removes its own policies when a namespace goes to audit: the deny first, only what it created', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('shop'));
    const { writes, logs } = start(kube, { config: NO_BUNDLE });
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    // An admin's own policy under ztgate's name (no managed-by label) in another namespace.
    kube.seed(NS, namespace('own', { 'ztgate.dev/mode': 'audit' }));
    const owned = { podSelector: {}, policyTypes: ['Ingress'] };
    kube.seed(NP, {
      kind: 'NetworkPolicy',
      metadata: { name: 'ztgate-default-deny', namespace: 'own' },
      spec: owned,
    });
    relabel(kube, 'shop', { 'ztgate.dev/mode': 'audit' });
    await waitFor(() => policyNames(kube, 'shop').length === 0);
    await pause(50);
    expect(describeWrites(writes).slice(2)).toEqual([
      'delete NetworkPolicy shop/ztgate-default-deny',
      'delete NetworkPolicy shop/ztgate-allow-dns',
    ]);
    expect(kube.get(NP, 'own', 'ztgate-default-deny')?.['spec']).toEqual(owned);
    const deletes = logs
      .filter((line) => line.fields['action'] === 'delete')
      .map((line) => line.fields['reason']);
    expect(deletes).toEqual(['label ztgate.dev/mode=audit', 'label ztgate.dev/mode=audit']);
  });

  it('deletes nothing that changed between its read and its delete (preconditions), and looks again', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('shop'));
    start(kube, { config: NO_BUNDLE });
    await waitFor(() => policyNames(kube, 'shop').length === 2);
    // Someone rewrites the deny just after the runtime read it: the DELETE's precondition fails.
    const original = kube.request.bind(kube);
    kube.request = async (method, path, options) => {
      if (method === 'DELETE' && path.endsWith('/ztgate-default-deny')) {
        kube.request = original;
        kube.seed(NP, { ...kube.get(NP, 'shop', 'ztgate-default-deny')! });
      }
      return original(method, path, options);
    };
    relabel(kube, 'shop', { 'ztgate.dev/exempt': 'true' });
    await waitFor(() => policyNames(kube, 'shop').length === 0);
    const deletes = kube.calls
      .filter((call) => call.method === 'DELETE')
      .map((call) => call.path.split('/').pop());
    // The allowance waits for the deny: the namespace never holds a deny without its DNS.
    expect(deletes).toEqual(['ztgate-default-deny', 'ztgate-default-deny', 'ztgate-allow-dns']);
  });

  it('warns again only when what is withheld changes, and forgets a deleted namespace', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('legacy', { 'ztgate.dev/mode': 'audit' }));
    const { logs, controllers } = start(kube, { config: NO_BUNDLE, resyncIntervalMs: 20 });
    const withheld = () =>
      logs.filter((line) => line.message === WITHHELD).map((line) => line.fields['reason']);
    await waitFor(() => withheld().length === 1);
    await pause(100);
    relabel(kube, 'legacy', { 'ztgate.dev/exempt': 'true' });
    await waitFor(() => withheld().length === 2);
    await pause(100);
    expect(withheld()).toEqual(['label ztgate.dev/mode=audit', 'label ztgate.dev/exempt=true']);
    kube.remove(NS, '', 'legacy');
    await waitFor(() => controllers.withheldCounts().size === 0);
  });
});

describe('default-deny controller: dry run', () => {
  it('sends every write with dryRun=All, persists nothing, and sends it again only when something changed', async () => {
    const kube = new FakeKube();
    kube.seed(NS, namespace('shop'));
    const { writes } = start(kube, { config: NO_BUNDLE, dryRun: true, resyncIntervalMs: 20 });
    await waitFor(() => writes.length === 2);
    await pause(150); // several resyncs
    expect(policyNames(kube, 'shop')).toEqual([]);
    const sent = kube.writes().filter((call) => call.method !== 'WATCH' && !call.path.includes('/leases'));
    expect(sent.map((call) => [call.method, call.query?.['dryRun']])).toEqual([
      ['POST', 'All'],
      ['POST', 'All'],
    ]);
    expect(writes.every((write) => write.dryRun)).toBe(true);
    // A change of the namespace is a new situation: audit now means the (absent) policies would go.
    relabel(kube, 'shop', { 'ztgate.dev/mode': 'audit' });
    kube.seed(NP, buildDesiredPolicies(NO_BUNDLE, 'shop')[0]!);
    await waitFor(() => writes.length === 3);
    await pause(100);
    expect(describeWrites(writes).slice(2)).toEqual(['delete NetworkPolicy shop/ztgate-default-deny']);
    expect(policyNames(kube, 'shop')).toEqual(['ztgate-default-deny']);
    const writesSent = kube.calls.filter((call) => ['POST', 'PUT', 'DELETE'].includes(call.method));
    expect(
      writesSent
        .filter((call) => !call.path.includes('/leases'))
        .every((call) => call.query?.['dryRun'] === 'All'),
    ).toBe(true);
  });
});

describe('default-deny controller: its rollback passes ztgate’s own webhook', () => {
  // ztgate's ServiceAccount is no ztgate admin: its DELETE of ztgate-default-deny is judged by
  // default-deny-protected like anyone's. The webhook skips label-exempt namespaces (selector) and
  // config-exempt ones (engine); in an audit namespace the deletion must be admitted.
  const deny = buildDesiredPolicies(BUILTIN_CONFIG, 'shop')[0]!;
  const user = { username: 'system:serviceaccount:ztgate-system:ztgate', groups: ['system:serviceaccounts'] };
  const judge = (labels: Record<string, string>, config: ZtgateConfig = BUILTIN_CONFIG) =>
    evaluate(
      { operation: 'DELETE', object: undefined, oldObject: deny, namespace: 'shop', user },
      createClusterView([namespace('shop', labels)], { istioRootNamespace: 'istio-system' }),
      config,
    );

  it.each<[string, Record<string, string>, ZtgateConfig, boolean]>([
    ['an audit-labelled namespace', { 'ztgate.dev/mode': 'audit' }, BUILTIN_CONFIG, true],
    ['mode: audit', {}, AUDIT, true],
    ['a config-exempt namespace', {}, { ...BUILTIN_CONFIG, exemptNamespaces: ['shop'] }, true],
    ['an enforced namespace (the control)', {}, BUILTIN_CONFIG, false],
  ])('%s: allowed %s', (_name, labels, config, allowed) => {
    expect(judge(labels, config).allowed).toBe(allowed);
  });
});
