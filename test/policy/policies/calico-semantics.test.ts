import { describe, expect, it } from 'vitest';
import { policyFrom } from './helpers.js';

// Allow-all in disguise, Calico (projectcalico.org/v3 and crd.projectcalico.org/v1). Facts from
// Calico's policy reference: EntityRule fields are ANDed; nets/notNets test addresses; selectors
// pick workload endpoints, whose labels include projectcalico.org/namespace, projectcalico.org/
// orchestrator=k8s and the namespace's labels as pcns.*; a namespaced policy's selectors stay in
// its namespace unless a namespaceSelector widens them; all() matches every endpoint.

function calico(spec: string, kind: 'NetworkPolicy' | 'GlobalNetworkPolicy' = 'NetworkPolicy'): string {
  const metadata = kind === 'NetworkPolicy' ? '{name: p, namespace: pay}' : '{name: g}';
  return `apiVersion: projectcalico.org/v3
kind: ${kind}
metadata: ${metadata}
spec:
${spec.replace(/^/gm, '  ')}`;
}
const gnp = (spec: string): string => calico(spec, 'GlobalNetworkPolicy');
const web = "selector: app == 'web'";
const allow = (source: string) => `${web}\ningress: [{action: Allow, source: ${source}}]`;
const allowOut = (destination: string) =>
  `${web}\ntypes: [Egress]\negress: [{action: Allow, destination: ${destination}}]`;
const paths = (findings: readonly { path: string }[] | undefined) => (findings ?? []).map((f) => f.path);

