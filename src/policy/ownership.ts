/**
 * Whether an object's claimed controller really owns it. Anyone who may create a Pod may write
 * any metadata.ownerReferences, so a claim is checked against what kube-controller-manager does:
 * the Deployment controller creates ReplicaSets (never Pods); the ReplicaSet, ReplicationController,
 * StatefulSet, DaemonSet and Job controllers create Pods; the CronJob controller creates Jobs (never
 * Pods). Each sets itself as the created object's controller reference with its own API group, name
 * and uid, and copies its pod template into it; the garbage collector finds an owner by that uid.
 */
import { booleanError, describeJsonType } from './json-types.js';
import { apiGroup, field, isRecord } from './objects.js';
import type { ControllerClaim, FieldError, WorkloadKind, WorkloadRef } from './types.js';
import { quoteValue, showText } from './message-text.js';

const PATH = 'metadata.ownerReferences';

/** A kind whose controller creates objects, with the API group its references carry. */
interface CreatorKind {
  readonly kind: WorkloadKind;
  readonly group: string;
}

/** Child kind → the kinds whose controller creates it (kube-controller-manager). */
const CREATED_BY: Readonly<Record<WorkloadKind, readonly CreatorKind[]>> = {
  Pod: [
    { kind: 'ReplicaSet', group: 'apps' },
    { kind: 'StatefulSet', group: 'apps' },
    { kind: 'DaemonSet', group: 'apps' },
    { kind: 'Job', group: 'batch' },
    { kind: 'ReplicationController', group: '' },
  ],
  ReplicaSet: [{ kind: 'Deployment', group: 'apps' }],
  Job: [{ kind: 'CronJob', group: 'batch' }],
  Deployment: [],
  StatefulSet: [],
  DaemonSet: [],
  CronJob: [],
  ReplicationController: [],
};

/** What a kind's controller creates, for messages about a kind that does not own what it claims. */
const CREATES: Readonly<Partial<Record<string, string>>> = {
  Deployment: 'the Deployment controller creates ReplicaSets, and the ReplicaSets create the Pods',
  CronJob: 'the CronJob controller creates Jobs, and the Jobs create the Pods',
  ReplicaSet: 'a ReplicaSet creates Pods',
  StatefulSet: 'a StatefulSet creates Pods',
  DaemonSet: 'a DaemonSet creates Pods',
  Job: 'a Job creates Pods',
  ReplicationController: 'a ReplicationController creates Pods',
};

/** metadata.ownerReferences read: the controller claim, or what makes the list malformed. */
export interface OwnerReferencesReading {
  readonly claim: ControllerClaim | undefined;
  readonly errors: readonly FieldError[];
}

const NO_ERRORS: readonly FieldError[] = Object.freeze([]);
const NONE: OwnerReferencesReading = Object.freeze({ claim: undefined, errors: NO_ERRORS });

const STRING_FIELDS = ['apiVersion', 'kind', 'name', 'uid'] as const;
const BOOLEAN_FIELDS = ['controller', 'blockOwnerDeletion'] as const;
/**
 * "group/version" or "version" (core): at most one slash, and a version after it (apimachinery's
 * ParseGroupVersion). A plain scan: the regex this replaced, /^[^/]*\/?[^/]+$/, backtracked over
 * every split of the text, quadratic on a long apiVersion with two slashes (40,000 chars: 2 s).
 */
export function isGroupVersion(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash === -1) return text.length > 0;
  return slash < text.length - 1 && text.indexOf('/', slash + 1) === -1;
}

/** Whether one reference passes ObjectMeta validation; allocation-free (every admission runs it). */
function isValidReference(reference: Readonly<Record<string, unknown>>): boolean {
  for (const key of STRING_FIELDS) {
    const value = reference[key];
    if (typeof value !== 'string' || value === '') return false;
  }
  for (const key of BOOLEAN_FIELDS) {
    if (booleanError(reference[key], key, '') !== undefined) return false;
  }
  const apiVersion = reference['apiVersion'] as string;
  return isGroupVersion(apiVersion) && !(apiVersion === 'v1' && reference['kind'] === 'Event');
}

/** What ObjectMeta validation refuses in one reference (apimachinery validateOwnerReference). */
function referenceErrors(reference: Readonly<Record<string, unknown>>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of STRING_FIELDS) {
    const value = reference[key];
    if (typeof value === 'string' && value !== '') continue;
    const what = typeof value === 'string' ? 'empty' : describeJsonType(value ?? null);
    errors.push({ path: `${path}.${key}`, message: `${key} must be a non-empty string, not ${what}` });
  }
  const apiVersion = reference['apiVersion'];
  if (typeof apiVersion === 'string' && apiVersion !== '' && !isGroupVersion(apiVersion)) {
    errors.push({
      path: `${path}.apiVersion`,
      message: `apiVersion ${quoteValue(apiVersion)} is not group/version`,
    });
  }
  if (apiVersion === 'v1' && reference['kind'] === 'Event') {
    errors.push({ path, message: 'a v1 Event may not be an owner' });
  }
  for (const key of BOOLEAN_FIELDS) {
    const error = booleanError(reference[key], key, path);
    if (error !== undefined) errors.push(error);
  }
  return errors;
}

/**
 * Reads metadata.ownerReferences as the API server validates it: a list of objects each with
 * apiVersion, kind, name and uid, at most one of them `controller: true`. Errors make the object
 * `invalid-object`; a well-formed list yields its controller claim, if any.
 */
