import type { PeerAuthenticationInfo } from './mesh/peer-authentication.js';
import { refKey, sameRef } from './objects.js';
import { canBeOwned, findClaimDefect, type ClaimDefect } from './ownership.js';
import type {
  ClusterView,
  ControllerClaim,
  KubeObject,
  NamespaceInfo,
  NormalizedPolicy,
  ObjectRef,
  ServiceAccountInfo,
  Workload,
  WorkloadRef,
} from './types.js';
import { buildLayer, objectKey, policyKey, type ViewLayer } from './view-layer.js';
import { viewMemo } from './view-memo.js';

/** How a view is built. */
export interface ClusterViewOptions {
  readonly istioRootNamespace: string;
  /** True in cluster mode: the view holds every ServiceAccount, so absence means "does not exist". */
  readonly serviceAccountsComplete?: boolean;
  readonly revision?: number;
  /** Policies the caller already normalized (a watch cache keeping them between snapshots). */
  readonly policies?: readonly NormalizedPolicy[];
  /**
   * False: the view keeps its indexes (namespaces, ServiceAccounts, normalized policies, workload
   * identities) but not the raw objects: `objects()` is empty, and a policy's `source` holds only
   * its apiVersion, kind, name and namespace. For a server,
   * whose rules never read raw objects: full Deployment specs were most of its memory.
   */
  readonly retainObjects?: boolean;
}

interface ViewInternals {
  readonly layers: readonly ViewLayer[];
  readonly options: ClusterViewOptions;
}

// Internals stay off the public ClusterView contract; extendClusterView and resolveOwnership use them.
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
    peerAuthentications: (namespace: string): readonly PeerAuthenticationInfo[] =>
      mergeLists(
        layers,
        (layer) => layer.peerAuthentications.get(namespace),
        (layer, info) => layer.objectKeys.has(objectKey(info.source)),
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

/** The workload of this kind, namespace and name in the view: one keyed lookup per layer. */
function findWorkload(view: ClusterView, ref: ObjectRef): WorkloadRef | undefined {
  const layers = internals.get(view)?.layers;
  if (layers === undefined) return view.workloads(ref.namespace).find((candidate) => sameRef(candidate, ref));
  return topDown(layers, (layer) => layer.workloadsByKey.get(refKey(ref)));
}

/** Pending links a root is followed through at most (Pod → ReplicaSet → Deployment). */
const MAX_PENDING_LINKS = 3;

/**
 * The top-level owner `root` leads to in this view. A root indexed while its own controller was
 * not yet in the view (a layer below the one that adds it, or a watch that delivered the pods
 * first) carries its pending claim, which is followed when it counts now. O(1) per link.
 */
export function currentRoot(view: ClusterView, root: ObjectRef): ObjectRef {
  let current = root;
  // Only kinds a controller creates can hold a pending claim: a Deployment root ends it at once.
  for (let link = 0; link < MAX_PENDING_LINKS && canBeOwned(current.kind); link += 1) {
    const ref = findWorkload(view, current);
    const claim = ref?.pendingClaim;
    if (ref === undefined || claim === undefined) break;
    const parent = findWorkload(view, { kind: claim.kind, namespace: ref.namespace, name: claim.name });
    if (parent === undefined || findClaimDefect(ref, claim, parent) !== undefined) break;
    current = parent.owner;
  }
  return current;
}

/** How a judged workload's controller claim fares against the view. */
export interface Ownership {
  /** The verified top-level owner: the claimed controller's root when the claim counts, else itself. */
  readonly owner: ObjectRef;
  readonly claim?: ControllerClaim | undefined;
  /** Why the claim does not count (undefined when it counts or there is none). */
  readonly defect?: ClaimDefect | undefined;
  /** The object of the claimed kind and name the view holds, if any. */
  readonly claimed?: WorkloadRef | undefined;
}

/**
 * Verifies the workload's controller claim against the view (findClaimDefect: the owner exists,
 * is a kind that creates this kind, has the claimed uid, and its template names the same
 * ServiceAccount) and returns the top-level owner that follows. O(1): one keyed lookup.
 */
export function resolveOwnership(view: ClusterView, workload: Workload): Ownership {
  const self: ObjectRef = { kind: workload.kind, namespace: workload.namespace, name: workload.name };
  const claim = workload.controller;
  if (claim === undefined) return { owner: self };
  const { claimed, defect, root } = claimVerdicts(view, claimKey(workload, claim), () =>
    judgeClaim(view, workload, claim),
  );
  return defect === undefined
    ? { owner: root as ObjectRef, claim, claimed }
    : { owner: self, claim, defect, claimed };
}

/** How the view answers a controller claim, whoever makes it: what a claim's verdict reads of the claimant. */
interface ClaimVerdict {
  readonly claimed: WorkloadRef | undefined;
  readonly defect: ClaimDefect | undefined;
  /** The claimed controller's top-level owner, when the claim counts. */
  readonly root: ObjectRef | undefined;
}

function judgeClaim(view: ClusterView, workload: Workload, claim: ControllerClaim): ClaimVerdict {
  const claimed = findWorkload(view, { kind: claim.kind, namespace: workload.namespace, name: claim.name });
  const defect = findClaimDefect(workload, claim, claimed);
  const root = defect === undefined ? currentRoot(view, (claimed as WorkloadRef).owner) : undefined;
  return { claimed, defect, root };
}

/**
 * Everything judgeClaim reads: the claimant's kind, namespace and ServiceAccount (findClaimDefect)
 * and the claim's apiVersion, kind, name and uid. Not the claimant's name: a ReplicaSet's pods
 * share one verdict.
 */
function claimKey(workload: Workload, claim: ControllerClaim): string {
  return JSON.stringify([
    workload.kind,
    workload.namespace,
    workload.serviceAccountName ?? null,
    claim.apiVersion,
    claim.kind,
    claim.name,
    claim.uid,
  ]);
}

/** Per frozen view, the verdicts on the controller claims of the last 2,048 distinct claimants. */
const claimVerdicts = viewMemo<ClaimVerdict>(2048);

/**
 * The top-level owner of a workload: its verified controller chain followed through the view
 * (Pod → ReplicaSet → Deployment), else the workload itself. No name guessing (a
 * pod-template-hash suffix proves nothing) and no trust in a claim the view cannot confirm.
 */
export function resolveOwner(view: ClusterView, workload: Workload): ObjectRef {
  return resolveOwnership(view, workload).owner;
}
