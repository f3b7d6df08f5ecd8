import { describe, expect, it } from 'vitest';
import {
  createClusterView,
  currentRoot,
  extendClusterView,
  resolveOwner,
} from '../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { evaluate } from '../../src/policy/engine.js';
import { toWorkload } from '../../src/policy/workload.js';
import {
  controller,
  cronJob,
  defaultDeny,
  deployment,
  namespace,
  pod,
  policy,
  serviceAccount,
  viewOf,
} from './helpers.js';

describe('createClusterView', () => {
  it('indexes namespaces with the kubernetes.io/metadata.name label the API server sets, and their annotations', () => {
    const annotated = namespace('shop', { team: 'a' });
    const view = viewOf([
      { ...annotated, metadata: { ...annotated.metadata, annotations: { 'linkerd.io/inject': 'enabled' } } },
    ]);
    expect(view.namespace('shop')).toEqual({
      name: 'shop',
      labels: { 'kubernetes.io/metadata.name': 'shop', team: 'a' },
      annotations: { 'linkerd.io/inject': 'enabled' },
    });
    expect(view.namespace('other')).toBeUndefined();
    expect(view.namespaces().map((ns) => ns.name)).toEqual(['shop']);
  });

  it('indexes ServiceAccounts by namespace and name', () => {
    const view = viewOf([serviceAccount('web', 'shop', { tier: 'front' }), serviceAccount('web', 'other')]);
    expect(view.serviceAccount('shop', 'web')).toEqual({
      namespace: 'shop',
      name: 'web',
      labels: { tier: 'front' },
    });
    expect(view.serviceAccount('shop', 'api')).toBeUndefined();
  });

  it.each([
    { name: 'a namespace with a ServiceAccount is known', complete: false, ns: 'shop', expected: true },
    { name: 'a namespace without any is unknown', complete: false, ns: 'empty', expected: false },
    { name: 'cluster mode knows every namespace', complete: true, ns: 'empty', expected: true },
  ])('knowsServiceAccounts: $name', ({ complete, ns, expected }) => {
    const view = createClusterView([serviceAccount('web')], {
      istioRootNamespace: 'istio-system',
      serviceAccountsComplete: complete,
    });
    expect(view.knowsServiceAccounts(ns)).toBe(expected);
  });

  it('returns a namespace its own policies plus every cluster-wide one, and no others', () => {
    const own = policy({ name: 'own', matchLabels: { app: 'web' } });
    const elsewhere = policy({ name: 'elsewhere', namespace: 'other', matchLabels: { app: 'web' } });
    const global = policy({
      name: 'global',
      namespace: undefined,
      clusterWide: true,
      flavour: 'calico-global',
    });
    const view = viewOf([], [own, elsewhere, global]);
    expect(view.policiesFor('shop').map((p) => p.name)).toEqual(['own', 'global']);
    expect(view.policiesFor('none').map((p) => p.name)).toEqual(['global']);
    expect(
      view
        .allPolicies()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['elsewhere', 'global', 'own']);
  });

  it('indexes workloads by namespace and by ServiceAccount', () => {
    const view = viewOf([
      deployment('web', { sa: 'web' }),
      deployment('api', { sa: 'web' }),
      deployment('x', { namespace: 'o' }),
    ]);
    expect(view.workloads('shop').map((w) => w.name)).toEqual(['web', 'api']);
    expect(view.workloads().length).toBe(3);
    expect(view.serviceAccountUsers('shop', 'web').map((w) => w.name)).toEqual(['web', 'api']);
    expect(view.serviceAccountUsers('o', 'web')).toEqual([]);
  });

  it('is frozen and keeps its revision and objects', () => {
    const objects = [serviceAccount('web')];
    const view = createClusterView(objects, { istioRootNamespace: 'istio-system', revision: 7 });
    expect(Object.isFrozen(view)).toBe(true);
    expect(view.revision).toBe(7);
    expect(view.objects()).toEqual(objects);
  });
});

