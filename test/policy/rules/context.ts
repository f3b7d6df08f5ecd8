import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import type { ClusterView, KubeObject, NormalizedPolicy, Violation } from '../../../src/policy/types.js';
import { toWorkload } from '../../../src/policy/workload.js';

/** The rule context of a CREATE of a workload. */
export function workloadContext(
  object: KubeObject,
  view: ClusterView,
  config: ZtgateConfig = DEFAULT_CONFIG,
): RuleContext {
  return {
    input: { operation: 'CREATE', object },
    view,
    config,
    workload: toWorkload(object),
    policy: undefined,
    oldPolicy: undefined,
  };
}

/** The rule context of a CREATE of a policy. */
export function policyContext(policy: NormalizedPolicy, view: ClusterView): RuleContext {
  return {
    input: { operation: 'CREATE', object: policy.source },
    view,
    config: DEFAULT_CONFIG,
    workload: undefined,
    policy,
    oldPolicy: undefined,
  };
}

/** The data of violations that tests compare: rule, path and what was missing. */
export function summarize(
  violations: readonly Violation[],
): { rule: string; path: string; missing?: unknown }[] {
  return violations.map((v) =>
    v.missing === undefined
      ? { rule: v.rule, path: v.path }
      : { rule: v.rule, path: v.path, missing: v.missing },
  );
}
