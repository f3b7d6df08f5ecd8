import {
  isPeerAuthentication,
  readPeerAuthentication,
  type PeerAuthenticationInfo,
} from './mesh/peer-authentication.js';
import { apiGroup, nonEmptyString, readLabels, refKey } from './objects.js';
import { findClaimDefect, isViewDefect } from './ownership.js';
import { isPolicyObject, normalizePolicy, withIdentityOnly } from './policies/index.js';
import type {
  ControllerClaim,
  KubeObject,
  NamespaceInfo,
  NormalizedPolicy,
  ObjectRef,
  ServiceAccountInfo,
  WorkloadRef,
} from './types.js';
import { readWorkloadIdentity } from './workload.js';

/**
 * One layer of a cluster view: the objects of one snapshot (or of one change on top of it),
 * indexed by namespace so a decision reads only what its namespace holds.
 */
export interface ViewLayer {
  readonly namespaces: ReadonlyMap<string, NamespaceInfo>;
  /** namespace → name → ServiceAccount. */
  readonly serviceAccounts: ReadonlyMap<string, ReadonlyMap<string, ServiceAccountInfo>>;
  readonly policiesByNamespace: ReadonlyMap<string, readonly NormalizedPolicy[]>;
  readonly clusterPolicies: readonly NormalizedPolicy[];
  readonly policyKeys: ReadonlySet<string>;
  readonly workloadsByNamespace: ReadonlyMap<string, readonly WorkloadRef[]>;
  /** refKey(kind/namespace/name) → workload. */
  readonly workloadsByKey: ReadonlyMap<string, WorkloadRef>;
  /** `${namespace}/${serviceAccount}` → workloads running as it. */
  readonly usersByServiceAccount: ReadonlyMap<string, readonly WorkloadRef[]>;
  /** namespace → its Istio PeerAuthentications. */
  readonly peerAuthentications: ReadonlyMap<string, readonly PeerAuthenticationInfo[]>;
  readonly objectKeys: ReadonlySet<string>;
  readonly objects: readonly KubeObject[];
}

/** Options a layer is built with. */
export interface LayerOptions {
  readonly istioRootNamespace: string;
  /**
   * Whether to record identity keys, which only matter when this layer sits above another (to
   * replace its objects); a base layer skips them, which saves a string per object.
   */
  readonly keyed?: boolean;
  readonly policies?: readonly NormalizedPolicy[] | undefined;
  /** False: keep only the indexes, not the raw objects (a server's view; saves most of its memory). */
  readonly retainObjects?: boolean | undefined;
}

/** The identity of a policy across API versions (Istio v1 and v1beta1 name the same object). */
export function policyKey(policy: NormalizedPolicy): string {
  return `${apiGroup(policy.apiVersion)}/${policy.kind}/${policy.namespace ?? ''}/${policy.name}`;
}