describe('a view without raw objects (retainObjects: false, what serve builds)', () => {
  const objects = [
    namespace('shop', { team: 'a' }),
    serviceAccount('web'),
    serviceAccount('api'),
    deployment('web', { sa: 'web' }),
    deployment('api', { sa: 'web' }),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] },
    },
  ];
  const full = createClusterView(objects, { istioRootNamespace: 'istio-system' });
  const slim = createClusterView(objects, { istioRootNamespace: 'istio-system', retainObjects: false });

  it('holds no raw objects', () => {
    expect([full.objects().length, slim.objects()]).toEqual([objects.length, []]);
  });

  it.each([
    ['namespaces', (view: typeof full) => view.namespaces()],
    ['a ServiceAccount', (view: typeof full) => view.serviceAccount('shop', 'api')],
    ['the users of a ServiceAccount', (view: typeof full) => view.serviceAccountUsers('shop', 'web')],
    ['workloads', (view: typeof full) => view.workloads('shop')],
    [
      'policies in force',
      (view: typeof full) =>
        view.policiesFor('shop').map((p) => [p.name, p.isAllowList, p.allowAll, p.requiredPodLabels]),
    ],
  ])('answers %s as the full view does', (_name, ask) => {
    expect(ask(slim)).toEqual(ask(full));
  });

  it("keeps only each policy's identity as its source, frozen", () => {
    const [policy] = slim.policiesFor('shop');
    expect(policy?.source).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace: 'shop' },
    });
    expect(Object.isFrozen(policy?.source) && Object.isFrozen(policy?.source.metadata)).toBe(true);
    expect(full.policiesFor('shop')[0]?.source).toBe(objects[5]);
  });

  it.each(['web', 'api', 'other'])('judges Deployment %s as the full view does', (name) => {
    const input = {
      operation: 'CREATE' as const,
      object: deployment(name, { sa: 'web' }),
      oldObject: undefined,
      namespace: 'shop',
      user: {},
    };
    expect(evaluate(input, slim, DEFAULT_CONFIG)).toEqual(evaluate(input, full, DEFAULT_CONFIG));
  });
});

describe('ownership chains', () => {
  const rs = controller('ReplicaSet', 'apps/v1', 'web-5d4f8', {
    sa: 'web',
    owner: { kind: 'Deployment', name: 'web' },
  });
  const podOfRs = pod('web-5d4f8-abcde', { sa: 'web', owner: { kind: 'ReplicaSet', name: 'web-5d4f8' } });

  it('resolves Pod → ReplicaSet → Deployment to the Deployment', () => {
    const view = viewOf([deployment('web', { sa: 'web' }), rs, podOfRs]);
    const owners = view.serviceAccountUsers('shop', 'web').map((w) => [w.kind, w.owner.kind, w.owner.name]);
    expect(owners).toEqual([
      ['Deployment', 'Deployment', 'web'],
      ['ReplicaSet', 'Deployment', 'web'],
      ['Pod', 'Deployment', 'web'],
    ]);
  });

  it('counts no claim on a ReplicaSet the view lacks (no guessing from the pod-template-hash suffix)', () => {
    const view = viewOf([deployment('web', { sa: 'web' }), podOfRs]);
    const ref = view.workloads('shop').find((w) => w.kind === 'Pod');
    expect(ref?.owner).toEqual({ kind: 'Pod', namespace: 'shop', name: 'web-5d4f8-abcde' });
    // Kept so that a layer adding the ReplicaSet (a live read, the -f objects) can count it then.
    expect(ref?.pendingClaim?.name).toBe('web-5d4f8');
  });

  it('resolveOwner follows a judged pod through the view', () => {
    const workload = toWorkload(podOfRs);
    if (workload === undefined) throw new Error('no workload');
    expect(resolveOwner(viewOf([deployment('web', { sa: 'web' }), rs]), workload)).toEqual({
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
    });
    // The ReplicaSet's own claim on the Deployment the view lacks does not count: it is the root.
    expect(resolveOwner(viewOf([rs]), workload)).toEqual({
      kind: 'ReplicaSet',
      namespace: 'shop',
      name: 'web-5d4f8',
    });
    expect(resolveOwner(viewOf([]), workload)).toEqual({
      kind: 'Pod',
      namespace: 'shop',
      name: 'web-5d4f8-abcde',
    });
  });

  it('resolves Pod → Job → CronJob to the CronJob', () => {
    const job = controller('Job', 'batch/v1', 'backup-2900', {
      sa: 'backup',
      owner: { kind: 'CronJob', name: 'backup' },
    });
    const jobPod = pod('backup-2900-x', { sa: 'backup', owner: { kind: 'Job', name: 'backup-2900' } });
    const view = viewOf([cronJob('backup', { sa: 'backup' }), job, jobPod]);
    expect(
      view.serviceAccountUsers('shop', 'backup').map((w) => `${w.kind}→${w.owner.kind}/${w.owner.name}`),
    ).toEqual(['CronJob→CronJob/backup', 'Job→CronJob/backup', 'Pod→CronJob/backup']);
  });

  it('survives an ownership cycle', () => {
    const a = controller('ReplicaSet', 'apps/v1', 'a', { owner: { kind: 'ReplicaSet', name: 'b' } });
    const b = controller('ReplicaSet', 'apps/v1', 'b', { owner: { kind: 'ReplicaSet', name: 'a' } });
    expect(viewOf([a, b]).workloads('shop').length).toBe(2);
  });
});

