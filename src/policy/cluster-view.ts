import { refKey, sameRef } from './objects.js';
import type {
  ClusterView,
  KubeObject,
  NamespaceInfo,
  NormalizedPolicy,
  ObjectRef,
  ServiceAccountInfo,
  Workload,
  WorkloadRef,
} from './types.js';
import { buildLayer, objectKey, policyKey, type ViewLayer } from './view-layer.js';

/** How a view is built. */
export interface ClusterViewOptions {
  readonly istioRootNamespace: string;
  /** True in cluster mode: the view holds every ServiceAccount, so absence means "does not exist". */
  readonly serviceAccountsComplete?: boolean;
  readonly revision?: number;
  /** Policies the caller already normalized (a watch cache keeping them between snapshots). */
  readonly policies?: readonly NormalizedPolicy[];
  /**
   * False: the view keeps its indexes (namespaces, ServiceAccounts, normalized policies with their
   * source, workload identities) but not the raw objects, and `objects()` is empty. For a server,
   * whose rules never read raw objects: full Deployment specs were most of its memory.
   */
  readonly retainObjects?: boolean;
}

interface ViewInternals {
  readonly layers: readonly ViewLayer[];
  readonly options: ClusterViewOptions;
}

// Internals stay off the public ClusterView contract; extendClusterView and resolveOwner use them.
const internals = new WeakMap<ClusterView, ViewInternals>();
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Merges one list-valued index across layers: a higher layer's object replaces the same object
 * (same identity key) of a lower layer, as an UPDATE would.
 */
function mergeLists<T>(
  layers: readonly ViewLayer[],
  pick: (layer: ViewLayer) => readonly T[] | undefined,
  shadowed: (layer: ViewLayer, item: T) => boolean,
): readonly T[] {
  if (layers.length === 1) return pick(layers[0] as ViewLayer) ?? EMPTY;
  const merged: T[] = [];
  layers.forEach((layer, index) => {
    const above = layers.slice(index + 1);
    for (const item of pick(layer) ?? EMPTY) {
      if (!above.some((higher) => shadowed(higher, item))) merged.push(item);
    }
  });
  return Object.freeze(merged);
}

function topDown<T>(layers: readonly ViewLayer[], pick: (layer: ViewLayer) => T | undefined): T | undefined {
  for (let index = layers.length - 1; index >= 0; index -= 1) {
    const found = pick(layers[index] as ViewLayer);
    if (found !== undefined) return found;
  }
  return undefined;
}

const policyShadowed = (layer: ViewLayer, policy: NormalizedPolicy): boolean =>
  layer.policyKeys.has(policyKey(policy));
const workloadShadowed = (layer: ViewLayer, ref: WorkloadRef): boolean =>
  layer.workloadsByKey.has(refKey(ref));

function composeView(layers: readonly ViewLayer[], options: ClusterViewOptions): ClusterView {
  const complete = options.serviceAccountsComplete === true;
  const policiesByNamespace = new Map<string, readonly NormalizedPolicy[]>();
  const view: ClusterView = {
    revision: options.revision ?? 0,
    namespace: (name: string): NamespaceInfo | undefined =>
      topDown(layers, (layer) => layer.namespaces.get(name)),
    namespaces: (): readonly NamespaceInfo[] => {
      const byName = new Map<string, NamespaceInfo>();
      for (const layer of layers) for (const [name, info] of layer.namespaces) byName.set(name, info);
      return Object.freeze([...byName.values()]);
    },
    knowsServiceAccounts: (namespace: string): boolean =>
      complete || layers.some((layer) => layer.serviceAccounts.has(namespace)),
    serviceAccount: (namespace: string, name: string): ServiceAccountInfo | undefined =>
      topDown(layers, (layer) => layer.serviceAccounts.get(namespace)?.get(name)),
    serviceAccountUsers: (namespace: string, serviceAccountName: string): readonly WorkloadRef[] =>
      mergeLists(
        layers,
        (layer) => layer.usersByServiceAccount.get(`${namespace}/${serviceAccountName}`),
        workloadShadowed,
      ),
    policiesFor: (namespace: string): readonly NormalizedPolicy[] => {
      // The view never changes, so each merged list is built once; namespaces without policies of
      // their own share one entry (keyed "", never a namespace name), which bounds the cache.
      const key = layers.some((layer) => layer.policiesByNamespace.has(namespace)) ? namespace : '';
      let policies = policiesByNamespace.get(key);
      if (policies === undefined) {
        policies = mergeLists(
          layers,
          (layer) => concat(layer.policiesByNamespace.get(namespace), layer.clusterPolicies),
          policyShadowed,
        );
        policiesByNamespace.set(key, policies);
      }
      return policies;
    },
    allPolicies: (): readonly NormalizedPolicy[] =>
      mergeLists(
        layers,
        (layer) => [...[...layer.policiesByNamespace.values()].flat(), ...layer.clusterPolicies],
        policyShadowed,
      ),
    workloads: (namespace?: string): readonly WorkloadRef[] =>
      mergeLists(
        layers,
        (layer) =>
          namespace === undefined
            ? [...layer.workloadsByKey.values()]
            : layer.workloadsByNamespace.get(namespace),
        workloadShadowed,
      ),
    objects: (): readonly KubeObject[] =>
      mergeLists(
        layers,
        (layer) => layer.objects,
        (layer, object) => layer.objectKeys.has(objectKey(object)),
      ),
  };
  Object.freeze(view);
  internals.set(view, { layers, options });
  return view;
}

