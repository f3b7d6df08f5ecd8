/**
 * Helpers every policy adapter uses: defensive field readers (policies arrive before the API
 * server validated them) and dotted field paths for findings.
 */
import { isRecord, readLabels } from '../objects.js';
import type { AllowAllFinding, KubeObject, NormalizedPolicy, RequiredLabel } from '../types.js';

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

/** Freezes adapter output into a NormalizedPolicy. */
export function buildPolicy(parts: PolicyParts): NormalizedPolicy {
  const { object, ...rest } = parts;
  return Object.freeze({
    ...rest,
    apiVersion: asString(object.apiVersion) ?? '',
    kind: asString(object.kind) ?? '',
    allowAll: Object.freeze([...parts.allowAll]),
    allowAllEgress: Object.freeze([...parts.allowAllEgress]),
    errors: Object.freeze([...parts.errors]),
    source: object,
  });
}
