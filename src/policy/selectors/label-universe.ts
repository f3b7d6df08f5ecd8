/**
 * Deciding what a selector matches by meaning, over a small label universe. A selector only ever
 * compares a key's value with the values it names (Kubernetes In/NotIn/Exists/DoesNotExist; Calico
 * ==, in, has() and the string tests), so for each key the values it names, one value it does not
 * name ("fresh") and "absent" behave like every possible value: checking those is checking all.
 * Keys differ in what an object nobody labelled carries: nothing (a pod label), a name nobody
 * chose (the namespace name under kubernetes.io/metadata.name), a constant (Calico's
 * orchestrator label), or whatever its surroundings say (the labels of the namespace a pod is in).
 */

/** How a label key appears on the objects a selector is matched against. */
export type KeyRole =
  /** Carried only when someone labels the object: absent on an unlabelled one. */
  | { readonly role: 'opt-in' }
  /** Always present, holding the object's own name (namespace, ServiceAccount): a value nobody chose. */
  | { readonly role: 'own-name' }
  /** Always present with the same value everywhere (Calico's `projectcalico.org/orchestrator: k8s`). */
  | { readonly role: 'constant'; readonly value: string }
  /** Set by the object's surroundings (its namespace's labels, the cluster name): any value will do. */
  | { readonly role: 'context'; readonly alwaysPresent: boolean }
  /**
   * Set by a controller on some objects with a value nobody chose (a pod's `pod-template-hash`),
   * absent on others: `Exists` or `DoesNotExist` on it picks whole classes of objects, a value
   * picks one controller's.
   */
  | { readonly role: 'generated' };

/** The keys a selector reads and, per key, the values it compares with. */
export interface SelectorMentions {
  readonly keys: readonly string[];
  readonly values: ReadonlyMap<string, readonly string[]>;
}

/** Reads a label of the object being matched (undefined: the object lacks it). */
export type Lookup = (key: string) => string | undefined;

/** A selector as a predicate over one object's labels. */
export type Predicate = (lookup: Lookup) => boolean;

/**
 * A value no selector names. Label values cannot hold NUL; a Calico string that does only makes
 * a `contains` test look satisfiable, which errs towards "matches".
 */
export const FRESH_VALUE = '\u0000';

/** Assignments tried at most; beyond it the answer is the cautious one. */
const MAX_ASSIGNMENTS = 4096;

/**
 * The values worth trying for a key: those named, one fresh, each named one extended by the fresh
 * value on either side (starts/ends with it without being it, so `not in {b} && starts with 'b'`
 * is satisfied by `b\u0000`), all named joined (for starts/ends with together), absent.
 */
function candidatesFor(
  key: string,
  mentions: SelectorMentions,
  alwaysPresent: boolean,
): (string | undefined)[] {
  const named = mentions.values.get(key) ?? [];
  const extended = named.flatMap((value) => [`${value}${FRESH_VALUE}`, `${FRESH_VALUE}${value}`]);
  const values = new Set<string>([...named, FRESH_VALUE, ...extended, named.join('')]);
  const candidates: (string | undefined)[] = [...values];
  if (!alwaysPresent) candidates.push(undefined);
  return candidates;
}

/**
 * Every assignment of the given keys to their candidate values; undefined when there are more
 * than MAX_ASSIGNMENTS (the caller answers cautiously).
 */
function assignments(
  keys: readonly string[],
  candidates: (key: string) => readonly (string | undefined)[],
): Map<string, string | undefined>[] | undefined {
  let result: Map<string, string | undefined>[] = [new Map()];
  for (const key of keys) {
    const values = candidates(key);
    if (result.length * values.length > MAX_ASSIGNMENTS) return undefined;
    const next: Map<string, string | undefined>[] = [];
    for (const partial of result) {
      for (const value of values) next.push(new Map(partial).set(key, value));
    }
    result = next;
  }
  return result;
}

/**
 * Whether the selector matches an object nobody labelled: opt-in keys absent, own-name keys with
 * a fresh value, constants as they are, and context keys as some surroundings may set them.
 * A selector that does is written for no one in particular (empty, only NotIn/DoesNotExist/!has(),
 * or only keys every object carries). Generated keys are present or absent, as some controller's
 * objects have them. Too many context keys to try answers true (cautious).
 */
export function matchesUnlabelled(
  mentions: SelectorMentions,
  roleOf: (key: string) => KeyRole,
  predicate: Predicate,
): boolean {
  const chosen = mentions.keys.filter((key) => ['context', 'generated'].includes(roleOf(key).role));
  const choices = assignments(chosen, (key) => {
    const role = roleOf(key);
    if (role.role === 'generated') return [undefined, FRESH_VALUE];
    return candidatesFor(key, mentions, role.role === 'context' && role.alwaysPresent);
  });
  if (choices === undefined) return true;
  return choices.some((choice) =>
    predicate((key) => {
      const role = roleOf(key);
      switch (role.role) {
        case 'opt-in':
          return undefined;
        case 'own-name':
          return FRESH_VALUE;
        case 'constant':
          return role.value;
        case 'context':
        case 'generated':
          return choice.has(key) ? choice.get(key) : FRESH_VALUE;
      }
    }),
  );
}

/** Merges the mentions of several selectors (keys once, values per key). */
export function mergeMentions(all: readonly SelectorMentions[]): SelectorMentions {
  const keys = new Set<string>();
  const values = new Map<string, string[]>();
  for (const mentions of all) {
    for (const key of mentions.keys) keys.add(key);
    for (const [key, named] of mentions.values) values.set(key, [...(values.get(key) ?? []), ...named]);
  }
  return { keys: [...keys], values };
}

/**
 * Whether every object `inner` matches is matched by `outer`, checked over the whole universe of
 * both selectors' keys; `alwaysPresent` keys are never absent. Exact for selectors that only test
 * membership and presence (Kubernetes); undefined when the universe is too large to check.
 */
export function isWithin(
  inner: Predicate,
  outer: Predicate,
  mentions: SelectorMentions,
  alwaysPresent: (key: string) => boolean,
): boolean | undefined {
  const all = assignments(mentions.keys, (key) => candidatesFor(key, mentions, alwaysPresent(key)));
  if (all === undefined) return undefined;
  for (const assignment of all) {
    const lookup: Lookup = (key) => assignment.get(key);
    if (inner(lookup) && !outer(lookup)) return false;
  }
  return true;
}
