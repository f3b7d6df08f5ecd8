import { resolveOwner } from '../cluster-view.js';
import { buildAllowListFix } from '../fix/index.js';
import { describeLabels, joinPath } from '../objects.js';
import type { ClusterView, NormalizedPolicy, Violation, Workload } from '../types.js';
import { selectTargetFor } from '../workload.js';
import type { Rule } from './rule.js';

const RULE = 'allow-list-policy';
const memo = new WeakMap<Workload, { view: ClusterView; policies: readonly NormalizedPolicy[] }>();
/** Per list of policies in force (one per view and namespace), the candidates for each namespace. */
const candidatesByList = new WeakMap<readonly NormalizedPolicy[], Map<string, readonly NormalizedPolicy[]>>();

/**
 * The policies in force in a namespace that could be an allow-list for one of its workloads:
 * those that do not depend on the pod's labels are decided once per view and namespace.
 */
function allowListCandidates(view: ClusterView, namespace: string): readonly NormalizedPolicy[] {
  const inForce = view.policiesFor(namespace);
  let byNamespace = candidatesByList.get(inForce);
  if (byNamespace === undefined) candidatesByList.set(inForce, (byNamespace = new Map()));
  let candidates = byNamespace.get(namespace);
  if (candidates === undefined) {
    candidates = inForce.filter(
      (policy) =>
        (policy.clusterWide || policy.namespace === namespace) &&
        policy.isAllowList &&
        policy.appliesToIngress &&
        !policy.selectsEveryPod,
    );
    byNamespace.set(namespace, candidates);
  }
  return candidates;
}

/**
 * Policies in force in the workload's namespace written for this workload: allow-lists that
 * apply to ingress and select its pod labels with a selector narrower than "every pod"
 * (a namespace default deny or a blanket policy is not an allow-list for anyone).
 */
export function findAllowListPolicies(workload: Workload, view: ClusterView): readonly NormalizedPolicy[] {
  // Rules 2 and 3 both ask within one decision; selector evaluation is the costly part.
  const cached = memo.get(workload);
  if (cached?.view === view) return cached.policies;
  const target = selectTargetFor(workload, view);
  const policies: NormalizedPolicy[] = [];
  for (const policy of allowListCandidates(view, workload.namespace)) {
    if (policy.selects(target)) policies.push(policy);
  }
  memo.set(workload, { view, policies });
  return policies;
}

/** Where a violation about the pods' allow-list points: the pod template's labels. */
export function podLabelsPath(workload: Workload): string {
  return joinPath(workload.templatePath, 'metadata.labels');
}

function checkWorkload(workload: Workload, view: ClusterView): Violation[] {
  if (findAllowListPolicies(workload, view).length > 0) return [];
  return [
    {
      rule: RULE,
      path: podLabelsPath(workload),
      message: `no policy in namespace ${workload.namespace} allow-lists ingress to pods labelled ${describeLabels(workload.podLabels)}`,
      value: workload.podLabels,
      fix: buildAllowListFix(workload, resolveOwner(view, workload).name),
      missing: { kind: 'Policy', namespace: workload.namespace },
    },
  ];
}

/** Rule 2: some policy in force names who may call this workload. */
export const allowListPolicy: Rule = {
  name: RULE,
  description:
    'A policy in force in the namespace selects the workload’s pods for ingress and lists who may call them.',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check: (context) => (context.workload === undefined ? [] : checkWorkload(context.workload, context.view)),
};
