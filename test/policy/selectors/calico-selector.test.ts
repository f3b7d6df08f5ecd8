import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluateCalicoSelector,
  printCalicoSelector,
  type CalicoSelector,
} from '../../../src/policy/selectors/calico-ast.js';
import { parseCalicoSelector } from '../../../src/policy/selectors/calico-parser.js';
import { tokenizeCalicoSelector } from '../../../src/policy/selectors/calico-tokenizer.js';

function parse(text: string): CalicoSelector {
  const result = parseCalicoSelector(text);
  if (!result.ok) throw new Error(result.error);
  return result.selector;
}

function matches(text: string, labels: Record<string, string>): boolean {
  return evaluateCalicoSelector(parse(text), labels);
}

const pod = {
  app: 'web',
  tier: 'front',
  'projectcalico.org/namespace': 'pay',
  'app.kubernetes.io/name': 'web-1',
  empty: '',
};

describe('Calico selector evaluation', () => {
  it.each([
    ['', true],
    ['   ', true],
    ['all()', true],
    ['global()', true],
    ["app == 'web'", true],
    ['app == "web"', true],
    ["app == 'api'", false],
    ["team == 'a'", false],
    ["app != 'api'", true],
    ["app != 'web'", false],
    ["team != 'a'", true],
    ["app in {'api', 'web'}", true],
    ["app in {'api'}", false],
    ["team in {'a'}", false],
    ['app in {}', false],
    ["app not in {'api'}", true],
    ["app not in {'web'}", false],
    ["team not in {'a'}", true],
    ["app notin {'web'}", false],
    ['has(app)', true],
    ['has(team)', false],
    ['!has(team)', true],
    ['! has(app)', false],
    ['!!has(app)', true],
    ["app contains 'e'", true],
    ["app contains 'x'", false],
    ["team contains ''", false],
    ["app starts with 'we'", true],
    ["app starts with 'eb'", false],
    ["app startswith 'we'", true],
    ["app ends with 'eb'", true],
    ["app ends with 'we'", false],
    ["team starts with ''", false],
    ["team ends with ''", false],
    ["projectcalico.org/namespace == 'pay'", true],
    ["app.kubernetes.io/name == 'web-1'", true],
    ["empty == ''", true],
    ['has(empty)', true],
    ["app == 'api' || tier == 'front'", true],
    ["app == 'api' && tier == 'front'", false],
    // && binds tighter than ||: a || (b && c)
    ["app == 'web' || app == 'api' && tier == 'back'", true],
    ["(app == 'web' || app == 'api') && tier == 'back'", false],
    ["!(app == 'web' && tier == 'front')", false],
    ["!app == 'web'", false],
    ["\tapp=='web'&&tier!='back'\t", true],
    ['app == "it\'s"', false],
    ["all() && app == 'web'", true],
    ['global() && !has(app)', false],
  ])('%j → %s', (text, expected) => {
    expect(matches(text, pod)).toBe(expected);
  });

  it('reads quotes literally: no escapes, the other quote is an ordinary character', () => {
    expect(matches(`msg == "it's"`, { msg: "it's" })).toBe(true);
    expect(matches(`msg == 'say "hi"'`, { msg: 'say "hi"' })).toBe(true);
  });
});

describe('Calico selector parse errors', () => {
  it.each([
    ["app == 'web", 'unterminated string at position 7'],
    ["app = 'web'", 'expected == at position 4'],
    ["app == 'web' & tier == 'a'", 'expected && at position 13'],
    ["app == 'web' | tier == 'a'", 'expected || at position 13'],
    ['app == web', 'expected a quoted string after "==" but found label "web" at position 7'],
    ['app web', 'expected an operator after label "app" at position 4'],
    ["app in 'web'", 'expected a set literal "{...}" after "in" but found string "web" at position 7'],
    ["app in {'a' 'b'}", 'expected "," or "}" but found string "b" at position 12'],
    ['app in {,}', 'expected a quoted string or "}" but found "," at position 8'],
    ["(app == 'web'", 'expected ")" but found end of selector at position 13'],
    ["app == 'web')", 'expected "&&", "||" or end of selector but found ")" at position 12'],
    ["app == 'web' tier", 'expected "&&", "||" or end of selector but found label "tier" at position 13'],
    [
      "app == 'web' &&",
      'expected a label, has(), all(), global(), "!" or "(" but found end of selector at position 15',
    ],
    ['has(app', "expected ')' to close has( at position 7"],
    ['has()', 'unexpected character ")" at position 4'],
    ['all(x)', "expected ')' after all( at position 4"],
    ['global(', "expected ')' after global( at position 7"],
    ['app ==', 'expected a quoted string after "==" but found end of selector at position 6'],
    [
      "app\n== 'web'",
      'line break in selector (Calico separates tokens with spaces and tabs only) at position 3',
    ],
    ['app $ x', 'expected an operator after label "app" at position 4'],
    ['$app', 'unexpected character "$" at position 0'],
    ['app inx {}', 'expected an operator after label "app" at position 4'],
    [`${'a'.repeat(513)} == 'x'`, 'label longer than 512 characters at position 0'],
    // 10,000 levels overflowed the parser's stack: a RangeError out of normalizePolicy.
    [
      `${'('.repeat(10_000)}a == 'b'${')'.repeat(10_000)}`,
      'parentheses nested deeper than 100 at position 100',
    ],
  ])('%j', (text, message) => {
    expect(parseCalicoSelector(text)).toEqual({ ok: false, error: `invalid selector: ${message}` });
  });
});

