import { describe, expect, it } from 'vitest';
import { allowAllPaths, policyFrom, target } from './helpers.js';

function cnp(spec: string): string {
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c, namespace: pay}
spec:
${spec.replace(/^/gm, '  ')}`;
}

function ccnp(spec: string): string {
  return `apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: cc}
spec:
${spec.replace(/^/gm, '  ')}`;
}

const allowApi = 'ingress: [{fromEndpoints: [{matchLabels: {app: api}}]}]';

describe('Cilium selection', () => {
  it.each([
    [
      'matchLabels',
      cnp(`endpointSelector: {matchLabels: {app: web}}\n${allowApi}`),
      { app: 'web' },
      {},
      true,
    ],
    [
      'k8s: prefix stripped',
      cnp(`endpointSelector: {matchLabels: {'k8s:app': web}}\n${allowApi}`),
      { app: 'web' },
      {},
      true,
    ],
    [
      'any: prefix stripped',
      cnp(
        `endpointSelector: {matchExpressions: [{key: 'any:app', operator: In, values: [web]}]}\n${allowApi}`,
      ),
      { app: 'web' },
      {},
      true,
    ],
    [
      'other namespace',
      cnp(`endpointSelector: {matchLabels: {app: web}}\n${allowApi}`),
      { app: 'web' },
      { namespace: 'shop' },
      false,
    ],
    [
      'clusterwide any namespace',
      ccnp(`endpointSelector: {matchLabels: {app: web}}\n${allowApi}`),
      { app: 'web' },
      { namespace: 'shop' },
      true,
    ],
    [
      'clusterwide namespace key',
      ccnp(
        `endpointSelector: {matchLabels: {'k8s:io.kubernetes.pod.namespace': shop, app: web}}\n${allowApi}`,
      ),
      { app: 'web' },
      {},
      false,
    ],
    [
      'namespace labels',
      ccnp(
        `endpointSelector: {matchLabels: {'k8s:io.cilium.k8s.namespace.labels.team': payments}}\n${allowApi}`,
      ),
      {},
      {},
      true,
    ],
    [
      'service account label',
      cnp(`endpointSelector: {matchLabels: {io.cilium.k8s.policy.serviceaccount: api}}\n${allowApi}`),
      {},
      {},
      true,
    ],
    ['nodeSelector is a host policy', ccnp(`nodeSelector: {}\n${allowApi}`), {}, {}, false],
    [
      'invalid selector',
      cnp(`endpointSelector: {matchExpressions: [{key: app, operator: In}]}\n${allowApi}`),
      { app: 'web' },
      {},
      false,
    ],
  ])('%s', (_name, yaml, labels, overrides, expected) => {
    expect(policyFrom(yaml).selects(target(labels, overrides))).toBe(expected);
  });

  it('reads every rule of specs[]', () => {
    const yaml = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c, namespace: pay}
specs:
- endpointSelector: {matchLabels: {app: web}}
  ${allowApi}
- endpointSelector: {matchLabels: {app: db}}
  ingress: [{fromEntities: [all]}]`;
    const policy = policyFrom(yaml);
    expect([
      policy.selects(target({ app: 'web' })),
      policy.selects(target({ app: 'db' })),
      policy.selects(target({ app: 'x' })),
    ]).toEqual([true, true, false]);
    expect(allowAllPaths(policy)).toEqual(['specs[1].ingress[0].fromEntities[0]']);
  });

  it('reports a rule without endpointSelector or nodeSelector', () => {
    expect(policyFrom(cnp(allowApi)).errors.map((error) => error.path)).toEqual(['spec']);
  });

  it('reports a rule with only empty rule lists, which Cilium rejects', () => {
    const policy = policyFrom(cnp('endpointSelector: {}\ningress: []\negress: []'));
    expect(policy.errors.map((error) => error.path)).toEqual(['spec']);
    expect(policy.isDefaultDeny).toBe(false);
  });
});

describe('Cilium directions and allow-list', () => {
  it.each([
    ['ingress rules', `endpointSelector: {matchLabels: {app: web}}\n${allowApi}`, true, false, true],
    [
      'ingressDeny only is not an allow-list',
      'endpointSelector: {matchLabels: {app: web}}\ningressDeny: [{fromEntities: [world]}]',
      true,
      false,
      false,
    ],
    [
      'egress only',
      'endpointSelector: {matchLabels: {app: web}}\negress: [{toEntities: [world]}]',
      false,
      true,
      false,
    ],
    [
      'empty rule turns ingress on',
      'endpointSelector: {matchLabels: {app: web}}\ningress: [{}]',
      true,
      false,
      true,
    ],
  ])('%s', (_name, spec, ingress, egress, allowList) => {
    const policy = policyFrom(cnp(spec));
    expect([policy.appliesToIngress, policy.appliesToEgress, policy.isAllowList]).toEqual([
      ingress,
      egress,
      allowList,
    ]);
  });
});

