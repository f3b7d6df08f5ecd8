import { describe, expect, it } from 'vitest';
import { allowAllPaths, policyFrom, target } from './helpers.js';

function calico(spec: string, kind: 'NetworkPolicy' | 'GlobalNetworkPolicy' = 'NetworkPolicy'): string {
  const metadata = kind === 'NetworkPolicy' ? '{name: p, namespace: pay}' : '{name: g}';
  return `apiVersion: projectcalico.org/v3
kind: ${kind}
metadata: ${metadata}
spec:
${spec.replace(/^/gm, '  ')}`;
}

const gnp = (spec: string): string => calico(spec, 'GlobalNetworkPolicy');

describe('Calico types defaulting', () => {
  it.each([
    ['no rules → Ingress', 'selector: all()', true, false],
    ['ingress rules → Ingress', 'ingress: [{action: Deny}]', true, false],
    ['only egress rules → Egress', 'egress: [{action: Allow}]', false, true],
    ['both → both', 'ingress: [{action: Deny}]\negress: [{action: Allow}]', true, true],
    ['explicit types win', 'types: [Egress]\ningress: [{action: Allow}]', false, true],
    ['explicit both without rules', 'types: [Ingress, Egress]', true, true],
  ])('%s', (_name, spec, ingress, egress) => {
    const policy = policyFrom(calico(spec));
    expect([policy.appliesToIngress, policy.appliesToEgress]).toEqual([ingress, egress]);
  });
});

describe('Calico selection', () => {
  const sa = { serviceAccountLabels: { role: 'caller' } };
  it.each([
    ['namespaced ==', calico("selector: app == 'web'"), { app: 'web' }, {}, true],
    [
      'namespaced other namespace',
      calico("selector: app == 'web'"),
      { app: 'web' },
      { namespace: 'shop' },
      false,
    ],
    ['empty selector is all()', calico('types: [Ingress]'), { app: 'x' }, {}, true],
    ['!= on absent label', calico("selector: team != 'a'"), {}, {}, true],
    ['has() on a Calico label', calico('selector: has(projectcalico.org/namespace)'), {}, {}, true],
    ['orchestrator label', calico("selector: projectcalico.org/orchestrator == 'k8s'"), {}, {}, true],
    ['service account label', calico("selector: projectcalico.org/serviceaccount == 'api'"), {}, {}, true],
    ['namespace labels as pcns.', gnp("selector: pcns.team == 'payments'"), {}, {}, true],
    ['GNP any namespace', gnp("selector: app == 'web'"), { app: 'web' }, { namespace: 'shop' }, true],
    [
      'GNP namespaceSelector hit',
      gnp("selector: app == 'web'\nnamespaceSelector: team == 'payments'"),
      { app: 'web' },
      {},
      true,
    ],
    [
      'GNP namespaceSelector miss',
      gnp("selector: app == 'web'\nnamespaceSelector: team == 'shop'"),
      { app: 'web' },
      {},
      false,
    ],
    [
      'GNP namespaceSelector by name',
      gnp("namespaceSelector: projectcalico.org/name == 'pay'"),
      {},
      {},
      true,
    ],
    [
      'serviceAccountSelector with known labels',
      calico("serviceAccountSelector: role == 'caller'"),
      {},
      sa,
      true,
    ],
    ['serviceAccountSelector miss', calico("serviceAccountSelector: role == 'other'"), {}, sa, false],
    [
      'serviceAccountSelector with unknown labels',
      calico("serviceAccountSelector: role == 'caller'"),
      {},
      {},
      false,
    ],
    ['serviceAccountSelector all()', calico('serviceAccountSelector: all()'), {}, {}, true],
    ['invalid selector selects nothing', calico("selector: app = 'web'"), { app: 'web' }, {}, false],
  ])('%s', (_name, yaml, labels, overrides, expected) => {
    expect(policyFrom(yaml).selects(target(labels, overrides))).toBe(expected);
  });

  it('reports an invalid selector with its path and position', () => {
    expect(policyFrom(calico('selector: app == web')).errors).toEqual([
      {
        path: 'spec.selector',
        message: 'invalid selector: expected a quoted string after "==" but found label "web" at position 7',
      },
    ]);
  });

  it('reports invalid rule actions and rule selectors', () => {
    const policy = policyFrom(calico("ingress: [{action: allow, source: {selector: 'a =='}}]"));
    expect(policy.errors.map((error) => error.path)).toEqual([
      'spec.ingress[0].action',
      'spec.ingress[0].source.selector',
    ]);
  });

  it.each([
    ['all()', calico('selector: all()'), true],
    ['empty', calico('types: [Ingress]'), true],
    ['namespace label', gnp("selector: projectcalico.org/namespace == 'pay'"), true],
    ['pod label', calico("selector: app == 'web'"), false],
    ['namespace and pod label', gnp("selector: projectcalico.org/namespace == 'pay' && app == 'web'"), false],
    ['service account selector narrows', calico("serviceAccountSelector: role == 'x'"), false],
  ])('selectsEveryPod: %s', (_name, yaml, expected) => {
    expect(policyFrom(yaml).selectsEveryPod).toBe(expected);
  });
});