describe('extendClusterView: the -f objects are one change', () => {
  it('adds ServiceAccounts, policies and namespaces on top of the base', () => {
    const base = viewOf([serviceAccount('api')], [defaultDeny()]);
    const view = extendClusterView(base, [serviceAccount('web'), namespace('shop', { team: 'a' })], {
      policies: [policy({ name: 'web-allow', matchLabels: { app: 'web' } })],
    });
    expect(view.serviceAccount('shop', 'web')?.name).toBe('web');
    expect(view.serviceAccount('shop', 'api')?.name).toBe('api');
    expect(view.policiesFor('shop').map((p) => p.name)).toEqual(['ztgate-default-deny', 'web-allow']);
    expect(view.namespace('shop')?.labels['team']).toBe('a');
    expect(base.serviceAccount('shop', 'web')).toBeUndefined();
  });

  it('replaces an object of the same identity (an UPDATE changing the ServiceAccount)', () => {
    const base = viewOf([deployment('web', { sa: 'old' })]);
    const view = extendClusterView(base, [deployment('web', { sa: 'new' })]);
    expect(view.serviceAccountUsers('shop', 'old')).toEqual([]);
    expect(view.serviceAccountUsers('shop', 'new').map((w) => w.name)).toEqual(['web']);
    expect(view.workloads('shop').length).toBe(1);
    expect(view.objects().length).toBe(1);
  });

  it('replaces a policy of the same identity', () => {
    const base = viewOf([], [policy({ name: 'p', matchLabels: { app: 'old' } })]);
    const view = extendClusterView(base, [], {
      policies: [policy({ name: 'p', matchLabels: { app: 'new' } })],
    });
    expect(view.policiesFor('shop').length).toBe(1);
    expect(view.allPolicies().length).toBe(1);
    const target = {
      namespace: 'shop',
      namespaceLabels: {},
      podLabels: { app: 'new' },
      serviceAccountName: undefined,
      serviceAccountLabels: undefined,
    };
    expect(view.policiesFor('shop')[0]?.selects(target)).toBe(true);
  });

  it('resolves owners of added workloads through the base', () => {
    const base = viewOf([
      deployment('web', { sa: 'web' }),
      controller('ReplicaSet', 'apps/v1', 'web-1', { sa: 'web', owner: { kind: 'Deployment', name: 'web' } }),
    ]);
    const view = extendClusterView(base, [
      pod('web-1-a', { sa: 'web', owner: { kind: 'ReplicaSet', name: 'web-1' } }),
    ]);
    expect(view.workloads('shop').find((w) => w.kind === 'Pod')?.owner.name).toBe('web');
  });

  it('follows a base workload whose controller arrives in the added layer (currentRoot)', () => {
    const base = viewOf([
      controller('ReplicaSet', 'apps/v1', 'web-1', { sa: 'web', owner: { kind: 'Deployment', name: 'web' } }),
      pod('web-1-a', { sa: 'web', owner: { kind: 'ReplicaSet', name: 'web-1' } }),
    ]);
    const view = extendClusterView(base, [deployment('web', { sa: 'web' })]);
    const podRef = view.workloads('shop').find((w) => w.kind === 'Pod');
    expect(podRef?.owner.name).toBe('web-1');
    expect(currentRoot(view, podRef?.owner ?? { kind: '', namespace: '', name: '' })).toEqual({
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
    });
  });

  it('makes a namespace with an added ServiceAccount known', () => {
    const view = extendClusterView(viewOf([]), [serviceAccount('web', 'fresh')]);
    expect(view.knowsServiceAccounts('fresh')).toBe(true);
  });
});