export function readOwnerReferences(metadata: unknown): OwnerReferencesReading {
  const references = field(metadata, 'ownerReferences');
  if (references === undefined || references === null) return NONE;
  if (!Array.isArray(references)) {
    const message = `${PATH} is ${describeJsonType(references)}, not a list`;
    return { claim: undefined, errors: [{ path: PATH, message }] };
  }
  let errors: FieldError[] | undefined;
  let controller: number | undefined;
  let controllers = 0;
  references.forEach((reference: unknown, index) => {
    if (!isRecord(reference)) {
      const message = `the owner reference is ${describeJsonType(reference)}, not an object`;
      (errors ??= []).push({ path: `${PATH}[${index}]`, message });
      return;
    }
    if (!isValidReference(reference))
      (errors ??= []).push(...referenceErrors(reference, `${PATH}[${index}]`));
    if (reference['controller'] === true) {
      controllers += 1;
      controller ??= index;
    }
  });
  if (controllers > 1) {
    const named = references
      .filter((reference) => isRecord(reference) && reference['controller'] === true)
      .map(
        (reference: Readonly<Record<string, unknown>>) =>
          `${showText(String(reference['kind']))}/${showText(String(reference['name']))}`,
      );
    const message = `only one owner reference may set controller: true; found ${named.join(' and ')}`;
    (errors ??= []).push({ path: PATH, message });
  }
  if (errors !== undefined) return { claim: undefined, errors };
  if (controller === undefined) return NONE;
  const reference = references[controller] as Readonly<Record<string, string>>;
  const { apiVersion = '', kind = '', name = '', uid = '' } = reference;
  return { claim: { apiVersion, kind, name, uid, index: controller }, errors: NO_ERRORS };
}

/** Why a claim does not count. `kind` and `group` hold whatever the view says. */
export type ClaimDefect = 'kind' | 'group' | 'missing' | 'uid' | 'service-account';

/** Whether some controller creates objects of this kind (Pods, ReplicaSets, Jobs): only they can be owned. */
export function canBeOwned(kind: string): boolean {
  return (CREATED_BY[kind as WorkloadKind]?.length ?? 0) > 0;
}

/** Whether a live read of the claimed owner could change the verdict (the view may lag). */
export function isViewDefect(defect: ClaimDefect): boolean {
  return defect === 'missing' || defect === 'uid' || defect === 'service-account';
}

/** The claiming object, as far as a claim is judged: its kind and its pods' ServiceAccount. */
export interface Claimant {
  readonly kind: WorkloadKind;
  readonly serviceAccountName: string | undefined;
}

/** A pod template without serviceAccountName runs as `default` (the ServiceAccount admission plugin). */
function effectiveServiceAccount(name: string | undefined): string {
  return name ?? 'default';
}

/**
 * The defect of `claim` made by `child` given `owner`, the object of the claimed kind and name in
 * the view (undefined when the view lacks it); undefined when the claim counts. O(1).
 */
export function findClaimDefect(
  child: Claimant,
  claim: ControllerClaim,
  owner: WorkloadRef | undefined,
): ClaimDefect | undefined {
  const creator = CREATED_BY[child.kind].find((candidate) => candidate.kind === claim.kind);
  if (creator === undefined) return 'kind';
  if (apiGroup(claim.apiVersion) !== creator.group) return 'group';
  if (owner === undefined) return 'missing';
  if (owner.uid === undefined || owner.uid !== claim.uid) return 'uid';
  const same =
    effectiveServiceAccount(owner.serviceAccountName) === effectiveServiceAccount(child.serviceAccountName);
  return same ? undefined : 'service-account';
}

function kindFact(childKind: WorkloadKind, claimKind: string): string {
  const creators = CREATED_BY[childKind].map((creator) => creator.kind);
  const createdBy =
    creators.length === 0
      ? `no workload controller creates ${childKind}s`
      : `${childKind}s are created by ${creators.join(', ')} controllers`;
  const creates = CREATES[claimKind];
  return `a ${showText(claimKind)} never owns ${childKind}s: ${createdBy}${creates === undefined ? '' : ` (${creates})`}`;
}

/** Why a claim does not count, in words, citing what Kubernetes does. */
export function describeClaimDefect(
  defect: ClaimDefect,
  child: Claimant & { readonly namespace: string },
  claim: ControllerClaim,
  owner: WorkloadRef | undefined,
): string {
  const named = `${showText(claim.kind)} ${showText(child.namespace)}/${showText(claim.name)}`;
  switch (defect) {
    case 'kind':
      return kindFact(child.kind, claim.kind);
    case 'group': {
      const group = CREATED_BY[child.kind].find((creator) => creator.kind === claim.kind)?.group;
      const real = group === '' ? 'the core group (apiVersion v1)' : `API group ${group ?? '?'}`;
      return `apiVersion ${quoteValue(claim.apiVersion)} is not the ${claim.kind}'s ${real}, so it names no real ${claim.kind}`;
    }
    case 'missing':
      return `${named} does not exist as far as ztgate can tell (not in its view of the cluster, nor found by a live read where one is possible)`;
    case 'uid':
      return `its uid ${showText(claim.uid)} is not the uid of ${named} (${showText(owner?.uid ?? 'unknown')}); the garbage collector matches owners by uid, so the reference names no existing object`;
    case 'service-account':
      return `${named}'s pod template runs as ServiceAccount ${showText(effectiveServiceAccount(owner?.serviceAccountName))}, not ${showText(effectiveServiceAccount(child.serviceAccountName))}: a controller copies its template into what it creates, so it did not create this ${child.kind}`;
  }
}
