import { quoteValue } from '../message-text.js';
/**
 * Tokenizer for Calico's selector language, following libcalico-go/lib/selector/tokenizer:
 * only spaces and tabs separate tokens, strings are single- or double-quoted with no escapes,
 * label keys are runs of [A-Za-z0-9_./-] (at most 512 characters), and the word operators
 * (`in`, `not in`, `contains`, `starts with`, `ends with`) are recognised only right after a label.
 */

/** Token kinds of the selector language. */
export type CalicoTokenKind =
  | 'label'
  | 'string'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'eq'
  | 'ne'
  | 'in'
  | 'notIn'
  | 'not'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'all'
  | 'global'
  | 'has'
  | 'lparen'
  | 'rparen'
  | 'and'
  | 'or'
  | 'eof';

/** One token with the offset (0-based) where it starts in the selector text. */
export interface CalicoToken {
  readonly kind: CalicoTokenKind;
  readonly value: string;
  readonly position: number;
}

/** A syntax error with the offset (0-based) where it was found. */
export class CalicoSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'CalicoSyntaxError';
  }
}

const MAX_LABEL_LENGTH = 512;
const SINGLE: Readonly<Record<string, CalicoTokenKind>> = {
  '(': 'lparen',
  ')': 'rparen',
  '{': 'lbrace',
  '}': 'rbrace',
  ',': 'comma',
};
const DOUBLE: Readonly<Record<string, CalicoTokenKind>> = { '==': 'eq', '!=': 'ne', '&&': 'and', '||': 'or' };
const FUNCTIONS: readonly (readonly [string, CalicoTokenKind])[] = [
  ['all(', 'all'],
  ['global(', 'global'],
];
/** Operators after a label; the last word must end at a word boundary ("notin" is accepted as Calico does). */
const WORD_OPERATORS: readonly (readonly [readonly string[], CalicoTokenKind])[] = [
  [['contains'], 'contains'],
  [['starts', 'with'], 'startsWith'],
  [['ends', 'with'], 'endsWith'],
  [['not', 'in'], 'notIn'],
  [['in'], 'in'],
];

/** Whether a character may appear in a label key. */
export function isLabelChar(char: string | undefined): boolean {
  return char !== undefined && /^[A-Za-z0-9_./-]$/.test(char);
}

function skipSpace(text: string, index: number): number {
  let at = index;
  while (text[at] === ' ' || text[at] === '\t') at += 1;
  return at;
}

function readLabel(text: string, start: number): string {
  let end = start;
  while (isLabelChar(text[end])) end += 1;
  if (end === start)
    throw new CalicoSyntaxError(`unexpected character ${quoteValue(text[start] ?? '')}`, start);
  if (end - start > MAX_LABEL_LENGTH)
    throw new CalicoSyntaxError(`label longer than ${MAX_LABEL_LENGTH} characters`, start);
  return text.slice(start, end);
}

/** Matches a (possibly multi-word) operator at `start`; returns the offset after it, or -1. */
function matchWords(text: string, start: number, words: readonly string[]): number {
  let at = start;
  for (const [index, word] of words.entries()) {
    if (index > 0) at = skipSpace(text, at);
    if (!text.startsWith(word, at)) return -1;
    at += word.length;
  }
  return isLabelChar(text[at]) ? -1 : at;
}

function readOperator(text: string, start: number, label: string): [CalicoTokenKind, number] {
  for (const [words, kind] of WORD_OPERATORS) {
    const end = matchWords(text, start, words);
    if (end !== -1) return [kind, end];
  }
  throw new CalicoSyntaxError(`expected an operator after label ${quoteValue(label)}`, start);
}

function readHas(text: string, start: number): [string, number] {
  let at = skipSpace(text, start + 'has('.length);
  const label = readLabel(text, at);
  at = skipSpace(text, at + label.length);
  if (text[at] !== ')') throw new CalicoSyntaxError("expected ')' to close has(", at);
  return [label, at + 1];
}

function readFunction(text: string, start: number, name: string): number {
  const at = skipSpace(text, start + name.length);
  if (text[at] !== ')') throw new CalicoSyntaxError(`expected ')' after ${name}`, at);
  return at + 1;
}

type Step = readonly [kind: CalicoTokenKind, value: string, end: number];

function readString(text: string, start: number, quote: string): Step {
  const close = text.indexOf(quote, start + 1);
  if (close === -1) throw new CalicoSyntaxError('unterminated string', start);
  return ['string', text.slice(start + 1, close), close + 1];
}

/** Reads the token starting at `at` (not whitespace); `previous` decides whether an operator word is due. */
function readToken(text: string, at: number, previous: CalicoToken | undefined): Step {
  const char = text[at] as string;
  const pair = text.slice(at, at + 2);
  if (char === '\n' || char === '\r') {
    throw new CalicoSyntaxError(
      'line break in selector (Calico separates tokens with spaces and tabs only)',
      at,
    );
  }
  if (SINGLE[char] !== undefined) return [SINGLE[char], '', at + 1];
  if (DOUBLE[pair] !== undefined) return [DOUBLE[pair], '', at + 2];
  if (char === '!') return ['not', '', at + 1];
  if (char === '=' || char === '&' || char === '|')
    throw new CalicoSyntaxError(`expected ${char}${char}`, at);
  if (char === '"' || char === "'") return readString(text, at, char);
  if (previous?.kind === 'label') {
    const [kind, end] = readOperator(text, at, previous.value);
    return [kind, '', end];
  }
  if (text.startsWith('has(', at)) {
    const [label, end] = readHas(text, at);
    return ['has', label, end];
  }
  for (const [name, kind] of FUNCTIONS) {
    if (text.startsWith(name, at)) return [kind, '', readFunction(text, at, name)];
  }
  const label = readLabel(text, at);
  return ['label', label, at + label.length];
}

/** Splits a selector into tokens ending with `eof`; throws CalicoSyntaxError on bad input. */
export function tokenizeCalicoSelector(text: string): CalicoToken[] {
  const tokens: CalicoToken[] = [];
  let at = skipSpace(text, 0);
  while (at < text.length) {
    const [kind, value, end] = readToken(text, at, tokens[tokens.length - 1]);
    tokens.push({ kind, value, position: at });
    at = skipSpace(text, end);
  }
  tokens.push({ kind: 'eof', value: '', position: text.length });
  return tokens;
}
