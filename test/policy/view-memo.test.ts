/**
 * The per-view memos of the workload rules (src/policy/view-memo.ts): a controller claim's verdict
 * (resolveOwnership) and a ServiceAccount's other users (findSharers) are kept per frozen view and
 * key. They must answer as a fresh reading for every workload, on every view, in any order: a key
 * that left out something the answer reads (the claim's uid, the claimant's ServiceAccount, the
 * owner) would let one pod's verified owner, or its lack of sharers, stand for another's. The
 * reference is the same view unfrozen, which the memos never keep and whose lookups go the slow way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClusterView, resolveOwnership } from '../../src/policy/cluster-view.js';
import { findSharers } from '../../src/policy/rules/dedicated-service-account.js';
import type { ClusterView, KubeObject, Workload } from '../../src/policy/types.js';
import { viewMemo } from '../../src/policy/view-memo.js';
import { toWorkload } from '../../src/policy/workload.js';

const uid = (name: string, variant: number) => `uid-${name}-${variant}`;

function deployment(ns: string, name: string, sa: string, variant: number): KubeObject[] {
  const template = {
    metadata: { labels: { app: name } },
    spec: { serviceAccountName: sa, containers: [{ name: 'a', image: 'a' }] },
  };
  const rs = `${name}-abc`;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: ns, name, uid: uid(name, variant) },
      spec: { selector: { matchLabels: { app: name } }, template },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        namespace: ns,
        name: rs,
        uid: uid(rs, variant),
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: uid(name, variant), controller: true },
        ],
      },
      spec: { selector: { matchLabels: { app: name } }, template },
    },
  ];
}

function viewOf(variant: number): ClusterView {
  const objects: KubeObject[] = [];
  for (const ns of ['shop', 'bank']) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const sa of ['web', 'api', 'shared'])
      objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: ns, name: sa } });
    objects.push(...deployment(ns, 'web', 'web', variant));
    // In the second view `api` runs as the ServiceAccount `shared`, which `batch` uses too.
    objects.push(...deployment(ns, 'api', variant === 0 ? 'api' : 'shared', variant));
    objects.push(...deployment(ns, 'batch', 'shared', variant));
  }
  return createClusterView(objects, { istioRootNamespace: 'istio-system', serviceAccountsComplete: true });
}

const views = [viewOf(0), viewOf(1)];
/** The same view, unfrozen: the memos compute afresh for it. */
const fresh = (view: ClusterView) => ({ ...view }) as ClusterView;

/** A claim as a controller writes it (ReplicaSet, apps/v1, the view's uid), or a look-alike. */
const claimArb = fc.oneof(
  fc.record({
    kind: fc.constant('ReplicaSet'),
    apiVersion: fc.constant('apps/v1'),
    name: fc.constantFrom('web-abc', 'api-abc', 'batch-abc'),
    variant: fc.constantFrom(0, 1),
  }),
  fc.record({
    kind: fc.constantFrom('ReplicaSet', 'Deployment', 'StatefulSet'),
    apiVersion: fc.constantFrom('apps/v1', 'v1', 'extensions/v1beta1'),
    name: fc.constantFrom('web-abc', 'api-abc', 'batch-abc', 'web', 'api', 'gone'),
    variant: fc.constantFrom(0, 1, 2),
  }),
);

const podArb = fc.record({
  view: fc.nat({ max: 1 }),
  namespace: fc.constantFrom('shop', 'bank'),
  name: fc.constantFrom('p1', 'p2', 'web-abc', 'api'),
  kind: fc.constantFrom('Pod', 'Pod', 'ReplicaSet'),
  serviceAccount: fc.constantFrom<string | undefined>(undefined, 'web', 'api', 'shared', 'shared', 'default'),
  claim: fc.option(claimArb, { nil: undefined, freq: 4 }),
});

type PodSpec = {
  namespace: string;
  name: string;
  kind: string;
  serviceAccount: string | undefined;
  claim: { kind: string; apiVersion: string; name: string; variant: number } | undefined;
};

