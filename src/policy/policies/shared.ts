/**
 * Helpers every policy adapter uses: defensive field readers (policies arrive before the API
 * server validated them) and dotted field paths for findings.
 */
import { isRecord, readLabels } from '../objects.js';
import type { AllowAllFinding, FieldError, KubeObject, NormalizedPolicy, RequiredLabel } from '../types.js';

const NONE: readonly never[] = Object.freeze([]);

/** Options every adapter receives. */
export interface NormalizeOptions {
  /** Istio's mesh root namespace: AuthorizationPolicies there apply mesh-wide. */
  readonly istioRootNamespace: string;
  /** Namespace for a namespaced policy whose metadata has none (kubectl's `default`). */
  readonly defaultNamespace?: string;
}

export { isRecord, readLabels };

/** The value as a list, or an empty list when it is absent or not a list. */
export function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value when it is a string, else undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Whether a field holds something: a non-empty string, list or mapping, or any other non-null value. */
export function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  return isRecord(value) ? Object.keys(value).length > 0 : true;
}

/**
 * The labels a (valid) label selector requires as the pod's own: its `matchLabels` entries and
 * its `In` expressions with one value, for the keys `usable` says are read from the pod's labels.
 */
export function requiredLabelsOf(selector: unknown, usable: (key: string) => boolean): RequiredLabel[] {
  if (!isRecord(selector)) return [];
  const required: RequiredLabel[] = [];
  if (isRecord(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      if (typeof value === 'string' && usable(key)) required.push({ key, value });
    }
  }
  for (const expression of asList(selector.matchExpressions)) {
    if (!isRecord(expression) || expression.operator !== 'In' || typeof expression.key !== 'string') continue;
    const values = asList(expression.values);
    const value = values[0];
    if (values.length === 1 && typeof value === 'string' && usable(expression.key))
      required.push({ key: expression.key, value });
  }
  return required;
}

/** Builds a dotted path with list indexes: fieldPath('spec.ingress', 0, 'from', 1) → "spec.ingress[0].from[1]". */
export function fieldPath(base: string, ...segments: readonly (string | number)[]): string {
  let path = base;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path = path === '' ? segment : `${path}.${segment}`;
  }
  return path;
}

/** Name and namespace of an object's metadata, with the namespace defaulted for namespaced kinds. */
export function metadataOf(
  object: KubeObject,
  defaultNamespace: string | undefined,
): { name: string; namespace: string } {
  const name = asString(object.metadata?.name) ?? asString(object.metadata?.generateName) ?? '';
  const namespace = asString(object.metadata?.namespace);
  return {
    name,
    namespace: namespace !== undefined && namespace !== '' ? namespace : (defaultNamespace ?? 'default'),
  };
}

/** What every adapter computes: a NormalizedPolicy before its identity fields are read from the object. */
export type PolicyParts = Omit<
  NormalizedPolicy,
  'apiVersion' | 'kind' | 'source' | 'selectsUnlabelledPods' | 'allowAllEgress'
> & {
  readonly object: KubeObject;
  /** Every adapter decides both; the interface leaves them optional for hand-built policies only. */
  readonly selectsUnlabelledPods: boolean;
  readonly allowAllEgress: readonly AllowAllFinding[];
};

/**
 * Freezes adapter output into a NormalizedPolicy, written out field by field: V8 then keeps every
 * policy of a flavour on one hidden class with its fields in the object. A spread followed by more
 * keys gave each policy a hidden class of its own, and Object.assign put the fields in a separate
 * array; either cost about 800 bytes per policy the view keeps (10,000 at the benchmark's 1x).
 */
export function buildPolicy(parts: PolicyParts): NormalizedPolicy {
  const { object } = parts;
  return policyRecord(
    parts,
    asString(object.apiVersion) ?? '',
    asString(object.kind) ?? '',
    object,
    parts.errors,
  );
}

/** The same policy with other errors (the shape check's, added by normalizePolicy). */
export function withErrors(policy: NormalizedPolicy, errors: readonly FieldError[]): NormalizedPolicy {
  return policyRecord(policy, policy.apiVersion, policy.kind, policy.source, errors);
}

/**
 * The same policy keeping only its source's identity (apiVersion, kind, name, namespace): for a
 * server's view, whose rules read the normalized fields and never the policy's spec again.
 */
export function withIdentityOnly(policy: NormalizedPolicy): NormalizedPolicy {
  const { apiVersion, kind, metadata } = policy.source;
  const identity: KubeObject = Object.freeze({
    apiVersion,
    kind,
    metadata: Object.freeze({ name: metadata?.name, namespace: metadata?.namespace }),
  });
  return policyRecord(policy, policy.apiVersion, policy.kind, identity, policy.errors);
}

function policyRecord(
  parts: Omit<NormalizedPolicy, 'apiVersion' | 'kind' | 'source' | 'errors'>,
  apiVersion: string,
  kind: string,
  source: KubeObject,
  errors: readonly FieldError[],
): NormalizedPolicy {
  return Object.freeze({
    flavour: parts.flavour,
    apiVersion,
    kind,
    name: parts.name,
    namespace: parts.namespace,
    clusterWide: parts.clusterWide,
    selects: parts.selects,
    selectsEveryPod: parts.selectsEveryPod,
    selectsUnlabelledPods: parts.selectsUnlabelledPods,
    requiredPodLabels:
      parts.requiredPodLabels === undefined ? undefined : frozenList(parts.requiredPodLabels),
    appliesToIngress: parts.appliesToIngress,
    appliesToEgress: parts.appliesToEgress,
    ingressRuleCount: parts.ingressRuleCount,
    egressRuleCount: parts.egressRuleCount,
    isAllowList: parts.isAllowList,
    isDefaultDeny: parts.isDefaultDeny,
    coversNamespace: parts.coversNamespace,
    allowAll: frozenList(parts.allowAll),
    allowAllEgress: frozenList(parts.allowAllEgress ?? NONE),
    errors: frozenList(errors),
    source,
  });
}

/**
 * A frozen copy of a list, no longer than it is (a list built by push keeps room for 17: 152
 * bytes for one label); every empty one is the same frozen array, and a list already frozen
 * (a policy rebuilt by withErrors or withIdentityOnly) is kept rather than copied again.
 */
function frozenList<T>(list: readonly T[]): readonly T[] {
  if (list.length === 0) return NONE;
  return Object.isFrozen(list) ? list : Object.freeze([...list]);
}