describe('Cilium allow-all detection', () => {
  it.each([
    [
      'fromEntities all',
      cnp('endpointSelector: {}\ningress: [{fromEntities: [all]}]'),
      ['spec.ingress[0].fromEntities[0]'],
    ],
    [
      'fromEntities world',
      cnp('endpointSelector: {}\ningress: [{fromEntities: [host, world]}]'),
      ['spec.ingress[0].fromEntities[1]'],
    ],
    [
      'fromEntities cluster',
      cnp('endpointSelector: {}\ningress: [{fromEntities: [cluster]}]'),
      ['spec.ingress[0].fromEntities[0]'],
    ],
    [
      'fromCIDR 0.0.0.0/0',
      cnp('endpointSelector: {}\ningress: [{fromCIDR: [0.0.0.0/0]}]'),
      ['spec.ingress[0].fromCIDR[0]'],
    ],
    [
      'fromCIDRSet ::/0',
      cnp("endpointSelector: {}\ningress: [{fromCIDRSet: [{cidr: '::/0'}]}]"),
      ['spec.ingress[0].fromCIDRSet[0].cidr'],
    ],
    [
      'ports without peers',
      cnp("endpointSelector: {}\ningress: [{toPorts: [{ports: [{port: '80'}]}]}]"),
      ['spec.ingress[0]'],
    ],
    [
      'fromEndpoints {} clusterwide',
      ccnp('endpointSelector: {}\ningress: [{fromEndpoints: [{}]}]'),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'fromEndpoints {} namespaced (own namespace)',
      cnp('endpointSelector: {}\ningress: [{fromEndpoints: [{}]}]'),
      [],
    ],
    ['empty rule allows nothing', cnp('endpointSelector: {}\ningress: [{}]'), []],
    ['named endpoints', cnp(`endpointSelector: {}\n${allowApi}`), []],
    ['narrow CIDR', cnp('endpointSelector: {}\ningress: [{fromCIDR: [10.0.0.0/8]}]'), []],
    ['ingressDeny world is a deny', cnp('endpointSelector: {}\ningressDeny: [{fromEntities: [world]}]'), []],
    [
      'egress to world is not about sources',
      cnp('endpointSelector: {}\negress: [{toEntities: [world]}]'),
      [],
    ],
  ])('%s', (_name, yaml, paths) => {
    expect(allowAllPaths(policyFrom(yaml))).toEqual(paths);
  });
});

describe('Cilium default deny', () => {
  it.each([
    ['empty rules both ways', cnp('endpointSelector: {}\ningress: [{}]\negress: [{}]'), true],
    [
      'deny rules count as rules',
      cnp('endpointSelector: {}\ningressDeny: [{fromEntities: [world]}]\negress: [{}]'),
      true,
    ],
    ['ingress only', cnp('endpointSelector: {}\ningress: [{}]'), false],
    ['empty lists are no rules', cnp('endpointSelector: {}\ningress: []\negress: []'), false],
    ['allow rules', cnp(`endpointSelector: {}\n${allowApi}\negress: [{}]`), false],
    [
      'enableDefaultDeny off',
      cnp('endpointSelector: {}\ningress: [{}]\negress: [{}]\nenableDefaultDeny: {egress: false}'),
      false,
    ],
    ['not every pod', cnp('endpointSelector: {matchLabels: {app: web}}\ningress: [{}]\negress: [{}]'), false],
    ['clusterwide {}', ccnp('endpointSelector: {}\ningress: [{}]\negress: [{}]'), true],
  ])('%s', (_name, yaml, expected) => {
    expect(policyFrom(yaml).isDefaultDeny).toBe(expected);
  });

  const notKubeSystem = ccnp(`endpointSelector:
  matchExpressions: [{key: 'k8s:io.kubernetes.pod.namespace', operator: NotIn, values: [kube-system]}]
ingress: [{}]
egress: [{}]`);
  const onlyPay = ccnp(
    `endpointSelector: {matchLabels: {'k8s:io.kubernetes.pod.namespace': pay}}\ningress: [{}]\negress: [{}]`,
  );
  const labelled = ccnp(
    `endpointSelector: {matchLabels: {io.cilium.k8s.namespace.labels.zt: 'on'}}\ningress: [{}]\negress: [{}]`,
  );
  it.each([
    ['NotIn kube-system covers pay', notKubeSystem, 'pay', {}, true],
    ['NotIn kube-system skips kube-system', notKubeSystem, 'kube-system', {}, false],
    ['matchLabels namespace covers it', onlyPay, 'pay', {}, true],
    ['matchLabels namespace skips others', onlyPay, 'shop', {}, false],
    ['namespace label hit', labelled, 'pay', { zt: 'on' }, true],
    ['namespace label miss', labelled, 'pay', {}, false],
    ['namespaced covers own', cnp('endpointSelector: {}\ningress: [{}]\negress: [{}]'), 'pay', {}, true],
    ['namespaced skips others', cnp('endpointSelector: {}\ningress: [{}]\negress: [{}]'), 'shop', {}, false],
  ])('coversNamespace: %s', (_name, yaml, namespace, labels, expected) => {
    const policy = policyFrom(yaml);
    expect(policy.isDefaultDeny && policy.selectsEveryPod && policy.coversNamespace(namespace, labels)).toBe(
      expected,
    );
  });
});
