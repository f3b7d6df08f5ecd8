import { currentRoot, type Ownership } from '../cluster-view.js';
import { ownershipOf } from './ownership-of.js';
import { buildServiceAccountFix, buildSharerServiceAccountsFix, podWord } from '../fix/index.js';
import { describeRef, joinPath, refKey, sameRef } from '../objects.js';
import { describeClaimDefect, isViewDefect } from '../ownership.js';
import type { ClusterView, MissingRef, ObjectRef, Violation, Workload, WorkloadRef } from '../types.js';
import type { Rule } from './rule.js';
import { showText } from '../message-text.js';
import { viewMemo } from '../view-memo.js';

const RULE = 'dedicated-service-account';
/** How many sharers a message names before summarizing. */
const NAMED_SHARERS = 5;

/** Other workloads in the view running as the same ServiceAccount under a different top-level owner. */
export function findSharers(workload: Workload, owner: ObjectRef, view: ClusterView): WorkloadRef[] {
  if (workload.serviceAccountName === undefined) return [];
  // The judged object itself (an UPDATE) is not a sharer either.
  return othersOf(view, workload.namespace, workload.serviceAccountName, owner).filter(
    (user) => !sameRef(user, workload),
  );
}

/**
 * The ServiceAccount's users in the view under another top-level owner than `owner`: what its
 * verified controller chain owns is not a sharer, and a root indexed before its own controller was
 * in the view is followed (currentRoot). Kept per frozen view for the last 2,048 ServiceAccounts
 * and owners asked about (the key holds all it reads), so a ReplicaSet's later pods skip the walk.
 */
function othersOf(
  view: ClusterView,
  namespace: string,
  serviceAccountName: string,
  owner: ObjectRef,
): readonly WorkloadRef[] {
  const key = JSON.stringify([namespace, serviceAccountName, owner.kind, owner.namespace, owner.name]);
  return otherUsers(view, key, () =>
    view
      .serviceAccountUsers(namespace, serviceAccountName)
      .filter(
        (user) =>
          !sameRef(user, owner) &&
          !sameRef(user.owner, owner) &&
          !sameRef(currentRoot(view, user.owner), owner),
      ),
  );
}

const otherUsers = viewMemo<readonly WorkloadRef[]>(2048);

/** A ServiceAccount name for the workload alone: its top-level owner's name (never `default`). */
function suggestName(owner: ObjectRef): string {
  return owner.name === 'default' ? `${owner.name}-${owner.kind.toLowerCase()}` : owner.name;
}

function sharingFix(
  workload: Workload,
  owner: ObjectRef,
  sa: string,
  sharers: readonly WorkloadRef[],
): string {
  if (owner.name !== sa) return buildServiceAccountFix(workload, suggestName(owner));
  const names = [...new Set(sharers.map((sharer) => sharer.owner.name))].slice(0, NAMED_SHARERS);
  return buildSharerServiceAccountsFix(workload.namespace, sa, names);
}

/** Sharers named by their top-level owners: a Deployment's ReplicaSets and pods are one sharer. */
function describeSharers(sharers: readonly WorkloadRef[]): string {
  const owners = new Map<string, ObjectRef>();
  for (const sharer of sharers) owners.set(refKey(sharer.owner), sharer.owner);
  const all = [...owners.values()];
  const named = all.slice(0, NAMED_SHARERS).map(describeRef).join(', ');
  const more = all.length > NAMED_SHARERS ? ` and ${all.length - NAMED_SHARERS} more` : '';
  return `${named}${more}`;
}

/** Why the workload's claimed controller does not count, for the sharing message ("" when none). */
function claimNote(workload: Workload, ownership: Ownership): string {
  const { claim, defect } = ownership;
  if (claim === undefined || defect === undefined) return '';
  const why = describeClaimDefect(defect, workload, claim, ownership.claimed);
  return (
    `. metadata.ownerReferences[${claim.index}] names ${claim.kind} ${claim.name} as its controller, ` +
    `which does not count: ${why}; so this ${workload.kind} is judged as a workload of its own`
  );
}

/** The fix line for a claim that does not count: a workload nobody's controller made owns itself. */
function claimFix(ownership: Ownership): string {
  const { claim } = ownership;
  if (claim === undefined || ownership.defect === undefined) return '';
  return `# Remove metadata.ownerReferences[${claim.index}] (${claim.kind} ${claim.name}): only the controller that creates an object may name itself its owner.\n`;
}

/**
 * A claimed owner the view lacks, or holds in a state that does not match the claim, may be watch
 * lag (a ReplicaSet's pod can arrive before the watch delivers the ReplicaSet): the adapter reads
 * it live before the denial stands.
 */
function confirmOwner(workload: Workload, ownership: Ownership): { missing?: MissingRef } {
  const { claim, defect } = ownership;
  if (claim === undefined || defect === undefined || !isViewDefect(defect)) return {};
  return {
    missing: { kind: 'Workload', workloadKind: claim.kind, namespace: workload.namespace, name: claim.name },
  };
}

function checkWorkload(workload: Workload, view: ClusterView): Violation[] {
  const ownership = ownershipOf(workload, view);
  const owner = ownership.owner;
  const field = workload.serviceAccountField ?? 'serviceAccountName';
  const path = joinPath(workload.templatePath, `spec.${field}`);
  const sa = workload.serviceAccountName;
  if (sa === undefined || sa === 'default') {
    const pod = workload.templatePath === '';
    const message =
      sa === undefined
        ? `${podWord(workload)} sets no serviceAccountName, so ${pod ? 'it runs' : 'its pods run'} as the shared \`default\` identity`
        : `${pod ? 'the pod runs' : 'the pods run'} as the shared \`default\` ServiceAccount; each workload needs its own identity`;
    return [
      { rule: RULE, path, message, value: sa, fix: buildServiceAccountFix(workload, suggestName(owner)) },
    ];
  }
  const violations: Violation[] = [];
  if (
    view.knowsServiceAccounts(workload.namespace) &&
    view.serviceAccount(workload.namespace, sa) === undefined
  ) {
    violations.push({
      rule: RULE,
      path,
      message: `ServiceAccount ${showText(workload.namespace)}/${showText(sa)} does not exist`,
      value: sa,
      fix: buildServiceAccountFix(workload, sa),
      missing: { kind: 'ServiceAccount', namespace: workload.namespace, name: sa },
    });
  }
  const sharers = findSharers(workload, owner, view);
  if (sharers.length > 0) {
    violations.push({
      rule: RULE,
      path,
      message: `ServiceAccount ${showText(sa)} is also used by ${describeSharers(sharers)}; distinct workloads need distinct identities${claimNote(workload, ownership)}`,
      value: sa,
      fix: claimFix(ownership) + sharingFix(workload, owner, sa, sharers),
      ...confirmOwner(workload, ownership),
    });
  }
  return violations;
}

/** Rule 1: pods run as a ServiceAccount of their own, which exists and no other workload uses. */
export const dedicatedServiceAccount: Rule = {
  name: RULE,
  description:
    'Pods run as a dedicated ServiceAccount: set, not `default`, existing, and not shared with another workload (a claimed controller counts only when it really owns the workload).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check: (context) => (context.workload === undefined ? [] : checkWorkload(context.workload, context.view)),
};
