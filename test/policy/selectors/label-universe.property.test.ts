import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calicoPredicate,
  calicoSelectorMentions,
  evaluateCalicoSelector,
  type CalicoSelector,
} from '../../../src/policy/selectors/calico-ast.js';
import {
  labelSelectorMentions,
  labelSelectorPredicate,
} from '../../../src/policy/selectors/label-selector.js';
import {
  isWithin,
  matchesUnlabelled,
  mergeMentions,
  type KeyRole,
} from '../../../src/policy/selectors/label-universe.js';

// Reference model: brute force over a generated label universe. Every key takes every value of
// a domain wider than what the selectors name (named values, values no selector names, and
// absence unless the key is always present), and the selector is evaluated by an independent
// interpreter of the Kubernetes semantics (or by Calico's evaluator, the oracle of its tests).

const VALUES = ['a', 'b', 'c'];
/** Values no generated selector names: any of them stands for "a name nobody chose". */
const UNNAMED = ['zz', 'yy'];
const DOMAIN = [...VALUES, ...UNNAMED];

const NAME_KEY = 'kubernetes.io/metadata.name';
const KEYS = ['app', 'team', NAME_KEY, 'ctx', 'gen'];
/**
 * The universe: a name that is always there; `ctx`, a label of the surroundings (some namespace);
 * `gen`, a label a controller sets on some objects with a value nobody chose (pod-template-hash).
 */
const roleOf = (key: string): KeyRole => {
  if (key === NAME_KEY) return { role: 'own-name' };
  if (key === 'ctx') return { role: 'context', alwaysPresent: false };
  if (key === 'gen') return { role: 'generated' };
  return { role: 'opt-in' };
};

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
interface Expression {
  key: string;
  operator: Operator;
  values?: string[];
}
interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Expression[];
}

const expressionOver = (keys: readonly string[]): fc.Arbitrary<Expression> =>
  fc.oneof(
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom<Operator>('In', 'NotIn'),
      values: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom<Operator>('Exists', 'DoesNotExist'),
    }),
  );

const selectorOver = (keys: readonly string[]): fc.Arbitrary<Selector> =>
  fc.record(
    {
      matchLabels: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...VALUES), { maxKeys: 2 }),
      matchExpressions: fc.array(expressionOver(keys), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  );

const selector = selectorOver(KEYS);
/** Containment needs no roles: three keys, one of them always present, keep the universe small. */
const WITHIN_KEYS = ['app', 'team', NAME_KEY];

type Labels = Readonly<Record<string, string | undefined>>;

/** Kubernetes semantics, written again: matchLabels are In with one value; NotIn holds for an absent key. */
function referenceMatches(s: Selector, labels: Labels): boolean {
  const requirements: Expression[] = [
    ...Object.entries(s.matchLabels ?? {}).map(([key, value]) => ({
      key,
      operator: 'In' as const,
      values: [value],
    })),
    ...(s.matchExpressions ?? []),
  ];
  return requirements.every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === 'In') return value !== undefined && values.includes(value);
    if (operator === 'NotIn') return value === undefined || !values.includes(value);
    return operator === 'Exists' ? value !== undefined : value === undefined;
  });
}

/** Every label set over `keys`: each key takes every domain value, and absence unless always present. */
function universe(
  keys: readonly string[],
  domainOf: (key: string) => readonly (string | undefined)[],
): Labels[] {
  let sets: Record<string, string | undefined>[] = [{}];
  for (const key of keys)
    sets = sets.flatMap((set) => domainOf(key).map((value) => ({ ...set, [key]: value })));
  return sets;
}

/**
 * An unlabelled object: no opt-in label; a name nobody chose (whichever it is); its surroundings
 * anything; a generated label absent, or present with a value nobody chose (whichever it is).
 */
function referenceOpen(s: Selector): boolean {
  for (const ctx of [undefined, ...DOMAIN]) {
    for (const gens of [[undefined], UNNAMED]) {
      const all = UNNAMED.flatMap((name) => gens.map((gen) => ({ [NAME_KEY]: name, ctx, gen })));
      if (all.every((labels) => referenceMatches(s, labels))) return true;
    }
  }
  return false;
}

const model = (s: Selector) => ({ mentions: labelSelectorMentions(s), predicate: labelSelectorPredicate(s) });

