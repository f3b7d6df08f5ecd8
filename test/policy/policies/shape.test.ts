import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import { policyShapeErrors } from '../../../src/policy/policies/shape.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { defaultDeny, namespace, viewOf } from '../helpers.js';

// Issue 16 item 4, found again by `npm run fuzz` after the rebase: a policy whose spec, or whose
// rule list, held a value of the wrong type was read as a policy without rules and allowed. The
// API server's decoder (NetworkPolicy) and structural schemas (CRDs) refuse such an object, so
// `check` and /validate must not pass it.

const verdict = (object: KubeObject): string[] =>
  evaluate(
    { operation: 'CREATE', object, user: { username: 'dev', groups: [] } },
    viewOf([namespace('shop')], [defaultDeny()]),
    DEFAULT_CONFIG,
  ).violations.map((violation) => `${violation.rule} ${violation.path}`);

const k8s = (spec: unknown): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'open', namespace: 'shop' },
  spec,
});
const allowAll = {
  podSelector: { matchLabels: { app: 'web' } },
  ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }],
};
const calico = (spec: unknown, kind = 'NetworkPolicy'): KubeObject => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: kind === 'NetworkPolicy' ? { name: 'open', namespace: 'shop' } : { name: 'open' },
  spec,
});
const calicoOpen = { selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Allow' }] };
const cilium = (spec: unknown): KubeObject => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'c', namespace: 'shop' },
  spec,
});
const istio = (spec: unknown): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'i', namespace: 'shop' },
  spec,
});

describe('policy fields of the wrong type are invalid-object', () => {
  it.each<[string, KubeObject, string]>([
    // The fuzz's cases: spec "", 0, true or a list; a rule list as a string, number or boolean.
    ['NetworkPolicy spec ""', k8s(''), 'spec'],
    ['NetworkPolicy spec 0', k8s(0), 'spec'],
    ['NetworkPolicy spec as a list', k8s([1, 'x']), 'spec'],
    ['NetworkPolicy ingress "[0]"', k8s({ ...allowAll, ingress: '[0]' }), 'spec.ingress'],
    ['NetworkPolicy egress true', k8s({ ...allowAll, egress: true }), 'spec.egress'],
    ['NetworkPolicy policyTypes "Ingress"', k8s({ ...allowAll, policyTypes: 'Ingress' }), 'spec.policyTypes'],
    [
      'NetworkPolicy ports as an object',
      k8s({ ...allowAll, ingress: [{ ports: { port: 80 } }] }),
      'spec.ingress[0].ports',
    ],
    [
      'NetworkPolicy port true',
      k8s({ ...allowAll, ingress: [{ ports: [{ port: true }] }] }),
      'spec.ingress[0].ports[0].port',
    ],
    [
      'NetworkPolicy endPort "90"',
      k8s({ ...allowAll, ingress: [{ ports: [{ endPort: '90' }] }] }),
      'spec.ingress[0].ports[0].endPort',
    ],
    ['Calico spec true', calico(true), 'spec'],
    ['Calico ingress 1650006006', calico({ ...calicoOpen, ingress: 1650006006 }), 'spec.ingress'],
    ['Calico ingress true', calico({ ...calicoOpen, ingress: true }), 'spec.ingress'],
    [
      'GlobalNetworkPolicy types "Ingress"',
      calico({ ...calicoOpen, types: 'Ingress' }, 'GlobalNetworkPolicy'),
      'spec.types',
    ],
    ['Calico action 7', calico({ ...calicoOpen, ingress: [{ action: 7 }] }), 'spec.ingress[0].action'],
    [
      'Calico source nets "10.0.0.0/8"',
      calico({ ...calicoOpen, ingress: [{ action: 'Allow', source: { nets: '10.0.0.0/8' } }] }),
      'spec.ingress[0].source.nets',
    ],
    ['Cilium ingress "x"', cilium({ endpointSelector: {}, ingress: 'x' }), 'spec.ingress'],
    [
      'Cilium fromCIDR "0.0.0.0/0"',
      cilium({ endpointSelector: {}, ingress: [{ fromCIDR: '0.0.0.0/0' }] }),
      'spec.ingress[0].fromCIDR',
    ],
    ['Istio rules {}', istio({ rules: {} }), 'spec.rules'],
    [
      'Istio principals "*"',
      istio({ rules: [{ from: [{ source: { principals: '*' } }] }] }),
      'spec.rules[0].from[0].source.principals',
    ],
  ])('%s', (_name, object, path) => {
    expect(verdict(object)).toContain(`invalid-object ${path}`);
    expect(policyShapeErrors(object).map((error) => error.path)).toEqual([path]);
  });

  it('names the type it found and the one the API expects', () => {
    expect(policyShapeErrors(k8s({ ...allowAll, ingress: '[0]' }))).toEqual([
      { path: 'spec.ingress', message: 'ingress is a string ("[0]"), not a list' },
    ]);
  });

  it('reports at most 20 errors for a huge ill-typed list', () => {
    const object = calico({ ...calicoOpen, types: new Array<number>(300_000).fill(1) });
    expect(policyShapeErrors(object)).toHaveLength(20);
  });
});

describe('controls: what the API server accepts stays accepted', () => {
  it.each<[string, KubeObject]>([
    // Go's decoder reads null as unset: no rules, a policy that admits nothing.
    ['NetworkPolicy spec null (an empty spec)', k8s(null)],
    ['NetworkPolicy ingress null', k8s({ ...allowAll, ingress: null })],
    ['Calico ingress null', calico({ ...calicoOpen, ingress: null })],
    [
      'NetworkPolicy named ports and numbers',
      k8s({ ...allowAll, ingress: [{ ports: [{ port: 'http' }, { port: 80, endPort: 90 }] }] }),
    ],
    [
      'Calico protocol as a number, ports as names and numbers',
      calico({
        ...calicoOpen,
        ingress: [{ action: 'Allow', protocol: 6, destination: { ports: [80, 'http', '8000:8080'] } }],
      }),
    ],
    ['unknown fields are not checked (the API server prunes them)', k8s({ ...allowAll, ingresss: 'x' })],
  ])('%s', (_name, object) => {
    expect(policyShapeErrors(object)).toEqual([]);
  });

  it('allows a NetworkPolicy whose ingress is null: it admits nothing', () => {
    expect(verdict(k8s({ ...allowAll, ingress: null }))).toEqual([]);
  });
});