/** The identity of any object across API versions. */
export function objectKey(object: KubeObject): string {
  const meta = object.metadata;
  return `${apiGroup(object.apiVersion)}/${object.kind ?? ''}/${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function isCoreKind(object: KubeObject, kind: string): boolean {
  return object.kind === kind && apiGroup(object.apiVersion) === '';
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Labels (or annotations) frozen; none at all share one empty object (most ServiceAccounts). */
function frozenLabels(value: unknown): Readonly<Record<string, string>> {
  const labels = readLabels(value);
  for (const _key in labels) return Object.freeze(labels);
  return NO_LABELS;
}

function addNamespace(namespaces: Map<string, NamespaceInfo>, object: KubeObject): void {
  const name = nonEmptyString(object.metadata?.name);
  if (name === undefined) return;
  // The API server always sets this label; manifests often omit it.
  const labels = { 'kubernetes.io/metadata.name': name, ...readLabels(object.metadata?.labels) };
  const annotations = frozenLabels(object.metadata?.annotations);
  namespaces.set(name, Object.freeze({ name, labels: Object.freeze(labels), annotations }));
}

function addServiceAccount(accounts: Map<string, Map<string, ServiceAccountInfo>>, object: KubeObject): void {
  const name = nonEmptyString(object.metadata?.name);
  const namespace = nonEmptyString(object.metadata?.namespace);
  if (name === undefined || namespace === undefined) return;
  let inNamespace = accounts.get(namespace);
  if (inNamespace === undefined) accounts.set(namespace, (inNamespace = new Map()));
  inNamespace.set(name, Object.freeze({ namespace, name, labels: frozenLabels(object.metadata?.labels) }));
}

/** Each workload's root, and the claims that did not count for a reason a later layer may change. */
interface ResolvedOwners {
  readonly owners: Map<string, ObjectRef>;
  readonly pending: Map<string, ControllerClaim>;
}

/**
 * Resolves each workload's controller chain to its root (Pod → ReplicaSet → Deployment) using
 * this layer's workloads first, then `lookupBelow` (lower layers, already resolved). A link counts
 * only when the claimed controller is there and really owns the workload (findClaimDefect): a
 * workload whose claim does not count is its own root, so a forged reference hides no sharer.
 */
function resolveOwners(
  workloads: ReadonlyMap<string, WorkloadRef>,
  claims: ReadonlyMap<string, ControllerClaim>,
  lookupBelow: (ref: ObjectRef) => WorkloadRef | undefined,
): ResolvedOwners {
  const owners = new Map<string, ObjectRef>();
  const pending = new Map<string, ControllerClaim>();
  const resolve = (key: string, workload: WorkloadRef, depth: number): ObjectRef => {
    const claim = claims.get(key);
    // Without a claim a workload is its own root: nothing to remember (most of a cluster's
    // workloads; an entry each was most of what building a big view added at its peak).
    if (claim === undefined) return workload.owner;
    const known = owners.get(key);
    if (known !== undefined) return known;
    let owner = workload.owner;
    // Depth bounds chains; the kinds that may own one another admit no cycle anyway.
    if (depth < 8) {
      const claimed = { kind: claim.kind, namespace: workload.namespace, name: claim.name };
      const local = workloads.get(refKey(claimed));
      const parent = local ?? lookupBelow(claimed);
      const defect = findClaimDefect(workload, claim, parent);
      if (defect === undefined && parent !== undefined)
        owner = local === undefined ? parent.owner : resolve(refKey(claimed), local, depth + 1);
      else if (defect !== undefined && isViewDefect(defect)) pending.set(key, claim);
    }
    owners.set(key, owner);
    return owner;
  };
  for (const [key, workload] of workloads) resolve(key, workload, 0);
  return { owners, pending };
}

function addPolicy(
  layer: { byNs: Map<string, NormalizedPolicy[]>; cluster: NormalizedPolicy[] },
  policy: NormalizedPolicy,
): void {
  if (policy.clusterWide) layer.cluster.push(policy);
  else if (policy.namespace !== undefined) push(layer.byNs, policy.namespace, policy);
}

/**
 * A workload with its verified root (and the claim to re-check, if any), written out field by
 * field: a spread followed by more keys gives every such object a hidden class of its own in V8
 * (about 400 bytes each, for each of a cluster's ReplicaSets).
 */
function resolvedRef(
  workload: WorkloadRef,
  owner: ObjectRef,
  pendingClaim: ControllerClaim | undefined,
): WorkloadRef {
  const { kind, namespace, name, uid, serviceAccountName } = workload;
  return Object.freeze(
    pendingClaim === undefined
      ? { kind, namespace, name, uid, owner, serviceAccountName }
      : { kind, namespace, name, uid, owner, serviceAccountName, pendingClaim },
  );
}

/**
 * `${namespace}/${serviceAccount}` → the workloads running as it, built a namespace at a time so
 * each key is made once per ServiceAccount, not once per workload. A pod without
 * serviceAccountName runs as `default`; sharing `default` is reported by another check.
 */
function usersByServiceAccountOf(
  workloadsByNamespace: ReadonlyMap<string, readonly WorkloadRef[]>,
): Map<string, WorkloadRef[]> {
  const users = new Map<string, WorkloadRef[]>();
  const byName = new Map<string, WorkloadRef[]>();
  for (const [namespace, workloads] of workloadsByNamespace) {
    for (const ref of workloads)
      if (ref.serviceAccountName !== undefined) push(byName, ref.serviceAccountName, ref);
    for (const [name, list] of byName) users.set(`${namespace}/${name}`, list);
    byName.clear();
  }
  return users;
}

/** Builds one indexed layer in a single pass over the objects. */
export function buildLayer(
  objects: Iterable<KubeObject>,
  options: LayerOptions,
  lookupBelow: (ref: ObjectRef) => WorkloadRef | undefined = () => undefined,
): ViewLayer {
  const namespaces = new Map<string, NamespaceInfo>();
  const serviceAccounts = new Map<string, Map<string, ServiceAccountInfo>>();
  const policies = { byNs: new Map<string, NormalizedPolicy[]>(), cluster: [] as NormalizedPolicy[] };
  const policyKeys = new Set<string>();
  const rawWorkloads = new Map<string, WorkloadRef>();
  // Only while the layer is built: the view keeps each verified root, not the claims.
  const claims = new Map<string, ControllerClaim>();
  const peerAuthentications = new Map<string, PeerAuthenticationInfo[]>();
  const objectKeys = new Set<string>();
  const all: KubeObject[] = [];
  const normalizeOptions = { istioRootNamespace: options.istioRootNamespace };
  const keyed = options.keyed === true;
  const retain = options.retainObjects !== false;
  for (const policy of options.policies ?? []) {
    addPolicy(policies, policy);
    if (keyed) policyKeys.add(policyKey(policy));
    if (retain) all.push(policy.source);
  }
  for (const object of objects) {
    if (retain) all.push(object);
    if (keyed) objectKeys.add(objectKey(object));
    if (isCoreKind(object, 'Namespace')) addNamespace(namespaces, object);
    else if (isCoreKind(object, 'ServiceAccount')) addServiceAccount(serviceAccounts, object);
    else if (isPeerAuthentication(object)) {
      const info = readPeerAuthentication(object);
      if (info.namespace !== '' && info.name !== '')
        push(peerAuthentications, info.namespace, Object.freeze(info));
    } else if (isPolicyObject(object)) {
      const normalized = normalizePolicy(object, normalizeOptions);
      if (normalized === undefined) continue;
      // Without the raw objects, a policy's spec is not kept either: its normalized form is what
      // the rules read (it was a third of a server's view at the benchmark's 1x).
      const policy = retain ? normalized : withIdentityOnly(normalized);
      addPolicy(policies, policy);
      if (keyed) policyKeys.add(policyKey(policy));
    } else {
      const identity = readWorkloadIdentity(object);
      if (identity === undefined) continue;
      const key = refKey(identity.ref);
      rawWorkloads.set(key, identity.ref);
      if (identity.claim !== undefined) claims.set(key, identity.claim);
      else claims.delete(key);
    }
  }
  if (keyed) for (const policy of options.policies ?? []) objectKeys.add(objectKey(policy.source));
  const { owners, pending } = resolveOwners(rawWorkloads, claims, lookupBelow);
  claims.clear();
  const workloadsByNamespace = new Map<string, WorkloadRef[]>();
  // The map of raw references becomes the index by key: a resolved reference replaces its raw
  // one in place, so a big view is not indexed twice at its peak.
  const workloadsByKey = rawWorkloads;
  for (const [key, workload] of rawWorkloads) {
    const owner = owners.get(key) ?? workload.owner;
    const pendingClaim = pending.get(key);
    let ref = Object.freeze(workload);
    if (pendingClaim !== undefined || owner !== workload.owner) {
      ref = resolvedRef(workload, owner, pendingClaim);
      workloadsByKey.set(key, ref);
    }
    push(workloadsByNamespace, ref.namespace, ref);
  }
  return {
    namespaces,
    serviceAccounts,
    policiesByNamespace: policies.byNs,
    clusterPolicies: policies.cluster,
    policyKeys,
    workloadsByNamespace,
    workloadsByKey,
    usersByServiceAccount: usersByServiceAccountOf(workloadsByNamespace),
    peerAuthentications,
    objectKeys,
    objects: all,
  };
}
