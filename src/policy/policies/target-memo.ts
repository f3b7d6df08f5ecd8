/**
 * Memos for label maps derived from a selection target. One decision asks every policy of a
 * namespace whether it selects the same target; the merged maps a flavour matches against
 * (endpoint labels, prefixed namespace labels) depend on the target alone, so each is built once
 * per target object instead of once per policy and rule. Targets and view labels are immutable.
 */
import type { Labels, SelectTarget } from '../types.js';

/** Wraps `derive` so it runs once per target object (weakly held: no growth across requests). */
export function memoizeByTarget<T>(derive: (target: SelectTarget) => T): (target: SelectTarget) => T {
  const cache = new WeakMap<SelectTarget, T>();
  return (target) => {
    let value = cache.get(target);
    if (value === undefined) {
      value = derive(target);
      cache.set(target, value);
    }
    return value;
  };
}

/**
 * Wraps `derive` so it runs once per namespace labels object and namespace name: the view hands
 * every request of a namespace the same frozen labels object.
 */
export function memoizeByNamespace(
  derive: (namespace: string, labels: Labels) => Labels,
): (namespace: string, labels: Labels) => Labels {
  const cache = new WeakMap<Labels, { readonly namespace: string; readonly derived: Labels }>();
  return (namespace, labels) => {
    const hit = cache.get(labels);
    if (hit !== undefined && hit.namespace === namespace) return hit.derived;
    const derived = derive(namespace, labels);
    cache.set(labels, { namespace, derived });
    return derived;
  };
}
