import { buildDefaultDenyFix } from '../fix/index.js';
import { namespaceEnforcement } from '../desired/enforcement.js';
import { ztgateCreatesClause } from '../fix/who-acts.js';
import type { ZtgateConfig } from '../config.js';
import type { Caller, ClusterView, Violation, Workload } from '../types.js';
import { namespaceLabelsFor } from '../workload.js';
import type { Rule } from './rule.js';
import { showText } from '../message-text.js';

const RULE = 'namespace-default-deny';

/** Whether a policy in force denies all ingress and egress for every pod of the namespace. */
export function hasDefaultDeny(namespace: string, view: ClusterView): boolean {
  const labels = namespaceLabelsFor(view, namespace);
  return view
    .policiesFor(namespace)
    .some((policy) => policy.isDefaultDeny && policy.coversNamespace(namespace, labels));
}

function checkWorkload(
  workload: Workload,
  view: ClusterView,
  config: ZtgateConfig,
  caller: Caller | undefined,
): Violation[] {
  const namespace = workload.namespace;
  if (hasDefaultDeny(namespace, view)) return [];
  // Say who acts: with defaultDeny.create the reconciler adds it within seconds (a retry passes).
  const create = config.defaultDeny.create;
  const enforcement = namespaceEnforcement(config, namespace, namespaceLabelsFor(view, namespace));
  const pending = enforcement.mode === 'enforce' ? undefined : enforcement.reason;
  const who = create
    ? ztgateCreatesClause(config.defaultDeny.policyName, namespace, caller, pending)
    : 'an administrator must create one (ztgate does not: defaultDeny.create is false)';
  return [
    {
      rule: RULE,
      path: 'metadata.namespace',
      message: `namespace ${showText(namespace)} has no default deny for ingress and egress; ${who}`,
      value: namespace,
      fix: buildDefaultDenyFix(namespace, config),
      missing: {
        kind: 'Policy',
        namespace,
        name: config.defaultDeny.policyName,
        ...(create ? { providedByZtgate: true } : {}),
      },
    },
  ];
}

/** Rule 4: the workload's namespace starts from deny-all in both directions. */
export const namespaceDefaultDeny: Rule = {
  name: RULE,
  description: 'The workload’s namespace has a default deny for ingress and egress.',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check: (context) =>
    context.workload === undefined
      ? []
      : checkWorkload(context.workload, context.view, context.config, context.input.caller),
};