describe('Calico allow-list', () => {
  it.each([
    [
      'Allow rule',
      "selector: app == 'web'\ningress: [{action: Allow, source: {selector: app == 'api'}}]",
      true,
    ],
    ['no rules', "selector: app == 'web'\ntypes: [Ingress]", true],
    ['only Deny and Log rules', "selector: app == 'web'\ningress: [{action: Log}, {action: Deny}]", false],
    ['egress only', "selector: app == 'web'\negress: [{action: Allow}]", false],
  ])('%s', (_name, spec, expected) => {
    expect(policyFrom(calico(spec)).isAllowList).toBe(expected);
  });
});

describe('Calico allow-all detection', () => {
  it.each([
    ['Allow without source', 'ingress: [{action: Allow}]', ['spec.ingress[0]']],
    ['Allow with empty source', 'ingress: [{action: Allow, source: {}}]', ['spec.ingress[0]']],
    ['source ports name no one', 'ingress: [{action: Allow, source: {ports: [80]}}]', ['spec.ingress[0]']],
    [
      'destination does not narrow sources',
      'ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]',
      ['spec.ingress[0]'],
    ],
    [
      'source only excludes',
      "ingress: [{action: Allow, source: {notSelector: app == 'bad'}}]",
      ['spec.ingress[0].source'],
    ],
    [
      'nets 0.0.0.0/0',
      'ingress: [{action: Allow, source: {nets: [10.0.0.0/8, 0.0.0.0/0]}}]',
      ['spec.ingress[0].source.nets[1]'],
    ],
    [
      'namespaceSelector all() alone',
      'ingress: [{action: Allow, source: {namespaceSelector: all()}}]',
      ['spec.ingress[0].source.namespaceSelector'],
    ],
    ['Deny without source is fine', 'ingress: [{action: Deny}]', []],
    ['named source', "ingress: [{action: Allow, source: {selector: app == 'api'}}]", []],
    ['service accounts', 'ingress: [{action: Allow, source: {serviceAccounts: {names: [api]}}}]', []],
    [
      'namespaceSelector all() with selector',
      "ingress: [{action: Allow, source: {namespaceSelector: all(), selector: app == 'api'}}]",
      [],
    ],
    ['egress rules are not sources', 'types: [Egress]\negress: [{action: Allow}]', []],
  ])('%s', (_name, rules, paths) => {
    expect(allowAllPaths(policyFrom(calico(`selector: app == 'web'\n${rules}`)))).toEqual(paths);
  });

  it('flags selector all() as every endpoint only in a global policy', () => {
    const rules = "selector: app == 'web'\ningress: [{action: Allow, source: {selector: all()}}]";
    expect(allowAllPaths(policyFrom(gnp(rules)))).toEqual(['spec.ingress[0].source.selector']);
    expect(allowAllPaths(policyFrom(calico(rules)))).toEqual([]);
  });
});

