/**
 * What every adapter needs to say "this admits everyone", in either direction: the words for each
 * direction, label-universe roles, open-selector checks with the reason in words, and the address
 * coverage finding for a direction's CIDRs taken together.
 */
import { describeCoverage, findCoverage, type AddressTerm } from '../net/address-coverage.js';
import {
  matchesUnlabelled,
  type KeyRole,
  type Predicate,
  type SelectorMentions,
} from '../selectors/label-universe.js';
import type { AllowAllFinding } from '../types.js';
import { isRecord } from './shared.js';

/** The direction a rule list governs. */
export type Direction = 'ingress' | 'egress';

/** What "everyone" means in each direction, for messages. */
export const EVERYONE: Readonly<Record<Direction, { readonly who: string; readonly peer: string }>> = {
  ingress: { who: 'every source', peer: 'source' },
  egress: { who: 'every destination', peer: 'destination' },
};

/** The consequence of an open rule in a direction, appended to a finding's reason. */
export function consequence(direction: Direction): string {
  return direction === 'ingress'
    ? 'so the policy admits every source'
    : "so the selected pods may reach every destination, which cancels the namespace's egress default deny";
}

/** Key roles shared by the flavours. */
export const OPT_IN: KeyRole = { role: 'opt-in' };
export const OWN_NAME: KeyRole = { role: 'own-name' };
/** A namespace-level label when the namespace is "some namespace" rather than "any namespace". */
export const CONTEXT: KeyRole = { role: 'context', alwaysPresent: false };
export const CONTEXT_PRESENT: KeyRole = { role: 'context', alwaysPresent: true };

/** A label a controller sets on some pods, with a value nobody chose. */
export const GENERATED: KeyRole = { role: 'generated' };

/**
 * Pod labels Kubernetes' controllers set (Deployment → ReplicaSet, StatefulSet, DaemonSet, Job):
 * `pod-template-hash` Exists is every Deployment pod, and a pod nobody labelled may carry them.
 */
const CONTROLLER_LABELS = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/job-completion-index',
]);

/** The role of a pod's own label key: set by a controller, or only by whoever labels the pod. */
export function podLabelRole(key: string): KeyRole {
  return CONTROLLER_LABELS.has(key) ? GENERATED : OPT_IN;
}

/** Kubernetes (≥ 1.21) labels every namespace with its own name under this key. */
export const NAMESPACE_NAME_KEY = 'kubernetes.io/metadata.name';

/** A selector as the label-universe checks need it. */
export interface SelectorModel {
  readonly mentions: SelectorMentions;
  readonly predicate: Predicate;
}

/** Whether the selector matches an object nobody labelled under these key roles. */
export function isOpen(model: SelectorModel, roleOf: (key: string) => KeyRole): boolean {
  return matchesUnlabelled(model.mentions, roleOf, model.predicate);
}

/**
 * Why an open selector matches everything, in words: it is empty, it tests only keys every
 * object carries, or it only excludes.
 */
export function whyOpen(model: SelectorModel, roleOf: (key: string) => KeyRole, what: string): string {
  const keys = model.mentions.keys;
  if (keys.length === 0) return `matches every ${what}`;
  const carried = keys.filter((key) => roleOf(key).role !== 'opt-in');
  if (carried.length === keys.length)
    return `only tests ${carried.join(', ')}, which every ${what} carries, so it matches every ${what}`;
  const article = /^[aeiou]/.test(what) ? 'an' : 'a';
  return `requires no label ${article} ${what} must carry (it only excludes, with NotIn/DoesNotExist/!has()/!=), so it matches every ${what} nobody labelled to be left out`;
}

/** The keys of a mapping outside the API's fields, which the API server drops before storing. */
export function unknownKeys(value: unknown, known: readonly string[]): string[] {
  return isRecord(value) ? Object.keys(value).filter((key) => !known.includes(key)) : [];
}

/**
 * " (the API server drops the unknown field(s) `x`, `y` before storing it)" or "". `nested` names
 * known fields whose own unknown fields count too (`serviceAccounts: {nmes: …}`).
 */
export function droppedNote(
  value: unknown,
  known: readonly string[],
  nested: Readonly<Record<string, readonly string[]>> = {},
): string {
  const found = unknownKeys(value, known);
  for (const [field, fields] of Object.entries(nested)) {
    if (isRecord(value)) found.push(...unknownKeys(value[field], fields).map((key) => `${field}.${key}`));
  }
  const unknown = found.slice(0, 3).map((key) => '`' + key.slice(0, 40) + '`');
  if (unknown.length === 0) return '';
  return ` (the API server drops the unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} before storing it)`;
}

/**
 * The finding for a direction whose CIDRs together cover a whole address family, at the block
 * that covers it alone or the first of those that cover it together.
 */
export function coverageFinding(
  terms: readonly AddressTerm[],
  noun: string,
  direction: Direction,
): AllowAllFinding[] {
  const coverage = findCoverage(terms);
  if (coverage === undefined) return [];
  const path = coverage.openTerms[0]?.path ?? coverage.entries[0]?.path ?? '';
  return [{ path, message: `${describeCoverage(coverage, noun)}, ${consequence(direction)}` }];
}
