/**
 * Per-config memo of the parts of the sidecar patch that do not depend on the pod. /mutate built
 * them afresh (with a structuredClone of the resources) for every pod; now each frozen config
 * builds them once and every patch shares them, deep-frozen so no consumer of one patch can
 * change another's. A config that is not deep-frozen could change under the cache, so it gets a
 * fresh build on every call, exactly as before.
 */
import type { SidecarConfig } from '../config.js';
import { deepFreeze } from '../config.js';

/** Whether a value and everything it holds is frozen (so a result derived from it cannot go stale). */
export function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (!Object.isFrozen(value)) return false;
  for (const child of Object.values(value as Record<string, unknown>)) {
    if (!isDeepFrozen(child)) return false;
  }
  return true;
}

/**
 * Wraps a builder of config-only parts: a deep-frozen config gets one deep-frozen result, kept as
 * long as the config lives (WeakMap); any other config gets a fresh, unfrozen build per call.
 */
export function memoByConfig<T extends object>(
  build: (config: SidecarConfig) => T,
): (config: SidecarConfig) => T {
  const cache = new WeakMap<SidecarConfig, T>();
  return (config) => {
    const cached = cache.get(config);
    if (cached !== undefined) return cached;
    if (!isDeepFrozen(config)) return build(config);
    const built = deepFreeze(build(config));
    cache.set(config, built);
    return built;
  };
}
