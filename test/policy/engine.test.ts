import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, MODE_LABEL, type ZtgateConfig } from '../../src/policy/config.js';
import { applicableRules, evaluate, formatViolation } from '../../src/policy/engine.js';
import { RULES } from '../../src/policy/rules/index.js';
import type { Rule } from '../../src/policy/rules/rule.js';
import { readWorkload } from '../../src/policy/workload.js';
import type { EvaluationInput, KubeObject } from '../../src/policy/types.js';
import {
  defaultDeny,
  deployment,
  meshNamespace,
  namespace,
  peerAuthentication,
  policy,
  serviceAccount,
  viewOf,
} from './helpers.js';

const good = deployment('web', { sa: 'web' });
const ready = viewOf(
  [serviceAccount('web'), meshNamespace('shop'), peerAuthentication('strict')],
  [defaultDeny(), policy({ name: 'web-allow', matchLabels: { app: 'web' } })],
);
const create = (object: KubeObject, namespaceName?: string): EvaluationInput => ({
  operation: 'CREATE',
  object,
  namespace: namespaceName,
});
const rules = (decision: { violations: readonly { rule: string; path: string }[] }) =>
  decision.violations.map((v) => `${v.rule} ${v.path}`);

describe('evaluate: skips what it does not judge', () => {
  it.each([
    {
      name: 'a ConfigMap',
      input: create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } }),
    },
    { name: 'a ServiceAccount', input: create(serviceAccount('web')) },
    {
      name: 'a workload DELETE',
      input: { operation: 'DELETE', object: undefined, oldObject: good } as EvaluationInput,
    },
    { name: 'an exempt namespace', input: create(deployment('dns', { namespace: 'kube-system' })) },
    { name: "ztgate's own namespace", input: create(deployment('x', { namespace: 'ztgate-system' })) },
    { name: 'no object', input: { operation: 'CREATE', object: undefined } as EvaluationInput },
  ])('$name', ({ input }) => {
    expect(evaluate(input, viewOf([]), DEFAULT_CONFIG)).toEqual({
      allowed: true,
      skipped: true,
      mode: 'enforce',
      violations: [],
      warnings: [],
    });
  });

  it('does not let a workload exempt itself with labels or annotations', () => {
    const object = {
      ...deployment('web'),
      metadata: { name: 'web', namespace: 'shop', labels: { [MODE_LABEL]: 'audit' } },
    };
    expect(evaluate(create(object), viewOf([]), DEFAULT_CONFIG).allowed).toBe(false);
  });
});

describe('evaluate: judges workloads', () => {
  it('allows a workload that satisfies every rule', () => {
    expect(evaluate(create(good), ready, DEFAULT_CONFIG)).toEqual({
      allowed: true,
      skipped: false,
      mode: 'enforce',
      violations: [],
      warnings: [],
    });
  });

  it('returns every violation of every rule at once, in registry order', () => {
    const decision = evaluate(create(deployment('bare')), viewOf([]), DEFAULT_CONFIG);
    expect(decision.allowed).toBe(false);
    expect(rules(decision)).toEqual([
      'dedicated-service-account spec.template.spec.serviceAccountName',
      'allow-list-policy spec.template.metadata.labels',
      'namespace-default-deny metadata.namespace',
      'mesh-enrolment metadata.namespace',
      'strict-mtls metadata.namespace',
    ]);
  });

  it('uses the request namespace when metadata has none', () => {
    const object = { ...good, metadata: { name: 'web' } };
    expect(evaluate(create(object, 'shop'), ready, DEFAULT_CONFIG).allowed).toBe(true);
  });

  it.each([
    {
      name: 'no name',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { namespace: 'shop' },
        spec: { template: { spec: {} } },
      },
      path: 'metadata.name',
    },
    {
      name: 'spec not an object',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: [] },
      path: 'spec',
    },
  ])('denies a malformed workload ($name) as invalid-object', ({ object, path }) => {
    const decision = evaluate(create(object as KubeObject), ready, DEFAULT_CONFIG);
    expect(decision.allowed).toBe(false);
    expect(rules(decision)).toEqual([`invalid-object ${path}`]);
  });
});

describe('evaluate: audit mode', () => {
  const audit: ZtgateConfig = { ...DEFAULT_CONFIG, mode: 'audit' };
  it.each([
    { name: 'config mode audit', config: audit, view: viewOf([]) },
    {
      name: 'namespace label ztgate.dev/mode: audit',
      config: DEFAULT_CONFIG,
      view: viewOf([namespace('shop', { [MODE_LABEL]: 'audit' })]),
    },
  ])('$name allows with the violations as warnings', ({ config, view }) => {
    const decision = evaluate(create(deployment('bare')), view, config);
    expect(decision.allowed).toBe(true);
    expect(decision.mode).toBe('audit');
    expect(decision.warnings).toEqual(decision.violations.map(formatViolation));
    expect(decision.warnings[0]).toMatch(
      /^\[dedicated-service-account\] spec\.template\.spec\.serviceAccountName: /,
    );
  });
});