describe('Calico: sources that admit everyone, however spelled', () => {
  it.each([
    [
      'nets 0.0.0.0/1 + 128.0.0.0/1 in one source',
      calico(allow('{nets: [0.0.0.0/1, 128.0.0.0/1]}')),
      ['spec.ingress[0].source.nets[0]'],
    ],
    [
      'nets halves across two Allow rules',
      calico(
        `${web}\ningress: [{action: Allow, source: {nets: [0.0.0.0/1]}}, {action: Allow, protocol: TCP, source: {nets: [128.0.0.0/1]}}]`,
      ),
      ['spec.ingress[0].source.nets[0]'],
    ],
    [
      'notNets alone (every address but those: all of IPv6)',
      calico(allow('{notNets: [10.0.0.0/8]}')),
      ['spec.ingress[0].source'],
    ],
    [
      'notNets alone limited to IPv6 (ipVersion 6)',
      calico(`${web}\ningress: [{action: Allow, ipVersion: 6, source: {notNets: ['fd00::/8']}}]`),
      [],
    ],
    [
      'a bare address net (ParseCIDROrIP) beside 0.0.0.0/0',
      calico(allow('{nets: [10.0.0.1, 0.0.0.0/0]}')),
      ['spec.ingress[0].source.nets[1]'],
    ],
    [
      'namespaceSelector all() with selector all()',
      calico(allow('{namespaceSelector: all(), selector: all()}')),
      ['spec.ingress[0].source.namespaceSelector'],
    ],
    [
      'namespaceSelector has(projectcalico.org/name) (every namespace carries it)',
      calico(allow('{namespaceSelector: has(projectcalico.org/name)}')),
      ['spec.ingress[0].source.namespaceSelector'],
    ],
    [
      'namespaceSelector that only excludes',
      calico(allow('{namespaceSelector: "!has(quarantine)"}')),
      ['spec.ingress[0].source.namespaceSelector'],
    ],
    [
      'GNP selector has(projectcalico.org/namespace)',
      gnp(allow('{selector: has(projectcalico.org/namespace)}')),
      ['spec.ingress[0].source.selector'],
    ],
    [
      "GNP selector projectcalico.org/orchestrator == 'k8s'",
      gnp(allow('{selector: "projectcalico.org/orchestrator == \'k8s\'"}')),
      ['spec.ingress[0].source.selector'],
    ],
    [
      "GNP selector app != 'db' (every endpoint not labelled db)",
      gnp(allow('{selector: "app != \'db\'"}')),
      ['spec.ingress[0].source.selector'],
    ],
    [
      'GNP selector all() with serviceAccounts selector all()',
      gnp(allow('{selector: all(), serviceAccounts: {selector: all()}}')),
      ['spec.ingress[0].source.selector'],
    ],
    [
      'only notSelector (addresses outside the cluster pass it)',
      calico(allow('{notSelector: "app == \'bad\'"}')),
      ['spec.ingress[0].source'],
    ],
    // Unknown fields are dropped (Calico's API server and structural CRD schemas prune them).
    ['a source of unknown fields only', calico(allow('{selectr: "app == \'api\'"}')), ['spec.ingress[0]']],
    [
      'serviceAccounts of unknown fields only (names misspelled)',
      calico(allow('{serviceAccounts: {nmes: [api]}}')),
      ['spec.ingress[0]'],
    ],
  ])('%s', (_name, yaml, expected) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, paths(policy.allowAll)]).toEqual([[], expected]);
  });

  it.each([
    ['a narrow net', calico(allow('{nets: [10.0.0.0/8]}'))],
    [
      '0.0.0.0/0 minus the private ranges (IPv4 only)',
      calico(allow('{nets: [0.0.0.0/0], notNets: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}')),
    ],
    [
      'notNets with ipVersion 4 (not all of IPv4)',
      calico(`${web}\ningress: [{action: Allow, ipVersion: 4, source: {notNets: [10.0.0.0/8]}}]`),
    ],
    ['a real app label', calico(allow('{selector: "app == \'api\'"}'))],
    ['selector all() in a namespaced policy (its own namespace)', calico(allow('{selector: all()}'))],
    ['namespaceSelector by a team label', calico(allow('{namespaceSelector: "team == \'payments\'"}'))],
    [
      'namespaceSelector all() narrowed by an app label',
      calico(allow('{namespaceSelector: all(), selector: "app == \'api\'"}')),
    ],
    ['namespaceSelector global() (non-namespaced endpoints)', calico(allow('{namespaceSelector: global()}'))],
    ['ServiceAccounts by name', calico(allow('{serviceAccounts: {names: [api]}}'))],
    ['every endpoint but the nets are narrow', gnp(allow('{selector: all(), nets: [10.0.0.0/8]}'))],
    ['Deny rules admit nothing', calico(`${web}\ningress: [{action: Deny}]`)],
  ])('control admitted: %s', (_name, yaml) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, policy.allowAll]).toEqual([[], []]);
  });

  it.each([
    [
      'Allow without destination',
      calico(`${web}\ntypes: [Egress]\negress: [{action: Allow}]`),
      ['spec.egress[0]'],
    ],
    [
      'destination nets 0.0.0.0/0',
      calico(allowOut('{nets: [0.0.0.0/0]}')),
      ['spec.egress[0].destination.nets[0]'],
    ],
    [
      'destination namespaceSelector all()',
      calico(allowOut('{namespaceSelector: all()}')),
      ['spec.egress[0].destination.namespaceSelector'],
    ],
    [
      'a policy selecting every pod (all())',
      calico('selector: all()\ntypes: [Egress]\negress: [{action: Allow, protocol: UDP}]'),
      ['spec.egress[0]'],
    ],
  ])('egress: %s', (_name, yaml, expected) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, paths(policy.allowAllEgress)]).toEqual([[], expected]);
  });

  it.each([
    [
      'the internet without the private ranges',
      calico(allowOut('{nets: [0.0.0.0/0], notNets: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}')),
    ],
    [
      'kube-dns by namespace and label',
      calico(
        allowOut(
          '{namespaceSelector: "projectcalico.org/name == \'kube-system\'", selector: "k8s-app == \'kube-dns\'"}',
        ),
      ),
    ],
  ])('egress control admitted: %s', (_name, yaml) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, policy.allowAllEgress]).toEqual([[], []]);
  });

  it.each([
    ['a net with a space', calico(allow("{nets: [' 10.0.0.0/8']}")), 'spec.ingress[0].source.nets[0]'],
    [
      'a notNet with a zero-padded octet',
      calico(allow('{notNets: [10.01.0.0/16]}')),
      'spec.ingress[0].source.notNets[0]',
    ],
    [
      'ipVersion 5',
      calico(`${web}\ningress: [{action: Allow, ipVersion: 5, source: {nets: [10.0.0.0/8]}}]`),
      'spec.ingress[0].ipVersion',
    ],
    [
      'a Deny rule’s bad net too',
      calico(`${web}\ningress: [{action: Deny, source: {nets: [10.0.0.0/33]}}]`),
      'spec.ingress[0].source.nets[0]',
    ],
  ])('invalid-object: %s', (_name, yaml, path) => {
    expect(policyFrom(yaml).errors.map((error) => error.path)).toEqual([path]);
  });
});

describe('Calico: written for a workload, or for no one in particular', () => {
  it.each([
    ['all()', calico('selector: all()'), true],
    ["app != 'db'", calico('selector: "app != \'db\'"'), true],
    ['!has(canary)', calico("selector: '!has(canary)'"), true],
    ["GNP pcns.team == 'pay' (every pod of such a namespace)", gnp('selector: "pcns.team == \'pay\'"'), true],
    ['GNP namespaceSelector only', gnp('namespaceSelector: "team == \'pay\'"'), true],
    ["app == 'web'", calico(web), false],
    ['has(app)', calico('selector: has(app)'), false],
    [
      "projectcalico.org/serviceaccount == 'api' (one identity)",
      calico('selector: "projectcalico.org/serviceaccount == \'api\'"'),
      false,
    ],
    ["serviceAccountSelector role == 'x'", calico('serviceAccountSelector: "role == \'x\'"'), false],
  ])('%s → %s', (_name, yaml, expected) => {
    expect(policyFrom(yaml).selectsUnlabelledPods).toBe(expected);
  });
});