function workloadOf(spec: PodSpec): Workload {
  const podSpec = {
    ...(spec.serviceAccount === undefined ? {} : { serviceAccountName: spec.serviceAccount }),
    containers: [{ name: 'a', image: 'a' }],
  };
  const claim = spec.claim;
  const metadata = {
    namespace: spec.namespace,
    name: spec.name,
    ...(claim === undefined
      ? {}
      : {
          ownerReferences: [
            {
              apiVersion: claim.apiVersion,
              kind: claim.kind,
              name: claim.name,
              uid: uid(claim.name, claim.variant),
              controller: true,
            },
          ],
        }),
  };
  const object: KubeObject =
    spec.kind === 'Pod'
      ? { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec }
      : {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata,
          spec: { selector: {}, template: { spec: podSpec } },
        };
  const workload = toWorkload(object);
  if (workload === undefined) throw new Error('unreadable test workload');
  return workload;
}

describe('per-view memos of the workload rules', () => {
  it('resolveOwnership and findSharers answer as a fresh reading, in any order, on either view', () => {
    let counted = 0;
    let shared = 0;
    fc.assert(
      fc.property(fc.array(podArb, { minLength: 1, maxLength: 25 }), (specs) => {
        for (const spec of specs) {
          const view = views[spec.view] as ClusterView;
          const workload = workloadOf(spec);
          const ownership = resolveOwnership(view, workload);
          expect(ownership).toEqual(resolveOwnership(fresh(view), workload));
          const sharers = findSharers(workload, ownership.owner, view);
          expect(sharers).toEqual(findSharers(workload, ownership.owner, fresh(view)));
          if (ownership.claim !== undefined && ownership.defect === undefined) counted += 1;
          if (sharers.length > 0) shared += 1;
        }
      }),
      { numRuns: 400 },
    );
    // The generator reaches claims that count and workloads with sharers, not only refusals.
    expect(counted).toBeGreaterThan(30);
    expect(shared).toBeGreaterThan(100);
  });

  it('keeps one verdict per claim, not per claimant name: two pods of a ReplicaSet', () => {
    const view = views[0] as ClusterView;
    const claim = { kind: 'ReplicaSet', apiVersion: 'apps/v1', name: 'web-abc', variant: 0 };
    const first = resolveOwnership(
      view,
      workloadOf({ namespace: 'shop', name: 'p1', kind: 'Pod', serviceAccount: 'web', claim }),
    );
    const second = resolveOwnership(
      view,
      workloadOf({ namespace: 'shop', name: 'p2', kind: 'Pod', serviceAccount: 'web', claim }),
    );
    expect(first.owner).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(second.owner).toBe(first.owner);
    // Another uid is another claim: refused, the pod owns itself.
    const forged = resolveOwnership(
      view,
      workloadOf({
        namespace: 'shop',
        name: 'p3',
        kind: 'Pod',
        serviceAccount: 'web',
        claim: { ...claim, variant: 1 },
      }),
    );
    expect(forged.defect).toBe('uid');
    expect(forged.owner).toEqual({ kind: 'Pod', namespace: 'shop', name: 'p3' });
  });

  it('viewMemo: bounded, per view, frozen answers, nothing kept for an unfrozen view', () => {
    const memo = viewMemo<{ n: number }>(2);
    const [a, b] = views as [ClusterView, ClusterView];
    let computed = 0;
    const answer = (n: number) => () => ({ n: ((computed += 1), n) });
    const one = memo(a, 'k1', answer(1));
    expect(Object.isFrozen(one)).toBe(true);
    expect(memo(a, 'k1', answer(9))).toBe(one);
    expect(memo(b, 'k1', answer(2)).n).toBe(2);
    memo(a, 'k2', answer(3));
    memo(a, 'k3', answer(4)); // evicts k1, the oldest
    expect(memo(a, 'k1', answer(5)).n).toBe(5);
    const open = fresh(a);
    expect(memo(open, 'k1', answer(6)).n).toBe(6);
    expect(memo(open, 'k1', answer(7)).n).toBe(7);
    expect(computed).toBe(7);
  });
});
