/**
 * Recursive-descent parser for Calico selectors, mirroring libcalico-go/lib/selector/parser:
 *
 *   selector  := <empty> | or EOF
 *   or        := and ('||' and)*
 *   and       := operation ('&&' operation)*          (&& binds tighter than ||)
 *   operation := '!'* ( has(k) | all() | global() | '(' or ')'
 *                     | k ('==' | '!=' | contains | starts with | ends with) string
 *                     | k ('in' | 'not in') '{' (string (',' string)* ','?)? '}' )
 *
 * Leading `!`s collapse to one negation of the operation that follows, as in Calico.
 */
import type { CalicoSelector } from './calico-ast.js';
import {
  CalicoSyntaxError,
  tokenizeCalicoSelector,
  type CalicoToken,
  type CalicoTokenKind,
} from './calico-tokenizer.js';
import { quoteValue } from '../message-text.js';

/** The result of parsing: the syntax tree, or a message saying what is wrong and where. */
export type CalicoParseResult =
  { readonly ok: true; readonly selector: CalicoSelector } | { readonly ok: false; readonly error: string };

const COMPARISONS: Partial<Record<CalicoTokenKind, 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith'>> = {
  eq: 'eq',
  ne: 'ne',
  contains: 'contains',
  startsWith: 'startsWith',
  endsWith: 'endsWith',
};

const TOKEN_TEXT: Readonly<Record<CalicoTokenKind, string>> = {
  label: 'label',
  string: 'string',
  lbrace: '"{"',
  rbrace: '"}"',
  comma: '","',
  eq: '"=="',
  ne: '"!="',
  in: '"in"',
  notIn: '"not in"',
  not: '"!"',
  contains: '"contains"',
  startsWith: '"starts with"',
  endsWith: '"ends with"',
  all: '"all()"',
  global: '"global()"',
  has: '"has()"',
  lparen: '"("',
  rparen: '")"',
  and: '"&&"',
  or: '"||"',
  eof: 'end of selector',
};

function describe(token: CalicoToken): string {
  if (token.kind === 'label' || token.kind === 'string') return `${token.kind} ${quoteValue(token.value)}`;
  return TOKEN_TEXT[token.kind];
}

/**
 * Deepest parenthesised group a selector may hold. The parser recurses once per group, and
 * 10,000 nested parentheses overflowed the stack (Calico's Go parser grows its stack instead).
 */
export const MAX_GROUP_DEPTH = 100;

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly CalicoToken[]) {}

  private peek(): CalicoToken {
    return this.tokens[this.index] as CalicoToken;
  }

  private next(): CalicoToken {
    const token = this.peek();
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  private fail(token: CalicoToken, expected: string): never {
    throw new CalicoSyntaxError(`expected ${expected} but found ${describe(token)}`, token.position);
  }

  parseSelector(): CalicoSelector {
    if (this.peek().kind === 'eof') return { type: 'all' };
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'eof') this.fail(rest, '"&&", "||" or end of selector');
    return node;
  }

  private parseOr(): CalicoSelector {
    const operands = [this.parseAnd()];
    while (this.peek().kind === 'or') {
      this.next();
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? (operands[0] as CalicoSelector) : { type: 'or', operands };
  }

  private parseAnd(): CalicoSelector {
    const operands = [this.parseOperation()];
    while (this.peek().kind === 'and') {
      this.next();
      operands.push(this.parseOperation());
    }
    return operands.length === 1 ? (operands[0] as CalicoSelector) : { type: 'and', operands };
  }

  private parseOperation(): CalicoSelector {
    let negated = false;
    while (this.peek().kind === 'not') {
      this.next();
      negated = !negated;
    }
    const node = this.parsePrimary();
    return negated ? { type: 'not', operand: node } : node;
  }

  private parsePrimary(): CalicoSelector {
    const token = this.next();
    switch (token.kind) {
      case 'has':
        return { type: 'has', label: token.value };
      case 'all':
        return { type: 'all' };
      case 'global':
        return { type: 'global' };
      case 'lparen': {
        if (++this.depth > MAX_GROUP_DEPTH) {
          throw new CalicoSyntaxError(`parentheses nested deeper than ${MAX_GROUP_DEPTH}`, token.position);
        }
        const inner = this.parseOr();
        this.depth -= 1;
        const close = this.next();
        if (close.kind !== 'rparen') this.fail(close, '")"');
        return inner;
      }
      case 'label':
        return this.parseComparison(token.value);
      default:
        return this.fail(token, 'a label, has(), all(), global(), "!" or "("');
    }
  }

  private parseComparison(label: string): CalicoSelector {
    const operator = this.next();
    const comparison = COMPARISONS[operator.kind];
    if (comparison !== undefined) {
      const value = this.next();
      if (value.kind !== 'string') this.fail(value, `a quoted string after ${TOKEN_TEXT[operator.kind]}`);
      return { type: comparison, label, value: value.value };
    }
    if (operator.kind === 'in' || operator.kind === 'notIn') {
      return { type: operator.kind, label, values: this.parseSet(operator) };
    }
    return this.fail(operator, `an operator after label ${quoteValue(label)}`);
  }

  private parseSet(operator: CalicoToken): string[] {
    const open = this.next();
    if (open.kind !== 'lbrace') this.fail(open, `a set literal "{...}" after ${TOKEN_TEXT[operator.kind]}`);
    const values: string[] = [];
    while (this.peek().kind === 'string') {
      values.push(this.next().value);
      if (this.peek().kind !== 'comma') break;
      this.next();
    }
    const close = this.next();
    if (close.kind !== 'rbrace')
      this.fail(close, values.length === 0 ? 'a quoted string or "}"' : '"," or "}"');
    // Calico stores set literals as sorted, de-duplicated string sets.
    return [...new Set(values)].sort();
  }
}

function parseText(text: string): CalicoParseResult {
  try {
    return { ok: true, selector: new Parser(tokenizeCalicoSelector(text)).parseSelector() };
  } catch (error) {
    if (error instanceof CalicoSyntaxError) return { ok: false, error: `invalid selector: ${error.message}` };
    throw error;
  }
}

function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) freezeDeep(inner);
    Object.freeze(value);
  }
  return value;
}

// Selectors repeat across policies (`app == 'x'`, `all()`, `projectcalico.org/name == 'y'`), so a
// large view parses each text once; the results are frozen because callers share them. Bounded,
// so a churning watch cache cannot grow it without limit.
const CACHE_LIMIT = 20_000;
const parsed = new Map<string, CalicoParseResult>();

/** Parses a Calico selector; an empty (or all-blank) selector is `all()`, as in Calico. */
export function parseCalicoSelector(text: string): CalicoParseResult {
  let result = parsed.get(text);
  if (result === undefined) {
    result = freezeDeep(parseText(text));
    if (parsed.size >= CACHE_LIMIT) parsed.clear();
    parsed.set(text, result);
  }
  return result;
}
