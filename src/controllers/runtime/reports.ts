import type { KubeLogger } from '../../adapters/kube/logger.js';
import { isExemptByConfig, type NamespaceEnforcement } from '../../policy/desired/index.js';
import type { ControllerCondition, EnsureIntent } from './controller.js';

/** `Kind/name` or `Kind/namespace/name`, as the logs and the gauge name an object. */
export function describeObject(intent: Pick<EnsureIntent, 'resource' | 'namespace' | 'name'>): string {
  const where = intent.namespace === undefined ? '' : `${intent.namespace}/`;
  return `${intent.resource.kind}/${where}${intent.name}`;
}

/** What the runtime tells admins without repeating itself on every resync. */
export interface Reports {
  /** Notes what a namespace that is not enforced would get; logs a warning when that changes. */
  withheld(
    controller: string,
    namespace: string,
    enforcement: NamespaceEnforcement,
    intents: readonly EnsureIntent[],
  ): void;
  /** Notes a controller's standing problems; logs each when it appears or changes, and when it clears. */
  conditions(controller: string, conditions: readonly ControllerCondition[]): void;
  forgetNamespace(namespace: string): void;
  /** Forgets everything: a new leader term says it all once again. */
  clear(): void;
  /** Objects withheld right now, by controller. */
  withheldCounts(): ReadonlyMap<string, number>;
  /** Conditions standing right now, as `controller/key`. */
  activeConditions(): readonly string[];
}

/** Creates the once-per-change reports over a logger. */
export function createReports(logger: KubeLogger): Reports {
  const withheld = new Map<
    string,
    { readonly state: string; readonly controller: string; readonly count: number }
  >();
  const conditions = new Map<string, Map<string, string>>();
  const key = (controller: string, namespace: string): string => `${controller}\u0000${namespace}`;

  return {
    withheld(controller, namespace, enforcement, intents) {
      const id = key(controller, namespace);
      // kube-system and ztgate's own namespace will never be enforced: nothing is pending there.
      if (intents.length === 0 || isExemptByConfig(enforcement)) {
        withheld.delete(id);
        return;
      }
      const objects = intents.map(describeObject);
      const state = `${enforcement.mode}|${enforcement.reason}|${objects.join(',')}`;
      if (withheld.get(id)?.state === state) return;
      withheld.set(id, { state, controller, count: objects.length });
      // '' is the cluster-wide work item: objects of no namespace's own, withheld by `mode: audit`.
      const where = namespace === '' ? { scope: 'cluster' } : { namespace };
      logger.warn(
        { controller, ...where, mode: enforcement.mode, reason: enforcement.reason, wouldCreate: objects },
        namespace === ''
          ? 'audit mode: ztgate withholds the cluster-wide objects enforcing would create'
          : 'namespace not enforced: ztgate withholds what enforcing would create',
      );
    },
    conditions(controller, current) {
      const before = conditions.get(controller) ?? new Map<string, string>();
      const now = new Map(current.map((condition) => [condition.key, condition.message]));
      for (const condition of current) {
        if (before.get(condition.key) === condition.message) continue;
        logger.warn({ controller, condition: condition.key, ...condition.fields }, condition.message);
      }
      for (const [condition, message] of before) {
        if (!now.has(condition))
          logger.info({ controller, condition, was: message }, 'controller condition cleared');
      }
      conditions.set(controller, now);
    },
    forgetNamespace(namespace) {
      for (const id of withheld.keys()) if (id.endsWith(`\u0000${namespace}`)) withheld.delete(id);
    },
    clear() {
      withheld.clear();
      conditions.clear();
    },
    withheldCounts() {
      const counts = new Map<string, number>();
      for (const entry of withheld.values())
        counts.set(entry.controller, (counts.get(entry.controller) ?? 0) + entry.count);
      return counts;
    },
    activeConditions() {
      return [...conditions].flatMap(([controller, keys]) =>
        [...keys.keys()].map((k) => `${controller}/${k}`),
      );
    },
  };
}
