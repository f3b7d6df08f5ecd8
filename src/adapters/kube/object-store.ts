import type { KubeObject } from '../../policy/types.js';
import { partitionOf } from '../../policy/view-partitions.js';

/**
 * A reflector's objects by partition (namespace, '' for cluster-scoped) and name: the view source
 * rebuilds one namespace's index from `in(namespace)` without walking the rest of the cluster.
 */
export class ObjectStore {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  private count = 0;

  /** How many objects the store holds. */
  get size(): number {
    return this.count;
  }

  set(object: KubeObject): void {
    const partition = partitionOf(object);
    let named = this.byNamespace.get(partition);
    if (named === undefined) this.byNamespace.set(partition, (named = new Map()));
    const name = object.metadata?.name ?? '';
    if (!named.has(name)) this.count += 1;
    named.set(name, object);
  }

  delete(object: KubeObject): void {
    const partition = partitionOf(object);
    const named = this.byNamespace.get(partition);
    if (named === undefined) return;
    if (named.delete(object.metadata?.name ?? '')) this.count -= 1;
    if (named.size === 0) this.byNamespace.delete(partition);
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  /** The objects of one namespace ('' for cluster-scoped ones). */
  in(namespace: string): Iterable<KubeObject> {
    return this.byNamespace.get(namespace)?.values() ?? [];
  }

  *values(): IterableIterator<KubeObject> {
    for (const named of this.byNamespace.values()) yield* named.values();
  }
}