describe('Calico selector nesting', () => {
  it('reads 100 nested groups', () => {
    const text = `${'('.repeat(100)}a == 'b'${')'.repeat(100)}`;
    expect(parseCalicoSelector(text)).toMatchObject({ ok: true, selector: { type: 'eq', label: 'a' } });
  });

  // 10,000 levels overflowed the parser's stack: a RangeError out of normalizePolicy.
  it('refuses 10,000 nested groups as a syntax error', () => {
    const text = `${'('.repeat(10_000)}a == 'b'${')'.repeat(10_000)}`;
    expect(parseCalicoSelector(text)).toEqual({
      ok: false,
      error: 'invalid selector: parentheses nested deeper than 100 at position 100',
    });
  });
});

describe('Calico selector syntax tree', () => {
  it.each([
    ["a == 'x'", { type: 'eq', label: 'a', value: 'x' }],
    ["a in {'y', 'x', 'x',}", { type: 'in', label: 'a', values: ['x', 'y'] }],
    ['!!!has(a)', { type: 'not', operand: { type: 'has', label: 'a' } }],
    [
      "a == 'x' || b == 'y' && c == 'z'",
      {
        type: 'or',
        operands: [
          { type: 'eq', label: 'a', value: 'x' },
          {
            type: 'and',
            operands: [
              { type: 'eq', label: 'b', value: 'y' },
              { type: 'eq', label: 'c', value: 'z' },
            ],
          },
        ],
      },
    ],
    ["k ends with 'z'", { type: 'endsWith', label: 'k', value: 'z' }],
  ])('%j', (text, tree) => {
    expect(parse(text)).toEqual(tree);
  });

  it('tokenizes with positions', () => {
    expect(tokenizeCalicoSelector("a not in {'b'}").map((token) => [token.kind, token.position])).toEqual([
      ['label', 0],
      ['notIn', 2],
      ['lbrace', 9],
      ['string', 10],
      ['rbrace', 13],
      ['eof', 14],
    ]);
  });

  it.each([
    ["a=='x'&&b!='y'||!has(c)", '((a == "x" && b != "y") || !has(c))'],
    ["a in {'y','x'}", 'a in {"x", "y"}'],
    [`a == 'say "hi"'`, `a == 'say "hi"'`],
    ['', 'all()'],
  ])('prints %j as %j', (text, printed) => {
    expect(printCalicoSelector(parse(text))).toBe(printed);
  });
});

const labelKey = fc.constantFrom('app', 'tier', 'projectcalico.org/name', 'a.b-c_d');
const labelValue = fc.constantFrom('', 'web', 'api', 'we', 'b', 'it"s', "it's");
const safeValue = labelValue.filter((value) => !(value.includes('"') && value.includes("'")));
const labelsArb = fc.dictionary(labelKey, labelValue, { maxKeys: 4 });

const selectorArb: fc.Arbitrary<CalicoSelector> = fc.letrec<{ node: CalicoSelector }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<CalicoSelector>({ type: 'all' }),
    fc.constant<CalicoSelector>({ type: 'global' }),
    labelKey.map((label): CalicoSelector => ({ type: 'has', label })),
    fc
      .record({
        type: fc.constantFrom('eq', 'ne', 'contains', 'startsWith', 'endsWith'),
        label: labelKey,
        value: safeValue,
      })
      .map((node): CalicoSelector => node as CalicoSelector),
    fc
      .record({
        type: fc.constantFrom('in', 'notIn'),
        label: labelKey,
        values: fc.uniqueArray(safeValue, { maxLength: 3 }),
      })
      .map((node): CalicoSelector => ({ ...node, values: [...node.values].sort() }) as CalicoSelector),
    tie('node').map((operand): CalicoSelector => ({ type: 'not', operand })),
    fc
      .array(tie('node'), { minLength: 2, maxLength: 3 })
      .map((operands): CalicoSelector => ({ type: 'and', operands })),
    fc
      .array(tie('node'), { minLength: 2, maxLength: 3 })
      .map((operands): CalicoSelector => ({ type: 'or', operands })),
  ),
})).node;

describe('Calico selector properties', () => {
  it('printing and re-parsing keeps the meaning', () => {
    fc.assert(
      fc.property(selectorArb, labelsArb, (selector, labels) => {
        const reparsed = parse(printCalicoSelector(selector));
        expect(evaluateCalicoSelector(reparsed, labels)).toBe(evaluateCalicoSelector(selector, labels));
      }),
    );
  });

  it('printing is a fixed point after one round trip', () => {
    fc.assert(
      fc.property(selectorArb, (selector) => {
        const once = printCalicoSelector(parse(printCalicoSelector(selector)));
        expect(printCalicoSelector(parse(once))).toBe(once);
      }),
    );
  });

  it('!(e) is the complement of e', () => {
    fc.assert(
      fc.property(selectorArb, labelsArb, (selector, labels) => {
        const negated = parse(`!(${printCalicoSelector(selector)})`);
        expect(evaluateCalicoSelector(negated, labels)).toBe(!evaluateCalicoSelector(selector, labels));
      }),
    );
  });

  it('!= and not in are the complements of == and in', () => {
    fc.assert(
      fc.property(labelKey, safeValue, labelsArb, (label, value, labels) => {
        const quoted = value.includes('"') ? `'${value}'` : `"${value}"`;
        expect(matches(`${label} != ${quoted}`, labels)).toBe(!matches(`${label} == ${quoted}`, labels));
        expect(matches(`${label} not in {${quoted}}`, labels)).toBe(
          !matches(`${label} in {${quoted}}`, labels),
        );
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const result = parseCalicoSelector(text);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
