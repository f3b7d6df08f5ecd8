import { describe, expect, it } from 'vitest';
import { allowAllPaths, policyFrom, target } from './helpers.js';

function authz(spec: string, namespace = 'pay', apiVersion = 'security.istio.io/v1'): string {
  return `apiVersion: ${apiVersion}
kind: AuthorizationPolicy
metadata: {name: a, namespace: ${namespace}}
spec:
${spec.replace(/^/gm, '  ')}`;
}

const fromApi = 'rules: [{from: [{source: {principals: [cluster.local/ns/pay/sa/api]}}]}]';

describe('Istio selection and scope', () => {
  it.each([
    ['matchLabels', authz(`selector: {matchLabels: {app: web}}\n${fromApi}`), { app: 'web' }, 'pay', true],
    ['other labels', authz(`selector: {matchLabels: {app: web}}\n${fromApi}`), { app: 'api' }, 'pay', false],
    [
      'other namespace',
      authz(`selector: {matchLabels: {app: web}}\n${fromApi}`),
      { app: 'web' },
      'shop',
      false,
    ],
    ['no selector: every workload', authz(fromApi), { app: 'x' }, 'pay', true],
    [
      'root namespace reaches every namespace',
      authz(`selector: {matchLabels: {app: web}}\n${fromApi}`, 'istio-system'),
      { app: 'web' },
      'shop',
      true,
    ],
    [
      'targetRefs attach to a gateway, not the pods',
      authz(`targetRefs: [{kind: Gateway, name: gw}]\n${fromApi}`),
      { app: 'x' },
      'pay',
      false,
    ],
    [
      'v1beta1 is read the same way',
      authz(`selector: {matchLabels: {app: web}}\n${fromApi}`, 'pay', 'security.istio.io/v1beta1'),
      { app: 'web' },
      'pay',
      true,
    ],
  ])('%s', (_name, yaml, labels, namespace, expected) => {
    expect(policyFrom(yaml).selects(target(labels, { namespace }))).toBe(expected);
  });

  it.each([
    ['istio-system', true, true],
    ['pay', false, false],
  ])('in %s: clusterWide %s, covers another namespace %s', (namespace, clusterWide, coversOther) => {
    const policy = policyFrom(authz(fromApi, namespace));
    expect([policy.clusterWide, policy.namespace, policy.coversNamespace('shop', {})]).toEqual([
      clusterWide,
      namespace,
      coversOther,
    ]);
  });

  it('is ingress-only and never a two-way default deny', () => {
    const policy = policyFrom(authz('{}'));
    expect([
      policy.appliesToIngress,
      policy.appliesToEgress,
      policy.isDefaultDeny,
      policy.egressRuleCount,
    ]).toEqual([true, false, false, 0]);
  });

  it('reports a non-string selector label and an unknown action', () => {
    const policy = policyFrom(authz(`action: PERMIT\nselector: {matchLabels: {version: 2}}\n${fromApi}`));
    expect(policy.errors.map((error) => error.path)).toEqual([
      'spec.action',
      'spec.selector.matchLabels.version',
    ]);
    expect(policy.selects(target({ version: '2' }))).toBe(false);
  });
});

describe('Istio allow-list', () => {
  it.each([
    ['ALLOW with rules (default action)', fromApi, true],
    ['explicit ALLOW', `action: ALLOW\n${fromApi}`, true],
    ['allow-nothing: spec {}', '{}', false],
    ['allow-nothing: ALLOW without rules', 'action: ALLOW', false],
    ['allow-nothing: empty rules list', 'rules: []', false],
    ['DENY', `action: DENY\n${fromApi}`, false],
    ['AUDIT', `action: AUDIT\n${fromApi}`, false],
    ['CUSTOM', `action: CUSTOM\nprovider: {name: ext}\n${fromApi}`, false],
  ])('%s', (_name, spec, expected) => {
    expect(policyFrom(authz(spec)).isAllowList).toBe(expected);
  });
});

describe('Istio allow-all detection', () => {
  it.each([
    ['empty rule', 'rules: [{}]', ['spec.rules[0]']],
    ['empty from list', 'rules: [{from: []}]', ['spec.rules[0]']],
    ['empty source', 'rules: [{from: [{source: {}}]}]', ['spec.rules[0].from[0]']],
    ['source without fields', 'rules: [{from: [{}]}]', ['spec.rules[0].from[0]']],
    ['only exclusions', 'rules: [{from: [{source: {notNamespaces: [bad]}}]}]', ['spec.rules[0].from[0]']],
    ['wildcard principals', "rules: [{from: [{source: {principals: ['*']}}]}]", ['spec.rules[0].from[0]']],
    ['ipBlocks 0.0.0.0/0', 'rules: [{from: [{source: {ipBlocks: [0.0.0.0/0]}}]}]', ['spec.rules[0].from[0]']],
    [
      'second entry open',
      `rules: [{from: [{source: {namespaces: [pay]}}, {source: {}}]}]`,
      ['spec.rules[0].from[1]'],
    ],
    ['named principal', fromApi, []],
    [
      'wildcard narrowed by namespace',
      "rules: [{from: [{source: {principals: ['*'], namespaces: [pay]}}]}]",
      [],
    ],
    // `to` narrows the operation, not the caller: any caller may GET.
    ['to narrows only the operation', 'rules: [{to: [{operation: {methods: [GET]}}]}]', ['spec.rules[0]']],
    ['when narrows the rule', 'rules: [{when: [{key: source.namespace, values: [pay]}]}]', []],
    ['DENY rules are not allows', 'action: DENY\nrules: [{}]', []],
    ['allow-nothing has no rule to flag', '{}', []],
  ])('%s', (_name, spec, paths) => {
    expect(allowAllPaths(policyFrom(authz(spec)))).toEqual(paths);
  });
});
