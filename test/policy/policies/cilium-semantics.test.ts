import { describe, expect, it } from 'vitest';
import { policyFrom } from './helpers.js';

// Allow-all in disguise, Cilium. Facts (docs.cilium.io policy language; k8s/apis/cilium.io/utils):
// a namespaced policy's fromEndpoints/toEndpoints selector is limited to the policy's namespace
// unless it names io.kubernetes.pod.namespace (with k8s:, any: or no prefix) or a reserved: label;
// a cluster-wide one only requires some namespace; fromCIDR/fromCIDRSet match addresses outside
// the cluster; a rule with toPorts and no peer is L4-only (every peer); `{}` allows nothing.

function cnp(spec: string, kind = 'CiliumNetworkPolicy'): string {
  const metadata = kind === 'CiliumNetworkPolicy' ? '{name: c, namespace: pay}' : '{name: cc}';
  return `apiVersion: cilium.io/v2
kind: ${kind}
metadata: ${metadata}
spec:
${spec.replace(/^/gm, '  ')}`;
}
const ccnp = (spec: string): string => cnp(spec, 'CiliumClusterwideNetworkPolicy');
const web = 'endpointSelector: {matchLabels: {app: web}}';
const from = (rule: string) => `${web}\ningress: [${rule}]`;
const to = (rule: string) => `${web}\negress: [${rule}]`;
const paths = (findings: readonly { path: string }[] | undefined) => (findings ?? []).map((f) => f.path);

