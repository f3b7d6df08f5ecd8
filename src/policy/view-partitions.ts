/**
 * A cluster view kept as one layer per namespace (plus one for cluster-scoped objects), so a
 * watch cache that sees a change in one namespace rebuilds that namespace's layer and re-links
 * the rest, instead of re-indexing every object of the cluster after every change. Everything a
 * layer indexes is namespace-local (ServiceAccounts, workloads and their owner chains, namespaced
 * policies), which is what makes the split exact.
 */
import { createClusterViewOfLayer, type ClusterViewOptions } from './cluster-view.js';
import { isPolicyObject } from './policies/index.js';
import type { ClusterView, KubeObject, NormalizedPolicy } from './types.js';
import { buildLayer, type ViewLayer } from './view-layer.js';

/** The partition of cluster-scoped objects (Namespaces, GlobalNetworkPolicies, CCNPs). */
export const CLUSTER_PARTITION = '';

/** The partition an object belongs to: its namespace, or the cluster partition. */
export function partitionOf(object: KubeObject): string {
  const namespace = object.metadata?.namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : CLUSTER_PARTITION;
}

/** What one partition is built from: its non-policy objects and its already normalized policies. */
export interface PartitionContents {
  readonly objects: Iterable<KubeObject>;
  readonly policies: readonly NormalizedPolicy[];
}

/** One partition's objects as gathered: the non-policy objects and the normalized policies. */
export interface GatheredPartition extends PartitionContents {
  readonly objects: KubeObject[];
  readonly policies: NormalizedPolicy[];
}

/**
 * Files objects under their partitions, policies normalized with `normalize` (a watch cache
 * passes a cached one); a policy that does not normalize is left out.
 */
export function groupByPartition(
  objects: Iterable<KubeObject>,
  normalize: (policy: KubeObject) => NormalizedPolicy | undefined,
): Map<string, GatheredPartition> {
  const groups = new Map<string, GatheredPartition>();
  const groupOf = (object: KubeObject): GatheredPartition => {
    const partition = partitionOf(object);
    let group = groups.get(partition);
    if (group === undefined) groups.set(partition, (group = { objects: [], policies: [] }));
    return group;
  };
  for (const object of objects) {
    if (!isPolicyObject(object)) {
      groupOf(object).objects.push(object);
      continue;
    }
    const policy = normalize(object);
    if (policy !== undefined) groupOf(object).policies.push(policy);
  }
  return groups;
}

/**
 * Indexes one partition's objects. The layer keeps the list of its objects (the policies' sources
 * among them): a watch cache's stores hold the objects anyway, so the list costs a reference each,
 * and the background audit reads a namespace's workloads from it, consistent with the view.
 */
export function buildPartition(contents: PartitionContents, istioRootNamespace: string): ViewLayer {
  return buildLayer(contents.objects, { istioRootNamespace, policies: contents.policies });
}

// The partitions each composed view was linked from, so partitionObjects reads the same snapshot.
const partitionsOf = new WeakMap<ClusterView, ReadonlyMap<string, ViewLayer>>();

/**
 * The objects of one partition of a view composePartitions built (its workloads, ServiceAccounts
 * and the policies that normalized; '' for the cluster-scoped ones), as that view was built from
 * them. Empty for any other view.
 */
export function partitionObjects(view: ClusterView, partition: string): readonly KubeObject[] {
  return partitionsOf.get(view)?.get(partition)?.objects ?? [];
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** Where a key of a partition index names its namespace. */
type NamespaceOfKey = (key: string) => string;

/** The key is the namespace (per-namespace indexes). */
const wholeKey: NamespaceOfKey = (key) => key;
/** `namespace/…` (ServiceAccount users). */
const firstSegment: NamespaceOfKey = (key) => {
  const end = key.indexOf('/');
  return end < 0 ? key : key.slice(0, end);
};
/** `kind/namespace/name` (workload references). */
const secondSegment: NamespaceOfKey = (key) => {
  const start = key.indexOf('/') + 1;
  const end = key.indexOf('/', start);
  return start === 0 || end < 0 ? CLUSTER_PARTITION : key.slice(start, end);
};

/**
 * A read-only map over the same-named index of every partition, each key looked up in the
 * partition of the namespace it names: linking costs nothing per entry.
 */
class PartitionedIndex<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly partitions: ReadonlyMap<string, ViewLayer>,
    private readonly pick: (layer: ViewLayer) => ReadonlyMap<string, V>,
    private readonly namespaceOf: NamespaceOfKey,
  ) {}

  private shard(key: string): ReadonlyMap<string, V> | undefined {
    const layer = this.partitions.get(this.namespaceOf(key));
    return layer === undefined ? undefined : this.pick(layer);
  }

  get(key: string): V | undefined {
    return this.shard(key)?.get(key);
  }

  has(key: string): boolean {
    return this.shard(key)?.has(key) ?? false;
  }

  get size(): number {
    let size = 0;
    for (const layer of this.partitions.values()) size += this.pick(layer).size;
    return size;
  }

  *entries(): MapIterator<[string, V]> {
    for (const layer of this.partitions.values()) yield* this.pick(layer).entries();
  }

  *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }
}

/**
 * Links the partitions into one view. Costs a copy of the partition map, not a pass over the
 * objects: every index stays in its partition and is looked up through it.
 */
export function composePartitions(
  current: ReadonlyMap<string, ViewLayer>,
  options: ClusterViewOptions,
): ClusterView {
  // A copy: the caller goes on replacing partitions, and a published view never changes.
  const partitions = new Map(current);
  const clusterPolicies: NormalizedPolicy[] = [];
  for (const layer of partitions.values()) clusterPolicies.push(...layer.clusterPolicies);
  const layer: ViewLayer = {
    namespaces: partitions.get(CLUSTER_PARTITION)?.namespaces ?? new Map(),
    serviceAccounts: new PartitionedIndex(partitions, (part) => part.serviceAccounts, wholeKey),
    policiesByNamespace: new PartitionedIndex(partitions, (part) => part.policiesByNamespace, wholeKey),
    clusterPolicies,
    policyKeys: EMPTY_SET,
    workloadsByNamespace: new PartitionedIndex(partitions, (part) => part.workloadsByNamespace, wholeKey),
    workloadsByKey: new PartitionedIndex(partitions, (part) => part.workloadsByKey, secondSegment),
    usersByServiceAccount: new PartitionedIndex(
      partitions,
      (part) => part.usersByServiceAccount,
      firstSegment,
    ),
    peerAuthentications: new PartitionedIndex(partitions, (part) => part.peerAuthentications, wholeKey),
    objectKeys: EMPTY_SET,
    objects: [],
  };
  const view = createClusterViewOfLayer(layer, { ...options, retainObjects: false });
  partitionsOf.set(view, partitions);
  return view;
}
