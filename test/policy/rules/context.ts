import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import { createClusterView } from '../../../src/policy/cluster-view.js';
import type {
  ClusterView,
  KubeObject,
  NormalizedPolicy,
  Violation,
  Workload,
  WorkloadKind,
} from '../../../src/policy/types.js';
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

/** A view that holds nothing: for rules that judge the object alone. */
export const EMPTY_VIEW: ClusterView = createClusterView([], { istioRootNamespace: 'istio-system' });

const TEMPLATE_PATHS: Partial<Record<WorkloadKind, string>> = {
  Pod: '',
  CronJob: 'spec.jobTemplate.spec.template',
};

/** A workload named `w` of this kind and namespace with this pod spec, built by hand (no toWorkload). */
export function workloadOf(
  kind: WorkloadKind,
  namespace: string,
  podSpec: Record<string, unknown>,
): Workload {
  return {
    kind,
    apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1',
    namespace,
    name: 'w',
    labels: {},
    podLabels: {},
    podSpec,
    podAnnotations: {},
    templatePath: TEMPLATE_PATHS[kind] ?? 'spec.template',
    controller: undefined,
    serviceAccountName: undefined,
    serviceAccountField: undefined,
    object: { kind, metadata: { name: 'w', namespace }, spec: podSpec },
  };
}
