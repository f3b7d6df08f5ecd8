/**
 * The Calico selector syntax tree, its evaluator and printer, with the semantics of
 * libcalico-go/lib/selector/parser/ast.go: a missing label makes `==`, `in`, `contains`,
 * `starts with` and `ends with` false and `!=`, `not in` true; `all()` and `global()` match
 * any labels (global() only changes scope where Calico allows it, in a namespaceSelector).
 */
import type { Labels } from '../types.js';
import type { LabelLookup } from './label-selector.js';
import type { Predicate, SelectorMentions } from './label-universe.js';

/** Comparison of one label with one value. */
export interface CalicoCompare {
  readonly type: 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith';
  readonly label: string;
  readonly value: string;
}

/** Membership of one label's value in a set literal. */
export interface CalicoSetTest {
  readonly type: 'in' | 'notIn';
  readonly label: string;
  readonly values: readonly string[];
}

/** A parsed Calico selector expression. */
export type CalicoSelector =
  | { readonly type: 'all' }
  | { readonly type: 'global' }
  | { readonly type: 'has'; readonly label: string }
  | CalicoCompare
  | CalicoSetTest
  | { readonly type: 'not'; readonly operand: CalicoSelector }
  | { readonly type: 'and'; readonly operands: readonly CalicoSelector[] }
  | { readonly type: 'or'; readonly operands: readonly CalicoSelector[] };

function compare(node: CalicoCompare, value: string | undefined): boolean {
  if (value === undefined) return node.type === 'ne';
  switch (node.type) {
    case 'eq':
      return value === node.value;
    case 'ne':
      return value !== node.value;
    case 'contains':
      return value.includes(node.value);
    case 'startsWith':
      return value.startsWith(node.value);
    case 'endsWith':
      return value.endsWith(node.value);
  }
}

const ownLabel: LabelLookup<Labels> = (labels, key) => (Object.hasOwn(labels, key) ? labels[key] : undefined);

/** Whether the selector matches a set of labels, exactly as Calico evaluates it. */
export function evaluateCalicoSelector(node: CalicoSelector, labels: Labels): boolean {
  return evaluateCalicoSelectorOn(node, labels, ownLabel);
}

/**
 * evaluateCalicoSelector over labels read through `lookup`, so a caller whose labels come from
 * several layers (pod, namespace, ServiceAccount) never builds the merged map.
 */
export function evaluateCalicoSelectorOn<S>(
  node: CalicoSelector,
  source: S,
  lookup: LabelLookup<S>,
): boolean {
  switch (node.type) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return lookup(source, node.label) !== undefined;
    case 'in':
    case 'notIn': {
      const value = lookup(source, node.label);
      const member = value !== undefined && node.values.includes(value);
      return node.type === 'in' ? member : !member;
    }
    case 'not':
      return !evaluateCalicoSelectorOn(node.operand, source, lookup);
    case 'and':
      for (const operand of node.operands)
        if (!evaluateCalicoSelectorOn(operand, source, lookup)) return false;
      return true;
    case 'or':
      for (const operand of node.operands) if (evaluateCalicoSelectorOn(operand, source, lookup)) return true;
      return false;
    default:
      return compare(node, lookup(source, node.label));
  }
}

/** Calico strings have no escapes: a value holding `"` is single-quoted, any other double-quoted. */
function quote(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

const OPERATOR_TEXT: Readonly<Record<CalicoCompare['type'], string>> = {
  eq: '==',
  ne: '!=',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
};

/** Canonical text of a selector (as Calico's String()): and/or groups are parenthesised. */
export function printCalicoSelector(node: CalicoSelector): string {
  switch (node.type) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${node.label})`;
    case 'in':
      return `${node.label} in {${node.values.map(quote).join(', ')}}`;
    case 'notIn':
      return `${node.label} not in {${node.values.map(quote).join(', ')}}`;
    case 'not':
      return `!${printCalicoSelector(node.operand)}`;
    case 'and':
      return `(${node.operands.map(printCalicoSelector).join(' && ')})`;
    case 'or':
      return `(${node.operands.map(printCalicoSelector).join(' || ')})`;
    default:
      return `${node.label} ${OPERATOR_TEXT[node.type]} ${quote(node.value)}`;
  }
}

/** Every label key the selector reads. */
export function calicoSelectorLabels(node: CalicoSelector): string[] {
  switch (node.type) {
    case 'all':
    case 'global':
      return [];
    case 'not':
      return calicoSelectorLabels(node.operand);
    case 'and':
    case 'or':
      return [...new Set(node.operands.flatMap(calicoSelectorLabels))];
    default:
      return [node.label];
  }
}

/** Whether the selector is plain `all()` (also what an empty selector string parses to). */
export function isCalicoAll(node: CalicoSelector): boolean {
  return node.type === 'all';
}

function collectMentions(node: CalicoSelector, values: Map<string, string[]>): void {
  switch (node.type) {
    case 'all':
    case 'global':
      return;
    case 'not':
      collectMentions(node.operand, values);
      return;
    case 'and':
    case 'or':
      for (const operand of node.operands) collectMentions(operand, values);
      return;
    case 'has':
      values.set(node.label, values.get(node.label) ?? []);
      return;
    case 'in':
    case 'notIn':
      values.set(node.label, [...(values.get(node.label) ?? []), ...node.values]);
      return;
    default:
      values.set(node.label, [...(values.get(node.label) ?? []), node.value]);
  }
}

/** The labels a selector reads and the values it compares each with (for label-universe checks). */
export function calicoSelectorMentions(node: CalicoSelector): SelectorMentions {
  const values = new Map<string, string[]>();
  collectMentions(node, values);
  return { keys: [...values.keys()], values };
}

/** A selector as a label-universe predicate. */
export function calicoPredicate(node: CalicoSelector): Predicate {
  return (lookup) => evaluateCalicoSelectorOn(node, lookup, (read, key) => read(key));
}
