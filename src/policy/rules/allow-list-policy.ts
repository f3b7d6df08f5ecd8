import { ownerOf } from './ownership-of.js';
import type { ZtgateConfig } from '../config.js';
import { buildAllowListFix } from '../fix/index.js';
import { describeLabels, joinPath } from '../objects.js';
import type {
  ClusterView,
  NormalizedPolicy,
  RequiredLabel,
  SelectTarget,
  Violation,
  Workload,
} from '../types.js';
import { selectTargetFor } from '../workload.js';
import type { Rule } from './rule.js';
import { showText } from '../message-text.js';
import { lastCallMemo } from '../last-memo.js';
import { viewMemo } from '../view-memo.js';

const RULE = 'allow-list-policy';

/**
 * Allow-list candidates indexed by a label a policy's pods must carry: a pod is matched against
 * the policies filed under its own labels and the unindexed rest, not against every candidate.
 * A policy may be filed under any label it requires (it selects no pod without it): the choice
 * only sizes the buckets.
 */
interface FiledPolicies {
  readonly unindexed: readonly NormalizedPolicy[];
  /** Per label key: label value → policies that select only pods carrying that label. */
  readonly byLabel: readonly (readonly [string, ReadonlyMap<string, readonly NormalizedPolicy[]>])[];
}

/**
 * The allow-list candidates of one namespace: its own policies, and the cluster-wide ones, filed
 * once per view and shared by every namespace (at the benchmark's 1× view, 40 of a namespace's 45
 * candidates). `inForce` orders answers as the policies in force are ordered.
 */
interface CandidateIndex {
  readonly inForce: readonly NormalizedPolicy[];
  readonly own: FiledPolicies;
  readonly clusterWide: FiledPolicies;
}

/** Per list of policies in force (one per view and namespace), the candidates for each namespace. */
const candidatesByList = new WeakMap<readonly NormalizedPolicy[], Map<string, CandidateIndex>>();

/** Per view, the cluster-wide candidates filed (namespaces may see different ones: a few kept). */
const clusterWideByView = new WeakMap<
  ClusterView,
  { readonly policies: readonly NormalizedPolicy[]; readonly filed: FiledPolicies }[]
>();
const CLUSTER_WIDE_KEPT = 4;

const labelId = (label: RequiredLabel): string => `${label.key}\u0000${label.value}`;

/** Files each policy under the least shared of its required labels, so buckets stay small. */
function fileCandidates(candidates: readonly NormalizedPolicy[]): FiledPolicies {
  const shared = new Map<string, number>();
  for (const policy of candidates) {
    for (const label of policy.requiredPodLabels ?? []) {
      const id = labelId(label);
      shared.set(id, (shared.get(id) ?? 0) + 1);
    }
  }
  const unindexed: NormalizedPolicy[] = [];
  const byLabel = new Map<string, Map<string, NormalizedPolicy[]>>();
  for (const policy of candidates) {
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
      continue;
    }
    let byValue = byLabel.get(best.key);
    if (byValue === undefined) byLabel.set(best.key, (byValue = new Map()));
    const filed = byValue.get(best.value);
    if (filed === undefined) byValue.set(best.value, [policy]);
    else filed.push(policy);
  }
  return { unindexed, byLabel: [...byLabel] };
}

function sameList(a: readonly NormalizedPolicy[], b: readonly NormalizedPolicy[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) return false;
  return true;
}

/** The cluster-wide candidates filed, reused when the view filed the same ones before. */
function fileClusterWide(view: ClusterView, policies: readonly NormalizedPolicy[]): FiledPolicies {
  const kept = clusterWideByView.get(view) ?? [];
  const known = kept.find((entry) => sameList(entry.policies, policies));
  if (known !== undefined) return known.filed;
  const filed = fileCandidates(policies);
  if (kept.length < CLUSTER_WIDE_KEPT) clusterWideByView.set(view, [...kept, { policies, filed }]);
  return filed;
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
  if (view.namespace(namespace) === undefined) return indexInForce(view, inForce, namespace);
  let byNamespace = candidatesByList.get(inForce);
  if (byNamespace === undefined) candidatesByList.set(inForce, (byNamespace = new Map()));
  let candidates = byNamespace.get(namespace);
  if (candidates === undefined) {
    candidates = indexInForce(view, inForce, namespace);
    byNamespace.set(namespace, candidates);
  }
  return candidates;
}

function indexInForce(
  view: ClusterView,
  inForce: readonly NormalizedPolicy[],
  namespace: string,
): CandidateIndex {
  const own: NormalizedPolicy[] = [];
  const clusterWide: NormalizedPolicy[] = [];
  for (const policy of inForce) {
    if (!policy.isAllowList || !policy.appliesToIngress || selectsNoOneInParticular(policy)) continue;
    if (policy.clusterWide) clusterWide.push(policy);
    else if (policy.namespace === namespace) own.push(policy);
  }
  return { inForce, own: fileCandidates(own), clusterWide: fileClusterWide(view, clusterWide) };
}

/** Adds to `into` the policies of `filed` that select `target`. */
function selecting(filed: FiledPolicies, target: SelectTarget, into: NormalizedPolicy[]): void {
  for (const policy of filed.unindexed) {
    if (policy.selects(target)) into.push(policy);
  }
  const labels = target.podLabels;
  for (const [key, byValue] of filed.byLabel) {
    const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
    const policies = value === undefined ? undefined : byValue.get(value);
    if (policies === undefined) continue;
    for (const policy of policies) {
      if (policy.selects(target)) into.push(policy);
    }
  }
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

/**
 * Per frozen view, the allow-lists found for a namespace, ServiceAccount name and pod labels: all
 * a selection reads of the workload (selectTargetFor; the namespace's and the ServiceAccount's
 * labels come from the view). Each replica of a ReplicaSet after the first skips the selectors.
 */
export const SELECTIONS_KEPT = 2048;
const selections = viewMemo<readonly NormalizedPolicy[]>(SELECTIONS_KEPT);

/**
 * The selection's key: JSON of the namespace, the ServiceAccount name (null when unset, which is
 * not `default`: an unset name has no ServiceAccount labels) and the pod labels (readLabels: own
 * string values only, so equal text is equal labels).
 */
function selectionKey(workload: Workload): string {
  return JSON.stringify([workload.namespace, workload.serviceAccountName ?? null, workload.podLabels]);
}

function selectAllowListPolicies(workload: Workload, view: ClusterView): readonly NormalizedPolicy[] {
  return selections(view, selectionKey(workload), () => selectAfresh(workload, view));
}

/** The allow-lists of the workload's namespace that select its pods, in the order in force. */
export function selectAfresh(workload: Workload, view: ClusterView): NormalizedPolicy[] {
  const target = selectTargetFor(workload, view);
  const index = allowListCandidates(view, workload.namespace);
  const policies: NormalizedPolicy[] = [];
  selecting(index.own, target, policies);
  selecting(index.clusterWide, target, policies);
  if (policies.length > 1) {
    // In the order of the policies in force (few match: each is looked up once).
    const position = new Map(policies.map((policy) => [policy, index.inForce.indexOf(policy)]));
    policies.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
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
