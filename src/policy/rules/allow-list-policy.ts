import { ownerOf } from './ownership-of.js';
import type { ZtgateConfig } from '../config.js';
import { buildAllowListFix } from '../fix/index.js';
import { describeLabels, joinPath } from '../objects.js';
import type { ClusterView, NormalizedPolicy, RequiredLabel, Violation, Workload } from '../types.js';
import { selectTargetFor } from '../workload.js';
import type { Rule } from './rule.js';
import { showText } from '../message-text.js';
import { lastCallMemo } from '../last-memo.js';

const RULE = 'allow-list-policy';

/**
 * The allow-list candidates of one namespace, indexed by a label a policy's pods must carry: a
 * pod is matched against the policies filed under its own labels and the unindexed rest, not
 * against every policy in force. `position` keeps answers in the order of the policies in force.
 */
interface CandidateIndex {
  readonly unindexed: readonly NormalizedPolicy[];
  /** Per label key: label value → policies that select only pods carrying that label. */
  readonly byLabel: readonly (readonly [string, ReadonlyMap<string, readonly NormalizedPolicy[]>])[];
  readonly position: ReadonlyMap<NormalizedPolicy, number>;
}

/** Per list of policies in force (one per view and namespace), the candidates for each namespace. */
const candidatesByList = new WeakMap<readonly NormalizedPolicy[], Map<string, CandidateIndex>>();

const labelId = (label: RequiredLabel): string => `${label.key}\u0000${label.value}`;

/** Files each policy under the least shared of its required labels, so buckets stay small. */
function indexCandidates(candidates: readonly NormalizedPolicy[]): CandidateIndex {
  const shared = new Map<string, number>();
  for (const policy of candidates) {
    for (const label of policy.requiredPodLabels ?? []) {
      const id = labelId(label);
      shared.set(id, (shared.get(id) ?? 0) + 1);
    }
  }
  const unindexed: NormalizedPolicy[] = [];
  const byLabel = new Map<string, Map<string, NormalizedPolicy[]>>();
  const position = new Map<NormalizedPolicy, number>();
  candidates.forEach((policy, index) => {
    position.set(policy, index);
    let best: RequiredLabel | undefined;
    let bestShared = Number.POSITIVE_INFINITY;
    for (const label of policy.requiredPodLabels ?? []) {
      const count = shared.get(labelId(label)) ?? 0;
      if (count < bestShared) {
        best = label;
        bestShared = count;
      }
    }
    if (best === undefined) {
      unindexed.push(policy);
      return;
    }
    let byValue = byLabel.get(best.key);
    if (byValue === undefined) byLabel.set(best.key, (byValue = new Map()));
    const filed = byValue.get(best.value);
    if (filed === undefined) byValue.set(best.value, [policy]);
    else filed.push(policy);
  });
  return { unindexed, byLabel: [...byLabel], position };
}

/**
 * Whether a policy is written for no workload in particular: it selects a pod that carries none
 * of the labels the author named (every pod, or every pod not labelled to be left out).
 */
function selectsNoOneInParticular(policy: NormalizedPolicy): boolean {
  return policy.selectsEveryPod || (policy.selectsUnlabelledPods ?? false);
}

/**
 * The policies in force in a namespace that could be an allow-list for one of its workloads:
 * those that do not depend on the pod's labels are decided once per view and namespace.
 */
function allowListCandidates(view: ClusterView, namespace: string): CandidateIndex {
  const inForce = view.policiesFor(namespace);
  // Only namespaces the view holds are kept: names invented in request bodies (anyone who reaches
  // the webhook port can write one) must not grow the cache of a view that may live for hours.
  if (view.namespace(namespace) === undefined) return indexInForce(inForce, namespace);
  let byNamespace = candidatesByList.get(inForce);
  if (byNamespace === undefined) candidatesByList.set(inForce, (byNamespace = new Map()));
  let candidates = byNamespace.get(namespace);
  if (candidates === undefined) {
    candidates = indexInForce(inForce, namespace);
    byNamespace.set(namespace, candidates);
  }
  return candidates;
}

function indexInForce(inForce: readonly NormalizedPolicy[], namespace: string): CandidateIndex {
  return indexCandidates(
    inForce.filter(
      (policy) =>
        (policy.clusterWide || policy.namespace === namespace) &&
        policy.isAllowList &&
        policy.appliesToIngress &&
        !selectsNoOneInParticular(policy),
    ),
  );
}

/**
 * Policies in force in the workload's namespace written for this workload: allow-lists that
 * apply to ingress and select its pod labels with a selector narrower than "every pod" — one a
 * pod matches only by carrying a label the author named (a namespace default deny, a blanket
 * policy or a NotIn/DoesNotExist-only selector is not an allow-list for anyone).
 */
export const findAllowListPolicies: (workload: Workload, view: ClusterView) => readonly NormalizedPolicy[] =
  // Rules 2 and 3 both ask within one decision; selector evaluation is the costly part.
  lastCallMemo(selectAllowListPolicies);

function selectAllowListPolicies(workload: Workload, view: ClusterView): readonly NormalizedPolicy[] {
  const target = selectTargetFor(workload, view);
  const index = allowListCandidates(view, workload.namespace);
  const policies: NormalizedPolicy[] = [];
  for (const policy of index.unindexed) {
    if (policy.selects(target)) policies.push(policy);
  }
  const labels = target.podLabels;
  for (const [key, byValue] of index.byLabel) {
    const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
    const filed = value === undefined ? undefined : byValue.get(value);
    if (filed === undefined) continue;
    for (const policy of filed) {
      if (policy.selects(target)) policies.push(policy);
    }
  }
  if (policies.length > 1) {
    policies.sort((a, b) => (index.position.get(a) ?? 0) - (index.position.get(b) ?? 0));
  }
  return policies;
}

/** Where a violation about the pods' allow-list points: the pod template's labels. */
export function podLabelsPath(workload: Workload): string {
  return joinPath(workload.templatePath, 'metadata.labels');
}

function checkWorkload(workload: Workload, view: ClusterView, config: ZtgateConfig): Violation[] {
  if (findAllowListPolicies(workload, view).length > 0) return [];
  return [
    {
      rule: RULE,
      path: podLabelsPath(workload),
      message: `no policy in namespace ${showText(workload.namespace)} allow-lists ingress to pods labelled ${describeLabels(workload.podLabels)}`,
      value: workload.podLabels,
      fix: buildAllowListFix(workload, ownerOf(workload, view).name, [], config),
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
  check: (context) =>
    context.workload === undefined ? [] : checkWorkload(context.workload, context.view, context.config),
};
