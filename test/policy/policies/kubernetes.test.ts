import { describe, expect, it } from 'vitest';
import { allowAllPaths, policyFrom, target } from './helpers.js';

function k8s(spec: string, namespace = 'pay'): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ${namespace}}
spec:
${spec.replace(/^/gm, '  ')}`;
}

describe('Kubernetes NetworkPolicy policyTypes defaulting', () => {
  it.each([
    ['no types, no rules → Ingress', 'podSelector: {}', true, false],
    [
      'no types, ingress rules → Ingress',
      'podSelector: {}\ningress: [{from: [{podSelector: {}}]}]',
      true,
      false,
    ],
    [
      'no types, egress rules → Ingress and Egress',
      'podSelector: {}\negress: [{to: [{podSelector: {}}]}]',
      true,
      true,
    ],
    ['no types, empty egress list → Ingress', 'podSelector: {}\negress: []', true, false],
    ['explicit Egress only', 'podSelector: {}\npolicyTypes: [Egress]', false, true],
    ['explicit both', 'podSelector: {}\npolicyTypes: [Ingress, Egress]', true, true],
    [
      'explicit Ingress ignores egress rules',
      'podSelector: {}\npolicyTypes: [Ingress]\negress: [{}]',
      true,
      false,
    ],
  ])('%s', (_name, spec, ingress, egress) => {
    const policy = policyFrom(k8s(spec));
    expect([policy.appliesToIngress, policy.appliesToEgress]).toEqual([ingress, egress]);
  });

  it('reports an unknown policy type', () => {
    expect(
      policyFrom(k8s('podSelector: {}\npolicyTypes: [Inbound]')).errors.map((error) => error.path),
    ).toEqual(['spec.policyTypes[0]']);
  });
});

describe('Kubernetes NetworkPolicy selection', () => {
  it.each([
    ['matchLabels', 'podSelector: {matchLabels: {app: web}}', { app: 'web' }, 'pay', true],
    ['other labels', 'podSelector: {matchLabels: {app: web}}', { app: 'api' }, 'pay', false],
    ['other namespace', 'podSelector: {matchLabels: {app: web}}', { app: 'web' }, 'shop', false],
    ['empty selector', 'podSelector: {}', { app: 'api' }, 'pay', true],
    ['omitted selector', 'policyTypes: [Ingress]', { app: 'api' }, 'pay', true],
    [
      'NotIn absent key',
      'podSelector: {matchExpressions: [{key: team, operator: NotIn, values: [a]}]}',
      {},
      'pay',
      true,
    ],
    [
      'invalid selector',
      'podSelector: {matchExpressions: [{key: app, operator: Is, values: [web]}]}',
      { app: 'web' },
      'pay',
      false,
    ],
  ])('%s', (_name, spec, labels, namespace, expected) => {
    expect(policyFrom(k8s(spec)).selects(target(labels, { namespace }))).toBe(expected);
  });

  it('reports an invalid podSelector with its path', () => {
    const policy = policyFrom(k8s('podSelector: {matchExpressions: [{key: app, operator: In}]}'));
    expect(policy.errors.map((error) => error.path)).toEqual(['spec.podSelector.matchExpressions[0].values']);
    expect(policy.selectsEveryPod).toBe(false);
  });

  it('describes an allow-list for one workload', () => {
    const policy = policyFrom(
      k8s(
        'podSelector: {matchLabels: {app: web}}\ningress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]',
      ),
    );
    expect(policy).toMatchObject({
      flavour: 'kubernetes',
      namespace: 'pay',
      clusterWide: false,
      selectsEveryPod: false,
      isAllowList: true,
      isDefaultDeny: false,
      ingressRuleCount: 1,
      egressRuleCount: 0,
      allowAll: [],
      errors: [],
    });
  });
});

describe('Kubernetes NetworkPolicy allow-all detection', () => {
  it.each([
    ['rule without from', 'ingress: [{ports: [{port: 80}]}]', ['spec.ingress[0]']],
    ['empty rule', 'ingress: [{}]', ['spec.ingress[0]']],
    ['empty from list', 'ingress: [{from: []}]', ['spec.ingress[0]']],
    [
      'namespaceSelector {} alone',
      'ingress: [{from: [{namespaceSelector: {}}]}]',
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    [
      'namespaceSelector {} with podSelector {}',
      'ingress: [{from: [{namespaceSelector: {}, podSelector: {}}]}]',
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    [
      'ipBlock 0.0.0.0/0',
      'ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]',
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      'ipBlock ::/0',
      "ingress: [{from: [{ipBlock: {cidr: '::/0'}}]}]",
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    ['second rule', 'ingress: [{from: [{podSelector: {}}]}, {}]', ['spec.ingress[1]']],
    [
      'named sources',
      'ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: b}}}]}]',
      [],
    ],
    ['podSelector {} (own namespace)', 'ingress: [{from: [{podSelector: {}}]}]', []],
    [
      'namespaceSelector {} narrowed by podSelector',
      'ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: b}}}]}]',
      [],
    ],
    ['narrow ipBlock', 'ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]', []],
    ['egress to everything is not about sources', 'policyTypes: [Egress]\negress: [{}]\ningress: [{}]', []],
  ])('%s', (_name, rules, paths) => {
    expect(allowAllPaths(policyFrom(k8s(`podSelector: {matchLabels: {app: web}}\n${rules}`)))).toEqual(paths);
  });

  it('says why a finding allows every source', () => {
    const [finding] = policyFrom(
      k8s('podSelector: {}\ningress: [{from: [{namespaceSelector: {}}]}]'),
    ).allowAll;
    expect(finding?.message).toContain('matches every namespace and no podSelector narrows it');
  });
});

describe('Kubernetes NetworkPolicy default deny', () => {
  it.each([
    ['podSelector {} with both types and no rules', 'podSelector: {}\npolicyTypes: [Ingress, Egress]', true],
    [
      'empty rule lists count as no rules',
      'podSelector: {}\npolicyTypes: [Ingress, Egress]\ningress: []\negress: []',
      true,
    ],
    ['ingress only', 'podSelector: {}\npolicyTypes: [Ingress]', false],
    ['defaulted types (Ingress only)', 'podSelector: {}', false],
    [
      'a rule allows something',
      'podSelector: {}\npolicyTypes: [Ingress, Egress]\negress: [{to: [{podSelector: {}}]}]',
      false,
    ],
    ['not every pod', 'podSelector: {matchLabels: {app: web}}\npolicyTypes: [Ingress, Egress]', false],
  ])('%s', (_name, spec, expected) => {
    expect(policyFrom(k8s(spec)).isDefaultDeny).toBe(expected);
  });

  it('covers only its own namespace', () => {
    const policy = policyFrom(k8s('podSelector: {}\npolicyTypes: [Ingress, Egress]'));
    expect([policy.coversNamespace('pay', {}), policy.coversNamespace('shop', {})]).toEqual([true, false]);
  });
});
