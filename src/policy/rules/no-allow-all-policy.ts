import { resolveOwner } from '../cluster-view.js';
import { buildAllowListFix } from '../fix/index.js';
import type { ClusterView, NormalizedPolicy, Violation, Workload } from '../types.js';
import { findAllowListPolicies, podLabelsPath } from './allow-list-policy.js';
import type { Rule } from './rule.js';

const RULE = 'no-allow-all-policy';

function describePolicy(policy: NormalizedPolicy): string {
  const where = policy.namespace === undefined ? '' : `${policy.namespace}/`;
  return `${policy.kind} ${where}${policy.name}`;
}

/** Each way an admitted policy lets every source in, at the field that does it. */
function checkPolicy(policy: NormalizedPolicy): Violation[] {
  return policy.allowAll.map((finding) => ({
    rule: RULE,
    path: finding.path,
    message: finding.message,
    fix: `Replace this rule with named sources: the callers' namespaces and pod (or ServiceAccount) labels, and the ports they use.`,
  }));
}

/** A workload whose only allow-lists admit everyone is as open as one without any. */
function checkWorkload(workload: Workload, view: ClusterView): Violation[] {
  const allowLists = findAllowListPolicies(workload, view);
  if (allowLists.length === 0 || allowLists.some((policy) => policy.allowAll.length === 0)) return [];
  const names = allowLists.map(describePolicy).join(', ');
  return [
    {
      rule: RULE,
      path: podLabelsPath(workload),
      message: `the only policies that allow-list these pods admit every source: ${names}`,
      value: allowLists.map((policy) => policy.name),
      fix: buildAllowListFix(workload, resolveOwner(view, workload).name, allowLists.map(describePolicy)),
    },
  ];
}

/** Rule 3 on admitted policies: no rule of the policy admits every source. */
export const noAllowAllPolicy: Rule = {
  name: RULE,
  description: 'A policy names its sources: a rule that admits every source is refused.',
  appliesTo: 'policy',
  operations: ['CREATE', 'UPDATE'],
  check: (context) => (context.policy === undefined ? [] : checkPolicy(context.policy)),
};

/** Rule 3 on workloads: a workload whose only allow-lists admit every source is refused. */
export const noAllowAllWorkload: Rule = {
  name: RULE,
  description: 'A workload is not allow-listed only by policies that admit every source.',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check: (context) => (context.workload === undefined ? [] : checkWorkload(context.workload, context.view)),
};