describe('Calico default deny', () => {
  it.each([
    ['all() with both types and no rules', calico('selector: all()\ntypes: [Ingress, Egress]'), true],
    ['empty selector', calico('types: [Ingress, Egress]'), true],
    [
      'deny rules allow nothing',
      calico('selector: all()\ntypes: [Ingress, Egress]\ningress: [{action: Deny}]'),
      true,
    ],
    ['an Allow rule', calico('selector: all()\ntypes: [Ingress, Egress]\negress: [{action: Allow}]'), false],
    ['a Pass rule', calico('selector: all()\ntypes: [Ingress, Egress]\negress: [{action: Pass}]'), false],
    ['defaulted types', calico('selector: all()'), false],
    ['pod selector', calico("selector: app == 'web'\ntypes: [Ingress, Egress]"), false],
    ['GNP all()', gnp('selector: all()\ntypes: [Ingress, Egress]'), true],
    [
      'GNP whole namespace',
      gnp("selector: projectcalico.org/namespace == 'pay'\ntypes: [Ingress, Egress]"),
      true,
    ],
  ])('%s', (_name, yaml, expected) => {
    expect(policyFrom(yaml).isDefaultDeny).toBe(expected);
  });

  it.each([
    ['GNP all() covers every namespace', gnp('selector: all()\ntypes: [Ingress, Egress]'), 'shop', {}, true],
    [
      'GNP namespace == covers that namespace',
      gnp("selector: projectcalico.org/namespace == 'pay'\ntypes: [Ingress, Egress]"),
      'pay',
      {},
      true,
    ],
    [
      'GNP namespace == skips others',
      gnp("selector: projectcalico.org/namespace == 'pay'\ntypes: [Ingress, Egress]"),
      'shop',
      {},
      false,
    ],
    [
      'GNP namespace not in',
      gnp("selector: projectcalico.org/namespace not in {'kube-system'}\ntypes: [Ingress, Egress]"),
      'kube-system',
      {},
      false,
    ],
    [
      'GNP namespaceSelector',
      gnp("namespaceSelector: team == 'payments'\ntypes: [Ingress, Egress]"),
      'pay',
      { team: 'payments' },
      true,
    ],
    [
      'GNP namespaceSelector miss',
      gnp("namespaceSelector: team == 'payments'\ntypes: [Ingress, Egress]"),
      'pay',
      { team: 'x' },
      false,
    ],
    [
      'GNP pcns. label',
      gnp("selector: pcns.zt == 'on'\ntypes: [Ingress, Egress]"),
      'pay',
      { zt: 'on' },
      true,
    ],
    ['namespaced covers own namespace', calico('types: [Ingress, Egress]'), 'pay', {}, true],
    ['namespaced does not cover others', calico('types: [Ingress, Egress]'), 'shop', {}, false],
  ])('coversNamespace: %s', (_name, yaml, namespace, labels, expected) => {
    const policy = policyFrom(yaml);
    expect(policy.isDefaultDeny && policy.coversNamespace(namespace, labels)).toBe(expected);
  });
});

describe('Calico policy shape', () => {
  it('a GlobalNetworkPolicy is cluster-wide and has no namespace', () => {
    expect(policyFrom(gnp('selector: all()'))).toMatchObject({
      flavour: 'calico-global',
      namespace: undefined,
      clusterWide: true,
    });
  });

  it('reads the crd.projectcalico.org/v1 storage form the same way', () => {
    const yaml = calico("selector: app == 'web'").replace('projectcalico.org/v3', 'crd.projectcalico.org/v1');
    expect(policyFrom(yaml)).toMatchObject({
      flavour: 'calico',
      namespace: 'pay',
      apiVersion: 'crd.projectcalico.org/v1',
    });
  });
});