describe('Cilium: peers that admit everyone, however spelled', () => {
  it.each([
    ['fromCIDR halves', cnp(from('{fromCIDR: [0.0.0.0/1, 128.0.0.0/1]}')), ['spec.ingress[0].fromCIDR[0]']],
    [
      'fromCIDRSet halves in two rules',
      cnp(
        from(
          "{fromCIDRSet: [{cidr: '::/1'}]}, {fromCIDRSet: [{cidr: '8000::/1'}], toPorts: [{ports: [{port: '443'}]}]}",
        ),
      ),
      ['spec.ingress[0].fromCIDRSet[0].cidr'],
    ],
    [
      'CIDRs split across specs[] rules',
      `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c, namespace: pay}
specs:
- ${web}
  ingress: [{fromCIDR: [0.0.0.0/1]}]
- ${web}
  ingress: [{fromCIDR: [128.0.0.0/1]}]`,
      ['specs[0].ingress[0].fromCIDR[0]'],
    ],
    [
      'fromCIDRSet except given back by fromCIDR',
      cnp(from('{fromCIDRSet: [{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}], fromCIDR: [10.0.0.0/8]}')),
      ['spec.ingress[0].fromCIDR[0]'],
    ],
    [
      'k8s:io.kubernetes.pod.namespace Exists (lifts the namespace limit)',
      cnp(
        from(
          "{fromEndpoints: [{matchExpressions: [{key: 'k8s:io.kubernetes.pod.namespace', operator: Exists}]}]}",
        ),
      ),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'any:io.kubernetes.pod.namespace Exists',
      cnp(
        from(
          "{fromEndpoints: [{matchExpressions: [{key: 'any:io.kubernetes.pod.namespace', operator: Exists}]}]}",
        ),
      ),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'io.kubernetes.pod.namespace NotIn [kube-system]',
      cnp(
        from(
          '{fromEndpoints: [{matchExpressions: [{key: io.kubernetes.pod.namespace, operator: NotIn, values: [kube-system]}]}]}',
        ),
      ),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'reserved:world in fromEndpoints',
      cnp(from("{fromEndpoints: [{matchLabels: {'reserved:world': ''}}]}")),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'reserved:all in fromEndpoints',
      cnp(from("{fromEndpoints: [{matchLabels: {'reserved:all': ''}}]}")),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'only a reserved label excluded (every other identity)',
      cnp(from("{fromEndpoints: [{matchExpressions: [{key: 'reserved:host', operator: DoesNotExist}]}]}")),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'cluster-wide NotIn-only selector',
      ccnp(from('{fromEndpoints: [{matchExpressions: [{key: app, operator: NotIn, values: [db]}]}]}')),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'cluster-wide {} of unknown fields only',
      ccnp(from('{fromEndpoints: [{matchLabel: {app: api}}]}')),
      ['spec.ingress[0].fromEndpoints[0]'],
    ],
    [
      'fromEndpoints: [] with ports (an empty list selects no peer: L4-only)',
      cnp(from("{fromEndpoints: [], toPorts: [{ports: [{port: '80'}]}]}")),
      ['spec.ingress[0]'],
    ],
    [
      'fromEntities world-ipv4',
      cnp(from('{fromEntities: [world-ipv4]}')),
      ['spec.ingress[0].fromEntities[0]'],
    ],
  ])('ingress: %s', (_name, yaml, expected) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, paths(policy.allowAll)]).toEqual([[], expected]);
  });

  it.each([
    ['a narrow CIDR', cnp(from('{fromCIDR: [10.0.0.0/8]}'))],
    [
      '0.0.0.0/0 minus the private ranges',
      cnp(from('{fromCIDRSet: [{cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}]}')),
    ],
    ['a real app label', cnp(from('{fromEndpoints: [{matchLabels: {app: api}}]}'))],
    ['fromEndpoints {} in a namespaced policy (its own namespace)', cnp(from('{fromEndpoints: [{}]}'))],
    [
      'NotIn-only in a namespaced policy (its own namespace)',
      cnp(from('{fromEndpoints: [{matchExpressions: [{key: app, operator: NotIn, values: [db]}]}]}')),
    ],
    [
      'another namespace by name',
      cnp(from("{fromEndpoints: [{matchLabels: {'k8s:io.kubernetes.pod.namespace': shop, app: api}}]}")),
    ],
    [
      'a namespace by team label, cluster-wide',
      ccnp(from("{fromEndpoints: [{matchLabels: {'k8s:io.cilium.k8s.namespace.labels.team': payments}}]}")),
    ],
    ['reserved:host (the node only)', cnp(from("{fromEndpoints: [{matchLabels: {'reserved:host': ''}}]}"))],
    [
      'fromRequires narrowing an open selector',
      ccnp(from('{fromEndpoints: [{}], fromRequires: [{matchLabels: {env: prod}}]}')),
    ],
    ['fromEntities host and kube-apiserver', cnp(from('{fromEntities: [host, kube-apiserver]}'))],
    ['an empty rule (allows nothing)', cnp(from('{}'))],
    ['a rule of unknown fields only (pruned to {}: allows nothing)', cnp(from('{fromEndpoint: [{}]}'))],
  ])('ingress control admitted: %s', (_name, yaml) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, policy.allowAll]).toEqual([[], []]);
  });

  it.each([
    ['toEntities world', cnp(to('{toEntities: [world]}')), ['spec.egress[0].toEntities[0]']],
    ['toCIDR 0.0.0.0/0', cnp(to('{toCIDR: [0.0.0.0/0]}')), ['spec.egress[0].toCIDR[0]']],
    [
      'toPorts only (L4-only: every destination on 443)',
      cnp(to("{toPorts: [{ports: [{port: '443'}]}]}")),
      ['spec.egress[0]'],
    ],
    [
      "toFQDNs matchPattern '*' (every name the pod resolves)",
      cnp(to("{toFQDNs: [{matchPattern: '*'}]}")),
      ['spec.egress[0].toFQDNs[0].matchPattern'],
    ],
    [
      'toEndpoints with a namespace Exists',
      cnp(
        to(
          "{toEndpoints: [{matchExpressions: [{key: 'k8s:io.kubernetes.pod.namespace', operator: Exists}]}]}",
        ),
      ),
      ['spec.egress[0].toEndpoints[0]'],
    ],
    [
      'cluster-wide toEndpoints {}',
      ccnp('endpointSelector: {}\negress: [{toEndpoints: [{}]}]'),
      ['spec.egress[0].toEndpoints[0]'],
    ],
  ])('egress: %s', (_name, yaml, expected) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, paths(policy.allowAllEgress)]).toEqual([[], expected]);
  });

  it.each([
    [
      'kube-dns with DNS visibility',
      cnp(
        to(
          "{toEndpoints: [{matchLabels: {'k8s:io.kubernetes.pod.namespace': kube-system, k8s-app: kube-dns}}], toPorts: [{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*'}]}}]}",
        ),
      ),
    ],
    ['one FQDN', cnp(to('{toFQDNs: [{matchName: api.github.com}]}'))],
    ['an FQDN pattern under one domain', cnp(to("{toFQDNs: [{matchPattern: '*.github.com'}]}"))],
    ['the canonical deny-all egress: [{}]', cnp('endpointSelector: {}\negress: [{}]')],
  ])('egress control admitted: %s', (_name, yaml) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, policy.allowAllEgress]).toEqual([[], []]);
  });

  it.each([
    [
      'a CIDR with a leading-zero octet',
      cnp(from('{fromCIDR: [010.0.0.0/8]}')),
      'spec.ingress[0].fromCIDR[0]',
    ],
    [
      'a CIDRSet entry without cidr',
      cnp(from('{fromCIDRSet: [{cidrs: 10.0.0.0/8}]}')),
      'spec.ingress[0].fromCIDRSet[0]',
    ],
    [
      'an except that does not parse',
      cnp(from('{fromCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/33]}]}')),
      'spec.ingress[0].fromCIDRSet[0].except[0]',
    ],
    [
      'a fromEndpoints label key with a space',
      cnp(from("{fromEndpoints: [{matchLabels: {'k8s:app name': x}}]}")),
      'spec.ingress[0].fromEndpoints[0].matchLabels.k8s:app name',
    ],
    [
      'an endpointSelector value over 63 characters',
      cnp(`endpointSelector: {matchLabels: {app: ${'x'.repeat(64)}}}\ningress: [{}]`),
      'spec.endpointSelector.matchLabels.app',
    ],
  ])('invalid-object: %s', (_name, yaml, path) => {
    expect(policyFrom(yaml).errors.map((error) => error.path)).toEqual([path]);
  });

  it('accepts reserved: and k8s: keys, whose label part is checked (Cilium strips the source)', () => {
    const policy = policyFrom(
      cnp(
        "endpointSelector: {matchLabels: {'reserved:host': ''}}\ningress: [{fromEndpoints: [{matchLabels: {'k8s:app': api}}]}]",
      ),
    );
    expect(policy.errors).toEqual([]);
  });
});

describe('Cilium: written for a workload, or for no one in particular', () => {
  it.each([
    ['endpointSelector {}', cnp('endpointSelector: {}\ningress: [{}]'), true],
    [
      'NotIn only',
      cnp('endpointSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}\ningress: [{}]'),
      true,
    ],
    [
      'the namespace key only',
      ccnp("endpointSelector: {matchLabels: {'k8s:io.kubernetes.pod.namespace': pay}}\ningress: [{}]"),
      true,
    ],
    ['app=web', cnp(`${web}\ningress: [{}]`), false],
    [
      'one ServiceAccount',
      cnp('endpointSelector: {matchLabels: {io.cilium.k8s.policy.serviceaccount: api}}\ningress: [{}]'),
      false,
    ],
  ])('%s → %s', (_name, yaml, expected) => {
    expect(policyFrom(yaml).selectsUnlabelledPods).toBe(expected);
  });
});
