/**
 * A one-entry memo for what several rules read from the same workload within one decision (its
 * containers, its mesh, its allow-list policies). The engine evaluates a workload's rules one
 * after another, synchronously, so the last key is the only one a decision asks for again.
 *
 * Why not a WeakMap keyed by the workload: V8 (Node 20) keeps a WeakMap entry whose key is a young
 * object, and its value, alive through every scavenge until the next full GC. Three such memos
 * promoted each decision's workload, and with it the whole parsed request body, to the old
 * generation: scavenges slowed to tens of milliseconds and the server ran full GCs of its
 * hundreds-of-MiB heap every few seconds (`npm run bench`, "Where the time goes"). One entry
 * holds one decision's objects until the next decision replaces them.
 */
export function lastCallMemo<K extends object, D extends object, V>(
  compute: (key: K, dependency: D) => V,
): (key: K, dependency: D) => V {
  let lastKey: K | undefined;
  let lastDependency: D | undefined;
  let lastValue: V | undefined;
  return (key, dependency) => {
    // The dependency (the config or view the value was computed from) is part of the key: the
    // same workload judged against another view or config never reads the other's result.
    if (key === lastKey && dependency === lastDependency) return lastValue as V;
    const value = compute(key, dependency);
    lastKey = key;
    lastDependency = dependency;
    lastValue = value;
    return value;
  };
}
