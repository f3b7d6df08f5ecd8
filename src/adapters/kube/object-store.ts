import type { KubeObject } from '../../policy/types.js';

/**
 * A reflector's objects by namespace ('' for cluster-scoped) and name: the view source rebuilds
 * one namespace's index from `in(namespace)` without walking the rest of the cluster.
 */
export class ObjectStore {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();

  private static namespaceOf(object: KubeObject): string {
    return object.metadata?.namespace ?? '';
  }

  set(object: KubeObject): void {
    const namespace = ObjectStore.namespaceOf(object);
    let named = this.byNamespace.get(namespace);
    if (named === undefined) this.byNamespace.set(namespace, (named = new Map()));
    named.set(object.metadata?.name ?? '', object);
  }

  delete(object: KubeObject): void {
    const namespace = ObjectStore.namespaceOf(object);
    const named = this.byNamespace.get(namespace);
    if (named === undefined) return;
    named.delete(object.metadata?.name ?? '');
    if (named.size === 0) this.byNamespace.delete(namespace);
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