describe('Kubernetes selectors over a label universe (brute force)', () => {
  it('matchesUnlabelled is true exactly when some unlabelled object, named by no one, matches', () => {
    fc.assert(
      fc.property(selector, (s) => {
        const { mentions, predicate } = model(s);
        expect(matchesUnlabelled(mentions, roleOf, predicate)).toBe(referenceOpen(s));
      }),
      { numRuns: 1000 },
    );
  });

  it('a selector that matches every label set in the universe is open', () => {
    // One unnamed value stands for all of them here: a selector cannot tell them apart.
    const all = universe(KEYS, (key) =>
      key === NAME_KEY ? [...VALUES, 'zz'] : [undefined, ...VALUES, 'zz'],
    );
    fc.assert(
      fc.property(selector, (s) => {
        if (!all.every((labels) => referenceMatches(s, labels))) return;
        const { mentions, predicate } = model(s);
        expect(matchesUnlabelled(mentions, roleOf, predicate)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('isWithin is exact: inner ⊆ outer over every label set (the name key always present)', () => {
    fc.assert(
      fc.property(selectorOver(WITHIN_KEYS), selectorOver(WITHIN_KEYS), (inner, outer) => {
        const sets = universe(WITHIN_KEYS, (key) => (key === NAME_KEY ? DOMAIN : [undefined, ...DOMAIN]));
        const expected = sets.every(
          (labels) => !referenceMatches(inner, labels) || referenceMatches(outer, labels),
        );
        const a = model(inner);
        const b = model(outer);
        const mentions = mergeMentions([a.mentions, b.mentions]);
        expect(isWithin(a.predicate, b.predicate, mentions, (key) => key === NAME_KEY)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

// Calico: the string tests (contains, starts with, ends with) make "a value nobody named" depend
// on the operands, so the reference tries a wider domain and checks the safe direction: whenever
// brute force finds an unlabelled endpoint that matches, matchesUnlabelled says so too.
const CALICO_KEYS = ['app', 'projectcalico.org/namespace', 'projectcalico.org/orchestrator', 'pcns.team'];
const CALICO_VALUES = ['a', 'b', 'ab', 'k8s', ''];
const calicoRole = (key: string): KeyRole => {
  if (key === 'projectcalico.org/namespace') return { role: 'own-name' };
  if (key === 'projectcalico.org/orchestrator') return { role: 'constant', value: 'k8s' };
  if (key === 'pcns.team') return { role: 'context', alwaysPresent: false };
  return { role: 'opt-in' };
};

const calicoNode: fc.Arbitrary<CalicoSelector> = fc.letrec<{ node: CalicoSelector }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<CalicoSelector>({ type: 'all' }),
    fc.record({ type: fc.constant('has' as const), label: fc.constantFrom(...CALICO_KEYS) }),
    fc.record({
      type: fc.constantFrom(
        'eq' as const,
        'ne' as const,
        'contains' as const,
        'startsWith' as const,
        'endsWith' as const,
      ),
      label: fc.constantFrom(...CALICO_KEYS),
      value: fc.constantFrom(...CALICO_VALUES),
    }),
    fc.record({
      type: fc.constantFrom('in' as const, 'notIn' as const),
      label: fc.constantFrom(...CALICO_KEYS),
      values: fc.uniqueArray(fc.constantFrom(...CALICO_VALUES), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({ type: fc.constant('not' as const), operand: tie('node') }),
    fc.record({
      type: fc.constantFrom('and' as const, 'or' as const),
      operands: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
    }),
  ),
})).node;

/** Values a namespace name nobody chose may take: none contains or starts or ends with a named value. */
const CALICO_UNNAMED = ['#', '%%'];
const CALICO_DOMAIN = [...CALICO_VALUES, 'ba', 'aab', ...CALICO_UNNAMED];

function calicoReferenceOpen(node: CalicoSelector): boolean {
  for (const team of [undefined, ...CALICO_DOMAIN]) {
    const matchesEveryName = CALICO_UNNAMED.every((name) => {
      const labels: Record<string, string> = {
        'projectcalico.org/namespace': name,
        'projectcalico.org/orchestrator': 'k8s',
      };
      if (team !== undefined) labels['pcns.team'] = team;
      return evaluateCalicoSelector(node, labels);
    });
    if (matchesEveryName) return true;
  }
  return false;
}

describe('Calico selectors over a label universe (brute force)', () => {
  it("matches a namespace value that starts with a named one without being it (fast-check seed 1603301847's counterexample)", () => {
    // pcns.team not in {a, b} && pcns.team starts with 'b': an endpoint in a namespace labelled team=bx.
    const node: CalicoSelector = {
      type: 'and',
      operands: [
        { type: 'notIn', label: 'pcns.team', values: ['a', 'b'] },
        { type: 'startsWith', label: 'pcns.team', value: 'b' },
      ],
    } as CalicoSelector;
    expect(calicoReferenceOpen(node)).toBe(true);
    expect(matchesUnlabelled(calicoSelectorMentions(node), calicoRole, calicoPredicate(node))).toBe(true);
  });

  it('never misses an unlabelled endpoint the selector matches', () => {
    fc.assert(
      fc.property(calicoNode, (node) => {
        fc.pre(calicoReferenceOpen(node));
        expect(matchesUnlabelled(calicoSelectorMentions(node), calicoRole, calicoPredicate(node))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with brute force when the selector uses no string tests', () => {
    const stringTests = (node: CalicoSelector): boolean =>
      node.type === 'contains' || node.type === 'startsWith' || node.type === 'endsWith'
        ? true
        : node.type === 'not'
          ? stringTests(node.operand)
          : node.type === 'and' || node.type === 'or'
            ? node.operands.some(stringTests)
            : false;
    fc.assert(
      fc.property(calicoNode, (node) => {
        fc.pre(!stringTests(node));
        expect(matchesUnlabelled(calicoSelectorMentions(node), calicoRole, calicoPredicate(node))).toBe(
          calicoReferenceOpen(node),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
