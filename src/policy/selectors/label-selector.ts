/**
 * Kubernetes label selectors (metav1.LabelSelector): matchLabels plus matchExpressions with
 * In / NotIn / Exists / DoesNotExist, evaluated as the API machinery does
 * (k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go LabelSelectorAsSelector).
 */
import { isRecord } from '../objects.js';
import type { FieldError, Labels } from '../types.js';
import { labelKeyError, labelMapErrors, labelValueError } from './label-syntax.js';
import type { Predicate, SelectorMentions } from './label-universe.js';
import { quoteValue } from '../message-text.js';

/** The operators a matchExpressions entry may use. */
export const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** One of the matchExpressions operators. */
export type LabelSelectorOperator = (typeof LABEL_SELECTOR_OPERATORS)[number];

interface Requirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values: readonly string[];
}

function isOperator(value: unknown): value is LabelSelectorOperator {
  return (LABEL_SELECTOR_OPERATORS as readonly unknown[]).includes(value);
}

function validateMatchLabels(matchLabels: unknown, path: string, stripKey: KeyRename): FieldError[] {
  if (matchLabels === undefined || matchLabels === null) return [];
  if (!isRecord(matchLabels))
    return [{ path, message: 'matchLabels must be a map of label keys to string values' }];
  return labelMapErrors(matchLabels, path, stripKey);
}

function validateExpression(expression: unknown, path: string, stripKey: KeyRename): FieldError[] {
  if (!isRecord(expression)) return [{ path, message: 'a matchExpressions entry must be an object' }];
  const errors: FieldError[] = [];
  const { key, operator, values } = expression;
  if (typeof key !== 'string' || key === '')
    errors.push({ path: `${path}.key`, message: 'key must be a non-empty string' });
  else {
    const keyError = labelKeyError(stripKey(key));
    if (keyError !== undefined) errors.push({ path: `${path}.key`, message: keyError });
  }
  const list = values === undefined || values === null ? [] : values;
  if (!Array.isArray(list) || list.some((value) => typeof value !== 'string')) {
    errors.push({ path: `${path}.values`, message: 'values must be a list of strings' });
  } else {
    list.forEach((value: string, index) => {
      const valueError = labelValueError(value);
      if (valueError !== undefined) errors.push({ path: `${path}.values[${index}]`, message: valueError });
    });
  }
  const count = Array.isArray(list) ? list.length : 0;
  if (!isOperator(operator)) {
    errors.push({
      path: `${path}.operator`,
      message: `unknown operator ${quoteValue(operator)}: expected In, NotIn, Exists or DoesNotExist`,
    });
  } else if ((operator === 'In' || operator === 'NotIn') && count === 0) {
    errors.push({ path: `${path}.values`, message: `operator ${operator} needs at least one value` });
  } else if ((operator === 'Exists' || operator === 'DoesNotExist') && count > 0) {
    errors.push({ path: `${path}.values`, message: `operator ${operator} takes no values` });
  }
  return errors;
}

/** Rewrites a label key before it is checked (Cilium strips its source prefixes). */
export type KeyRename = (key: string) => string;

const SAME: KeyRename = (key) => key;

/**
 * Errors of a label selector at `path` as the API server validates it: its shape, operators, and
 * Kubernetes label syntax in keys and values (keys first passed through `stripKey`). Only the
 * fields the API defines count: the API server drops unknown ones, so `{matchLabel: …}` is `{}`.
 * An empty list means valid; null/absent is valid.
 */
export function validateLabelSelector(
  selector: unknown,
  path: string,
  stripKey: KeyRename = SAME,
): FieldError[] {
  if (selector === undefined || selector === null) return [];
  if (!isRecord(selector)) return [{ path, message: 'a label selector must be an object' }];
  const errors = validateMatchLabels(selector.matchLabels, `${path}.matchLabels`, stripKey);
  const expressions = selector.matchExpressions;
  if (expressions === undefined || expressions === null) return errors;
  if (!Array.isArray(expressions)) {
    return [...errors, { path: `${path}.matchExpressions`, message: 'matchExpressions must be a list' }];
  }
  expressions.forEach((expression, index) => {
    errors.push(...validateExpression(expression, `${path}.matchExpressions[${index}]`, stripKey));
  });
  return errors;
}

/** The requirements of a selector already known to be valid; matchLabels become `In` with one value. */
function requirementsOf(selector: Readonly<Record<string, unknown>>): Requirement[] {
  const requirements: Requirement[] = [];
  if (isRecord(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      requirements.push({ key, operator: 'In', values: [String(value)] });
    }
  }
  if (Array.isArray(selector.matchExpressions)) {
    for (const expression of selector.matchExpressions as readonly Record<string, unknown>[]) {
      const values = Array.isArray(expression.values) ? (expression.values as string[]) : [];
      requirements.push({
        key: String(expression.key),
        operator: expression.operator as LabelSelectorOperator,
        values,
      });
    }
  }
  return requirements;
}

