import { ownerOf } from './ownership-of.js';
import type { ZtgateConfig } from '../config.js';
import { buildAllowAllFix } from '../fix/allow-all.js';
import { buildAllowListFix } from '../fix/index.js';
import type { ClusterView, NormalizedPolicy, Violation, Workload } from '../types.js';
import { findAllowListPolicies, podLabelsPath } from './allow-list-policy.js';
import type { Rule } from './rule.js';
import { showText } from '../message-text.js';

const RULE = 'no-allow-all-policy' as const;

function describePolicy(policy: NormalizedPolicy): string {
  const where = policy.namespace === undefined ? '' : `${showText(policy.namespace)}/`;
  return `${policy.kind} ${where}${showText(policy.name)}`;
}

/**
 * Each way an admitted policy lets every source in, or lets its pods reach every destination, at
 * the field that does it. Egress counts whatever the policy selects: a rule that opens egress for
 * any pod cancels the namespace's egress default deny for that pod.
 */
function checkPolicy(policy: NormalizedPolicy, config: ZtgateConfig): Violation[] {
  const ingressFix = buildAllowAllFix(policy.flavour, 'ingress', config);
  const egressFix = buildAllowAllFix(policy.flavour, 'egress', config);
  return [
    ...policy.allowAll.map((finding) => ({
      rule: RULE,
      path: finding.path,
      message: finding.message,
      fix: ingressFix,
    })),
    ...(policy.allowAllEgress ?? []).map((finding) => ({
      rule: RULE,
      path: finding.path,
      message: finding.message,
      fix: egressFix,
    })),
  ];
}

/** A workload whose only allow-lists admit everyone is as open as one without any. */
function checkWorkload(workload: Workload, view: ClusterView, config: ZtgateConfig): Violation[] {
  const allowLists = findAllowListPolicies(workload, view);
  if (allowLists.length === 0 || allowLists.some((policy) => policy.allowAll.length === 0)) return [];
  const names = allowLists.map(describePolicy).join(', ');
  return [
    {
      rule: RULE,
      path: podLabelsPath(workload),
      message: `the only policies that allow-list these pods admit every source: ${names}`,
      value: allowLists.map((policy) => policy.name),
      fix: buildAllowListFix(workload, ownerOf(workload, view).name, allowLists.map(describePolicy), config),
    },
  ];
}

/** Rule 3 on admitted policies: no rule of the policy admits every source or every destination. */
export const noAllowAllPolicy: Rule = {
  name: RULE,
  description:
    'A policy names its peers: a rule that admits every source, or lets pods reach every destination, is refused.',
  appliesTo: 'policy',
  operations: ['CREATE', 'UPDATE'],
  check: (context) => (context.policy === undefined ? [] : checkPolicy(context.policy, context.config)),
};

/** Rule 3 on workloads: a workload whose only allow-lists admit every source is refused. */
export const noAllowAllWorkload: Rule = {
  name: RULE,
  description: 'A workload is not allow-listed only by policies that admit every source.',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check: (context) =>
    context.workload === undefined ? [] : checkWorkload(context.workload, context.view, context.config),
};