describe('evaluate: fails closed', () => {
  it('turns a throwing rule into a denial and still runs the others', () => {
    const boom: Rule = {
      name: 'mtls-sidecar',
      description: 'throws',
      appliesTo: 'workload',
      operations: ['CREATE'],
      check: () => {
        throw new Error('boom');
      },
    };
    const decision = evaluate(create(good), ready, DEFAULT_CONFIG, [boom]);
    expect(decision.allowed).toBe(false);
    expect(decision.violations).toEqual([
      {
        rule: 'mtls-sidecar',
        path: '',
        message: 'ztgate could not evaluate this rule (boom); denied to fail closed',
        fix: '# Report this to the ztgate administrators with the object that triggered it.',
      },
    ]);
  });
});

describe('evaluate: judges policies', () => {
  const netpol = (ingress: unknown[]): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress },
  });

  it('allows a policy naming its sources', () => {
    const object = netpol([{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }]);
    expect(evaluate(create(object), viewOf([]), DEFAULT_CONFIG)).toMatchObject({
      allowed: true,
      skipped: false,
    });
  });

  it('denies an allow-all policy on CREATE and UPDATE', () => {
    const object = netpol([{}]);
    for (const operation of ['CREATE', 'UPDATE'] as const) {
      const decision = evaluate({ operation, object, oldObject: object }, viewOf([]), DEFAULT_CONFIG);
      expect(decision.allowed).toBe(false);
      expect(decision.violations.map((v) => v.rule)).toEqual(['no-allow-all-policy']);
    }
  });

  it('reports an invalid selector in an admitted policy as invalid-object', () => {
    const object: KubeObject = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'bad', namespace: 'shop' },
      spec: {
        selector: "app == 'web",
        types: ['Ingress'],
        ingress: [{ action: 'Allow', source: { selector: "app == 'api'" } }],
      },
    };
    const decision = evaluate(create(object), viewOf([]), DEFAULT_CONFIG);
    expect(decision.allowed).toBe(false);
    expect(decision.violations.map((v) => v.rule)).toContain('invalid-object');
  });
});

describe('evaluate: a reading the caller already made (the audit reads each workload once)', () => {
  const malformed = { ...good, metadata: { ...good.metadata, labels: { 'bad key!': 'x' } } };
  const refused = deployment('api', { sa: 'default' });
  it.each([
    ['a compliant workload', good],
    ['a refused workload', refused],
    ['a malformed workload', malformed],
  ])('decides %s as when the engine reads it itself', (_, object) => {
    const input = create(object, 'shop');
    const known = { object, workload: readWorkload(object, 'shop') };
    expect(evaluate(input, ready, DEFAULT_CONFIG, undefined, known)).toEqual(
      evaluate(input, ready, DEFAULT_CONFIG),
    );
  });

  it('is used for the object it was made of, and for no other', () => {
    const reading = readWorkload(refused, 'shop');
    const refusedRules = rules(evaluate(create(refused, 'shop'), ready, DEFAULT_CONFIG));
    expect(refusedRules).not.toEqual([]);
    // The reading is what the engine judges for its own object...
    const own = { object: good, workload: reading };
    expect(rules(evaluate(create(good, 'shop'), ready, DEFAULT_CONFIG, undefined, own))).toEqual(
      refusedRules,
    );
    // ...and is ignored for any other, a copy of it included.
    const other = { object: refused, workload: reading };
    expect(rules(evaluate(create(good, 'shop'), ready, DEFAULT_CONFIG, undefined, other))).toEqual([]);
    expect(rules(evaluate(create({ ...good }, 'shop'), ready, DEFAULT_CONFIG, undefined, own))).toEqual([]);
  });
});

describe('applicableRules: the rules that judge a kind of subject on an operation', () => {
  const kinds = [...new Set(RULES.map((rule) => rule.appliesTo))];
  const operations = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
  const scan = (rules: readonly Rule[], kind: Rule['appliesTo'], operation: EvaluationInput['operation']) =>
    rules.filter((rule) => rule.appliesTo === kind && rule.operations.includes(operation));

  it('gives the rules in force in order, for every kind and operation, asked again and again', () => {
    for (let round = 0; round < 2; round += 1)
      for (const kind of kinds)
        for (const operation of operations)
          expect(applicableRules(RULES, kind, operation)).toEqual(scan(RULES, kind, operation));
    expect(applicableRules(RULES, 'workload', 'CREATE').length).toBeGreaterThan(5);
  });

  it('reads a list that is not frozen afresh, so a change to it counts', () => {
    const rules: Rule[] = RULES.filter((rule) => rule.appliesTo === 'workload');
    const before = applicableRules(rules, 'workload', 'CREATE').length;
    rules.pop();
    expect(applicableRules(rules, 'workload', 'CREATE').length).toBe(before - 1);
  });

  it('answers operations of any spelling (no rule judges them), and the known ones after', () => {
    for (let index = 0; index < 100; index += 1) {
      const operation = `OP${index}` as EvaluationInput['operation'];
      expect(applicableRules(RULES, 'workload', operation)).toEqual([]);
    }
    expect(applicableRules(RULES, 'workload', 'CREATE')).toEqual(scan(RULES, 'workload', 'CREATE'));
  });
});
