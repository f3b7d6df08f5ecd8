import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClusterView, resolveOwnership } from '../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { evaluate } from '../../src/policy/engine.js';
import { isPolicyObject, normalizePolicy } from '../../src/policy/policies/index.js';
import type { ClusterView, KubeObject } from '../../src/policy/types.js';
import { objectKey, policyKey, type ViewLayer } from '../../src/policy/view-layer.js';
import { toWorkload } from '../../src/policy/workload.js';
import {
  buildPartition,
  CLUSTER_PARTITION,
  composePartitions,
  groupByPartition,
  partitionOf,
} from '../../src/policy/view-partitions.js';
import { controller, deployment, namespace, pod, serviceAccount } from './helpers.js';

const ROOT = 'istio-system';
const NAMESPACES = ['a', 'b', ROOT] as const;
const NAMES = ['x', 'y', 'z'] as const;

const ns = fc.constantFrom(...NAMESPACES);
const name = fc.constantFrom(...NAMES);
const sa = fc.option(fc.constantFrom('x', 'y', 'default'), { nil: undefined });

/** Objects of every kind a view indexes, from a small universe so names collide and owners resolve. */
const object: fc.Arbitrary<KubeObject> = fc.oneof(
  fc.tuple(ns, fc.constantFrom('blue', 'green')).map(([n, team]) => namespace(n, { team })),
  fc.tuple(ns, name, fc.constantFrom('front', 'back')).map(([n, s, tier]) => serviceAccount(s, n, { tier })),
  fc.tuple(ns, name, sa).map(([n, d, s]) => deployment(d, { namespace: n, sa: s })),
  fc.tuple(ns, name, name, sa).map(([n, r, d, s]) =>
    controller('ReplicaSet', 'apps/v1', `${d}-${r}`, {
      namespace: n,
      sa: s,
      owner: { kind: 'Deployment', name: d },
    }),
  ),
  fc.tuple(ns, name, name, name, sa, fc.boolean()).map(([n, p, r, d, s, owned]) =>
    pod(`${d}-${r}-${p}`, {
      namespace: n,
      sa: s,
      labels: { app: d },
      ...(owned ? { owner: { kind: 'ReplicaSet', name: `${d}-${r}` } } : {}),
    }),
  ),
  fc.tuple(ns, name, name).map(([n, p, app]) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p, namespace: n },
    spec: { podSelector: { matchLabels: { app } }, ingress: [{ from: [{ podSelector: {} }] }] },
  })),
  fc.tuple(name, name).map(([p, app]) => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: p },
    spec: { selector: `app == '${app}'`, types: ['Ingress'], ingress: [{ action: 'Allow' }] },
  })),
  fc.tuple(ns, name, name).map(([n, p, app]) => ({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: p, namespace: n },
    spec: { selector: { matchLabels: { app } }, rules: [{ from: [{ source: { principals: ['a'] } }] }] },
  })),
);

/** What an API server's stores hold after these writes: one object per identity, the last wins. */
function stored(writes: readonly KubeObject[]): Map<string, KubeObject> {
  const store = new Map<string, KubeObject>();
  for (const write of writes) store.set(objectKey(write), write);
  return store;
}