function matchesRequirement(requirement: Requirement, value: string | undefined): boolean {
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && requirement.values.includes(value);
    case 'NotIn':
      // Kubernetes: NotIn is satisfied by a pod that lacks the key altogether.
      return value === undefined || !requirement.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}

/** Reads one label of a label set held as `source` (undefined when the label is absent). */
export type LabelLookup<S> = (source: S, key: string) => string | undefined;

/** A compiled selector over labels read through a lookup (layered labels, never merged). */
export type LabelPredicate = <S>(source: S, lookup: LabelLookup<S>) => boolean;

const ownLabel: LabelLookup<Labels> = (labels, key) => (Object.hasOwn(labels, key) ? labels[key] : undefined);

/**
 * Whether the selector selects these labels. `{}` selects everything; null/absent selects
 * nothing (LabelSelectorAsSelector(nil) is labels.Nothing()), so callers whose field defaults
 * to "everything" pass `{}`. An invalid selector selects nothing.
 */
export function matchesLabelSelector(selector: unknown, labels: Labels): boolean {
  return compileLabelSelector(selector)(labels);
}

const NOTHING = (): boolean => false;
/** A valid selector without requirements (`{}`) selects everything. */
const EVERYTHING = (): boolean => true;

/**
 * The selector validated and reduced to its requirements once, as a predicate with the semantics
 * of matchesLabelSelector; policies compile theirs at normalization, not on every decision.
 */
export function compileLabelSelector(selector: unknown): (labels: Labels) => boolean {
  const predicate = compileLabelSelectorOn(selector);
  return (labels) => predicate(labels, ownLabel);
}

/** compileLabelSelector over labels read through a lookup. */
export function compileLabelSelectorOn(selector: unknown, stripKey: KeyRename = SAME): LabelPredicate {
  if (!isRecord(selector) || validateLabelSelector(selector, '', stripKey).length > 0) return NOTHING;
  const built = requirementsOf(selector);
  if (built.length === 0) return EVERYTHING;
  // A copy no longer than it is: push left room for 17 (a policy keeps this for its life).
  const requirements = built.slice();
  return (source, lookup) => {
    for (const requirement of requirements) {
      if (!matchesRequirement(requirement, lookup(source, requirement.key))) return false;
    }
    return true;
  };
}

/** True for a selector object with no requirements at all (`{}`), which selects everything. */
export function isEmptyLabelSelector(selector: unknown): boolean {
  if (!isRecord(selector)) return false;
  const { matchLabels, matchExpressions } = selector;
  const noLabels =
    matchLabels === undefined ||
    matchLabels === null ||
    (isRecord(matchLabels) && Object.keys(matchLabels).length === 0);
  const noExpressions =
    matchExpressions === undefined ||
    matchExpressions === null ||
    (Array.isArray(matchExpressions) && matchExpressions.length === 0);
  return noLabels && noExpressions;
}

/** The label keys a valid selector constrains (matchLabels and matchExpressions keys). */
export function labelSelectorKeys(selector: unknown, stripKey: KeyRename = SAME): string[] {
  if (!isRecord(selector) || validateLabelSelector(selector, '', stripKey).length > 0) return [];
  return [...new Set(requirementsOf(selector).map((requirement) => requirement.key))];
}

/** A copy of a selector with every key rewritten (Cilium strips its `k8s:`/`any:` source prefixes). */
export function mapLabelSelectorKeys(selector: unknown, rename: (key: string) => string): unknown {
  if (!isRecord(selector)) return selector;
  const result: Record<string, unknown> = { ...selector };
  if (isRecord(selector.matchLabels)) {
    result.matchLabels = Object.fromEntries(
      Object.entries(selector.matchLabels).map(([key, value]) => [rename(key), value]),
    );
  }
  if (Array.isArray(selector.matchExpressions)) {
    result.matchExpressions = selector.matchExpressions.map((expression: unknown) =>
      isRecord(expression) && typeof expression.key === 'string'
        ? { ...expression, key: rename(expression.key) }
        : expression,
    );
  }
  return result;
}

/** The keys a valid selector reads and the values it compares each with (for label-universe checks). */
export function labelSelectorMentions(selector: unknown, stripKey: KeyRename = SAME): SelectorMentions {
  const values = new Map<string, string[]>();
  if (isRecord(selector) && validateLabelSelector(selector, '', stripKey).length === 0) {
    for (const requirement of requirementsOf(selector)) {
      values.set(requirement.key, [...(values.get(requirement.key) ?? []), ...requirement.values]);
    }
  }
  return { keys: [...values.keys()], values };
}

/** A valid selector as a label-universe predicate; an invalid one matches nothing. */
export function labelSelectorPredicate(selector: unknown, stripKey: KeyRename = SAME): Predicate {
  const compiled = compileLabelSelectorOn(selector, stripKey);
  return (lookup) => compiled(lookup, (read, key) => read(key));
}