function concat<T>(first: readonly T[] | undefined, second: readonly T[]): readonly T[] {
  if (first === undefined) return second;
  return second.length === 0 ? first : Object.freeze([...first, ...second]);
}

/**
 * Builds a frozen, namespace-indexed view of the cluster in one pass over `objects`: an iterable
 * may hand them over lazily, so what the view does not keep (raw objects with
 * `retainObjects: false`) can be collected while it is built.
 */
export function createClusterView(objects: Iterable<KubeObject>, options: ClusterViewOptions): ClusterView {
  return composeView([buildLayer(objects, options)], options);
}

/** A view over one already indexed layer (a watch cache's partitions linked into one). */
export function createClusterViewOfLayer(layer: ViewLayer, options: ClusterViewOptions): ClusterView {
  return composeView([layer], options);
}

/**
 * A view with `objects` added as one change (what one `kubectl apply -f dir/` creates together):
 * their ServiceAccounts, policies and workloads join the view, replacing objects of the same
 * identity. Costs what the added objects cost, not a rebuild of the base view.
 */
export function extendClusterView(
  view: ClusterView,
  objects: readonly KubeObject[],
  options: Partial<ClusterViewOptions> = {},
): ClusterView {
  const base = internals.get(view);
  if (base === undefined) {
    if (options.istioRootNamespace === undefined)
      throw new TypeError('extendClusterView: unknown view needs istioRootNamespace');
    return createClusterView([...view.objects(), ...objects], {
      ...options,
      istioRootNamespace: options.istioRootNamespace,
    });
  }
  const merged: ClusterViewOptions = {
    ...base.options,
    ...options,
    revision: options.revision ?? view.revision,
  };
  const lookup = (ref: ObjectRef): WorkloadRef | undefined =>
    topDown(base.layers, (layer) => layer.workloadsByKey.get(refKey(ref)));
  const layer = buildLayer(
    objects,
    {
      istioRootNamespace: merged.istioRootNamespace,
      policies: options.policies,
      keyed: true,
      retainObjects: merged.retainObjects,
    },
    lookup,
  );
  return composeView([...base.layers, layer], merged);
}

/** Whether the view holds the workload's direct controller (or the workload has none). */
export function isOwnerKnown(view: ClusterView, workload: Workload): boolean {
  if (sameRef(workload.owner, workload)) return true;
  const layers = internals.get(view)?.layers;
  if (layers === undefined)
    return view.workloads(workload.owner.namespace).some((ref) => sameRef(ref, workload.owner));
  return topDown(layers, (layer) => layer.workloadsByKey.get(refKey(workload.owner))) !== undefined;
}

/**
 * The top-level owner of a workload: its controller chain followed through the view
 * (Pod → ReplicaSet → Deployment). An owner the view does not hold stays the owner; no name
 * guessing (a pod-template-hash suffix proves nothing).
 */
export function resolveOwner(view: ClusterView, workload: Workload): ObjectRef {
  if (sameRef(workload.owner, workload)) return workload.owner;
  const layers = internals.get(view)?.layers;
  const parent =
    layers === undefined
      ? view.workloads(workload.owner.namespace).find((ref) => sameRef(ref, workload.owner))
      : topDown(layers, (layer) => layer.workloadsByKey.get(refKey(workload.owner)));
  return parent?.owner ?? workload.owner;
}