function partitionsOf(objects: Iterable<KubeObject>, only?: ReadonlySet<string>): Map<string, ViewLayer> {
  const groups = groupByPartition(objects, (policy) => normalizePolicy(policy, { istioRootNamespace: ROOT }));
  const partitions = new Map<string, ViewLayer>();
  for (const [partition, contents] of groups) {
    if (only === undefined || only.has(partition)) partitions.set(partition, buildPartition(contents, ROOT));
  }
  return partitions;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Everything the rules can read from a view, in a comparable form (lists sorted). */
function dump(view: ClusterView): unknown {
  return {
    namespaces: view
      .namespaces()
      .map((info) => JSON.stringify(info))
      .sort(byText),
    all: view.allPolicies().map(policyKey).sort(byText),
    workloads: view
      .workloads()
      .map((ref) => JSON.stringify(ref))
      .sort(byText),
    namespaced: NAMESPACES.map((n) => ({
      namespace: view.namespace(n),
      policies: view.policiesFor(n).map(policyKey).sort(byText),
      workloads: view
        .workloads(n)
        .map((ref) => JSON.stringify(ref))
        .sort(byText),
      accounts: NAMES.map((s) => view.serviceAccount(n, s)),
      users: [...NAMES, 'default'].map((s) =>
        view
          .serviceAccountUsers(n, s)
          .map((ref) => JSON.stringify(ref))
          .sort(byText),
      ),
    })),
  };
}

/** Each workload's decision as a CREATE, which exercises every rule's reads of the view. */
function decisions(view: ClusterView, objects: Iterable<KubeObject>): unknown[] {
  const result: unknown[] = [];
  for (const item of objects) {
    if (isPolicyObject(item) || item.kind === 'Namespace' || item.kind === 'ServiceAccount') continue;
    const decision = evaluate(
      { operation: 'CREATE', object: item, namespace: item.metadata?.namespace },
      view,
      DEFAULT_CONFIG,
    );
    const workload = toWorkload(item);
    result.push({
      ownership: workload === undefined ? undefined : resolveOwnership(view, workload),
      allowed: decision.allowed,
      violations: decision.violations.map((v) => `${v.rule} ${v.path} ${v.message}`).sort(byText),
    });
  }
  return result;
}

const OPTIONS = { istioRootNamespace: ROOT, serviceAccountsComplete: true };

describe('composePartitions', () => {
  it('answers every lookup and every decision as the view built in one pass does', () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 40 }), (writes) => {
        const objects = [...stored(writes).values()];
        const whole = createClusterView(objects, OPTIONS);
        const linked = composePartitions(partitionsOf(objects), OPTIONS);
        expect(dump(linked)).toEqual(dump(whole));
        expect(decisions(linked, objects)).toEqual(decisions(whole, objects));
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact when only the partitions a change touched are rebuilt', () => {
    fc.assert(
      fc.property(
        fc.array(object, { maxLength: 30 }),
        fc.array(fc.tuple(object, fc.boolean()), { maxLength: 12 }),
        (writes, changes) => {
          const store = stored(writes);
          const partitions = partitionsOf(store.values());
          const touched = new Set<string>();
          for (const [change, isDelete] of changes) {
            if (isDelete) store.delete(objectKey(change));
            else store.set(objectKey(change), change);
            touched.add(partitionOf(change));
          }
          const rebuilt = partitionsOf(store.values(), touched);
          for (const partition of touched) {
            const layer = rebuilt.get(partition);
            if (layer === undefined) partitions.delete(partition);
            else partitions.set(partition, layer);
          }
          const objects = [...store.values()];
          const whole = createClusterView(objects, OPTIONS);
          const linked = composePartitions(partitions, OPTIONS);
          expect(dump(linked)).toEqual(dump(whole));
          expect(decisions(linked, objects)).toEqual(decisions(whole, objects));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never changes a published view when the partitions are replaced afterwards', () => {
    const partitions = partitionsOf([serviceAccount('web', 'a'), namespace('a')]);
    const view = composePartitions(partitions, OPTIONS);
    partitions.set('a', buildPartition({ objects: [serviceAccount('db', 'a')], policies: [] }, ROOT));
    partitions.delete(CLUSTER_PARTITION);
    expect(view.serviceAccount('a', 'web')?.name).toBe('web');
    expect(view.serviceAccount('a', 'db')).toBeUndefined();
    expect(view.namespace('a')?.name).toBe('a');
  });

  it('files namespaced objects under their namespace and the rest under the cluster partition', () => {
    expect(partitionOf(serviceAccount('web', 'a'))).toBe('a');
    expect(partitionOf(namespace('a'))).toBe(CLUSTER_PARTITION);
    expect(partitionOf({ kind: 'GlobalNetworkPolicy', metadata: { name: 'g' } })).toBe(CLUSTER_PARTITION);
  });
});
