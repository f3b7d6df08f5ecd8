import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { buildDesiredPolicies } from '../../../src/policy/desired/index.js';
import { normalizePolicy } from '../../../src/policy/policies/index.js';
import { defaultDenyProtectedRule } from '../../../src/policy/rules/default-deny-protected.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import { EMPTY_VIEW } from './context.js';
import type { KubeObject, NormalizedPolicy, Operation, UserInfo } from '../../../src/policy/types.js';

function networkPolicy(
  name: string,
  spec: Record<string, unknown>,
  options: { apiVersion?: string; namespace?: string } = {},
): KubeObject {
  return {
    apiVersion: options.apiVersion ?? 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: options.namespace ?? 'shop' },
    spec,
  };
}

const denyAll = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };
const defaultDeny = networkPolicy('ztgate-default-deny', denyAll);
// ztgate's own DNS allowance, from the same builder the reconciler uses.
const allowDns = buildDesiredPolicies(DEFAULT_CONFIG, 'shop')[1] as unknown as KubeObject;
const allowMesh = networkPolicy('ztgate-allow-mesh', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [{ ports: [{ port: 15012 }] }],
});
const builtin: ZtgateConfig = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'builtin' } };
const developer: UserInfo = { username: 'dev@example.com', groups: ['developers', 'system:authenticated'] };
const admin: UserInfo = { username: 'root@example.com', groups: ['system:masters'] };

/** A normalized policy whose only meaningful field here is isDefaultDeny (the rule reads nothing else). */
function normalized(source: KubeObject, isDefaultDeny: boolean): NormalizedPolicy {
  return {
    flavour: 'kubernetes',
    apiVersion: source.apiVersion ?? '',
    kind: 'NetworkPolicy',
    name: source.metadata?.name ?? '',
    namespace: source.metadata?.namespace,
    clusterWide: false,
    selects: () => true,
    selectsEveryPod: true,
    appliesToIngress: true,
    appliesToEgress: true,
    ingressRuleCount: 0,
    egressRuleCount: 0,
    isAllowList: false,
    isDefaultDeny,
    coversNamespace: () => true,
    allowAll: [],
    errors: [],
    source,
  };
}

interface Case {
  operation: Extract<Operation, 'CREATE' | 'UPDATE' | 'DELETE'>;
  old: KubeObject;
  next?: KubeObject;
  user?: UserInfo;
  config?: ZtgateConfig;
  policy?: NormalizedPolicy;
}

function check({
  operation,
  old,
  next,
  user = developer,
  config = DEFAULT_CONFIG,
  // As the engine gives it: the new object normalized by the NetworkPolicy adapter.
  policy = next === undefined ? undefined : normalizePolicy(next, { istioRootNamespace: 'istio-system' }),
}: Case): { rule: string; path: string; value: unknown }[] {
  const context: RuleContext = {
    input: {
      operation,
      object: operation === 'DELETE' ? undefined : next,
      oldObject: operation === 'CREATE' ? undefined : old,
      namespace: 'shop',
      user,
    },
    view: EMPTY_VIEW,
    config,
    workload: undefined,
    policy,
    oldPolicy: undefined,
  };
  return defaultDenyProtectedRule.check(context).map(({ rule, path, value }) => ({ rule, path, value }));
}

const withAdminUser: ZtgateConfig = { ...DEFAULT_CONFIG, admins: { groups: [], users: ['alice'] } };
const dnsOff: ZtgateConfig = {
  ...DEFAULT_CONFIG,
  defaultDeny: { ...DEFAULT_CONFIG.defaultDeny, dns: { ...DEFAULT_CONFIG.defaultDeny.dns, enabled: false } },
};

describe('default-deny-protected', () => {
  it('judges policies on CREATE, UPDATE and DELETE', () => {
    expect({
      appliesTo: defaultDenyProtectedRule.appliesTo,
      operations: defaultDenyProtectedRule.operations,
    }).toEqual({
      appliesTo: 'policy',
      operations: ['CREATE', 'UPDATE', 'DELETE'],
    });
  });

  const deniedDelete = {
    rule: 'default-deny-protected',
    path: 'metadata.name',
    value: 'ztgate-default-deny',
  };
  const deniedDns = { rule: 'default-deny-protected', path: 'metadata.name', value: 'ztgate-allow-dns' };
  const deniedUpdate = { rule: 'default-deny-protected', path: 'spec', value: 'ztgate-default-deny' };
  const withIngress = networkPolicy('ztgate-default-deny', { ...denyAll, ingress: [{}] });

  it.each<[string, Case, unknown[]]>([
    ['a developer deleting the default deny', { operation: 'DELETE', old: defaultDeny }, [deniedDelete]],
    ['a developer deleting the DNS allowance', { operation: 'DELETE', old: allowDns }, [deniedDns]],
    [
      "a developer deleting the mesh companion (the proxies' way to istiod under the deny)",
      { operation: 'DELETE', old: allowMesh },
      [{ rule: 'default-deny-protected', path: 'metadata.name', value: 'ztgate-allow-mesh' }],
    ],
    [
      'a developer deleting the mesh companion under ambient (the probes)',
      {
        operation: 'DELETE',
        old: allowMesh,
        config: { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'istio-ambient' } },
      },
      [{ rule: 'default-deny-protected', path: 'metadata.name', value: 'ztgate-allow-mesh' }],
    ],
    [
      'a developer adding an allow-all ingress rule',
      { operation: 'UPDATE', old: defaultDeny, next: withIngress },
      [deniedUpdate],
    ],
    [
      'a developer dropping Egress from policyTypes',
      {
        operation: 'UPDATE',
        old: defaultDeny,
        next: networkPolicy('ztgate-default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      },
      [deniedUpdate],
    ],
    [
      'a developer narrowing the pod selector',
      {
        operation: 'UPDATE',
        old: defaultDeny,
        next: networkPolicy('ztgate-default-deny', {
          ...denyAll,
          podSelector: { matchLabels: { app: 'x' } },
        }),
      },
      [deniedUpdate],
    ],
    [
      'an update the normalized policy says no longer denies',
      { operation: 'UPDATE', old: defaultDeny, next: defaultDeny, policy: normalized(defaultDeny, false) },
      [deniedUpdate],
    ],
    [
      'a user with no groups',
      { operation: 'DELETE', old: defaultDeny, user: { username: 'x' } },
      [deniedDelete],
    ],
    ['an anonymous request', { operation: 'DELETE', old: defaultDeny, user: {} }, [deniedDelete]],
  ])('refuses %s', (_name, input, expected) => {
    expect(check(input)).toEqual(expected);
  });

  it.each<[string, Case]>([
    ['an admin group deleting it', { operation: 'DELETE', old: defaultDeny, user: admin }],
    [
      'an admin group weakening it',
      { operation: 'UPDATE', old: defaultDeny, next: withIngress, user: admin },
    ],
    [
      'an admin user deleting it',
      { operation: 'DELETE', old: defaultDeny, user: { username: 'alice' }, config: withAdminUser },
    ],
    [
      'the namespace controller emptying a terminating namespace',
      {
        operation: 'DELETE',
        old: defaultDeny,
        user: { username: 'system:serviceaccount:kube-system:namespace-controller' },
      },
    ],
    [
      'an update that keeps the default deny (a new label)',
      {
        operation: 'UPDATE',
        old: defaultDeny,
        next: {
          ...networkPolicy('ztgate-default-deny', { ...denyAll, ingress: [], egress: [] }),
          metadata: { name: 'ztgate-default-deny', labels: { a: 'b' } },
        },
      },
    ],
    [
      'an update the normalized policy says still denies',
      { operation: 'UPDATE', old: defaultDeny, next: withIngress, policy: normalized(withIngress, true) },
    ],
    [
      'a developer re-applying the DNS allowance unchanged',
      { operation: 'UPDATE', old: allowDns, next: allowDns },
    ],
    [
      'deleting the DNS allowance when ztgate manages none',
      { operation: 'DELETE', old: allowDns, config: dnsOff },
    ],
    ['deleting another NetworkPolicy', { operation: 'DELETE', old: networkPolicy('allow-web', denyAll) }],
    ['an admin deleting the mesh companion', { operation: 'DELETE', old: allowMesh, user: admin }],
    [
      'deleting a policy of that name under the builtin injector (ztgate creates none)',
      { operation: 'DELETE', old: allowMesh, config: builtin },
    ],
    [
      'deleting a Calico NetworkPolicy of the same name',
      {
        operation: 'DELETE',
        old: networkPolicy('ztgate-default-deny', {}, { apiVersion: 'projectcalico.org/v3' }),
      },
    ],
    [
      'deleting it in an exempt namespace',
      {
        operation: 'DELETE',
        old: networkPolicy('ztgate-default-deny', denyAll, { namespace: 'kube-system' }),
      },
    ],
    ['a DELETE without oldObject (nothing to judge)', { operation: 'DELETE', old: { kind: 'Namespace' } }],
  ])('allows %s', (_name, input) => {
    expect(check(input)).toEqual([]);
  });

  it('says why and names the admin groups', () => {
    const context: RuleContext = {
      input: { operation: 'DELETE', object: undefined, oldObject: defaultDeny, user: developer },
      view: EMPTY_VIEW,
      config: { ...DEFAULT_CONFIG, admins: { groups: ['platform-admins', 'sec-team'], users: ['bob'] } },
      workload: undefined,
      policy: undefined,
      oldPolicy: undefined,
    };
    const [violation] = defaultDenyProtectedRule.check(context);
    expect(violation?.message).toContain('default deny');
    expect(violation?.message).toContain('platform-admins, sec-team');
    expect(violation?.message).toContain('bob');
  });

  it('says so when no admin is configured', () => {
    const context: RuleContext = {
      input: { operation: 'DELETE', object: undefined, oldObject: defaultDeny, user: developer },
      view: EMPTY_VIEW,
      config: { ...DEFAULT_CONFIG, admins: { groups: [], users: [] } },
      workload: undefined,
      policy: undefined,
      oldPolicy: undefined,
    };
    const [violation] = defaultDenyProtectedRule.check(context);
    expect(violation?.rule).toBe('default-deny-protected');
    expect(violation?.message).toContain('no one');
  });
});

describe('default-deny-protected: which edits keep the default deny', () => {
  const deniedUpdate = { rule: 'default-deny-protected', path: 'spec', value: 'ztgate-default-deny' };
  it.each([
    ['podSelector {} and both types', denyAll, true],
    ['empty rule arrays', { ...denyAll, ingress: [], egress: [] }, true],
    ['empty matchLabels', { ...denyAll, podSelector: { matchLabels: {} } }, true],
    // An omitted podSelector decodes to the empty selector: every pod (as the API server reads it).
    ['no podSelector', { policyTypes: ['Ingress', 'Egress'] }, true],
    ['an ingress rule', { ...denyAll, ingress: [{}] }, false],
    ['an egress rule', { ...denyAll, egress: [{ to: [] }] }, false],
    ['Ingress only', { podSelector: {}, policyTypes: ['Ingress'] }, false],
    [
      'a matchExpressions selector',
      { ...denyAll, podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } },
      false,
    ],
  ])('a developer’s edit to %s: still a deny → %s', (_name, spec, stillDenies) => {
    const next = networkPolicy('ztgate-default-deny', spec);
    expect(check({ operation: 'UPDATE', old: defaultDeny, next })).toEqual(stillDenies ? [] : [deniedUpdate]);
  });

  it('refuses an edit the adapter could not read as a policy (no normalized policy)', () => {
    const next = networkPolicy('ztgate-default-deny', denyAll);
    const context: RuleContext = {
      input: {
        operation: 'UPDATE',
        object: next,
        oldObject: defaultDeny,
        namespace: 'shop',
        user: developer,
      },
      view: EMPTY_VIEW,
      config: DEFAULT_CONFIG,
      workload: undefined,
      policy: undefined,
      oldPolicy: undefined,
    };
    expect(defaultDenyProtectedRule.check(context).map((v) => v.path)).toEqual(['spec']);
  });
});

describe('default-deny-protected: the DNS allowance is judged by what an edit lets through', () => {
  const dnsSpec = allowDns.spec as Record<string, unknown>;
  const [dnsRule] = dnsSpec.egress as Record<string, unknown>[];
  const kubeDns = (dnsRule?.to as Record<string, unknown>[])[0] as Record<string, unknown>;
  const withSpec = (spec: Record<string, unknown>): KubeObject => networkPolicy('ztgate-allow-dns', spec);
  const withRule = (rule: Record<string, unknown>): KubeObject => withSpec({ ...dnsSpec, egress: [rule] });
  const denied = (path: string) => [{ rule: 'default-deny-protected', path, value: 'ztgate-allow-dns' }];

  // Each widening cites what Kubernetes does with it (NetworkPolicy API reference).
  it.each<[string, KubeObject, string]>([
    [
      'egress: [{}] (an empty rule matches every destination and port)',
      withSpec({ ...dnsSpec, egress: [{}] }),
      'spec.egress[0]',
    ],
    [
      'a rule added beside ztgate’s (rules are ORed: the new one lets more through)',
      withSpec({ ...dnsSpec, egress: [dnsRule, { to: [{ podSelector: {} }], ports: [{ port: 5432 }] }] }),
      'spec.egress[1].to[0]',
    ],
    [
      'no ports (an absent ports list matches every port)',
      withRule({ to: [kubeDns] }),
      'spec.egress[0].to[0]',
    ],
    [
      'another port',
      withRule({ ...dnsRule, ports: [{ protocol: 'UDP', port: 5353 }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'a port range over 53 (endPort)',
      withRule({ ...dnsRule, ports: [{ protocol: 'UDP', port: 53, endPort: 60 }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'another protocol (SCTP)',
      withRule({ ...dnsRule, ports: [{ protocol: 'SCTP', port: 53 }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'a named port (resolved per pod: not provably 53)',
      withRule({ ...dnsRule, ports: [{ protocol: 'UDP', port: 'dns' }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'every pod of kube-system (podSelector {} selects every pod)',
      withRule({ ...dnsRule, to: [{ ...kubeDns, podSelector: {} }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'kube-dns pods of every namespace (namespaceSelector {} selects every namespace)',
      withRule({ ...dnsRule, to: [{ ...kubeDns, namespaceSelector: {} }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'the namespace selector only excluding (NotIn matches every namespace not named)',
      withRule({
        ...dnsRule,
        to: [
          {
            ...kubeDns,
            namespaceSelector: {
              matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }],
            },
          },
        ],
      }),
      'spec.egress[0].to[0]',
    ],
    [
      'kube-dns pods in the policy’s own namespace (a peer without namespaceSelector)',
      withRule({ ...dnsRule, to: [{ podSelector: kubeDns.podSelector }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'an ipBlock to anywhere on 53 (ipBlock peers are addresses, not kube-dns pods)',
      withRule({ ...dnsRule, to: [kubeDns, { ipBlock: { cidr: '8.8.8.8/32' } }] }),
      'spec.egress[0].to[1]',
    ],
    [
      'an ingress rule (ztgate’s version allows no ingress)',
      withSpec({
        ...dnsSpec,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: {} }] }],
      }),
      'spec.ingress[0].from[0]',
    ],
  ])('refuses a developer widening it: %s', (_name, next, path) => {
    expect(check({ operation: 'UPDATE', old: allowDns, next })).toEqual(denied(path));
  });

  it('refuses a developer creating it wider than ztgate’s version (the reconciler would keep it)', () => {
    expect(
      check({ operation: 'CREATE', old: allowDns, next: withSpec({ ...dnsSpec, egress: [{}] }) }),
    ).toEqual(denied('spec.egress[0]'));
  });

  it.each<[string, KubeObject]>([
    ['only UDP kept (fewer ports)', withRule({ ...dnsRule, ports: [{ protocol: 'UDP', port: 53 }] })],
    [
      'ports reordered, protocol TCP left to the default',
      withRule({ ...dnsRule, ports: [{ port: 53 }, { protocol: 'UDP', port: 53 }] }),
    ],
    [
      'peer written with its namespace by name as an In list',
      withRule({
        ...dnsRule,
        to: [
          {
            ...kubeDns,
            namespaceSelector: {
              matchExpressions: [
                { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['kube-system'] },
              ],
            },
          },
        ],
      }),
    ],
    [
      'a narrower peer (an extra pod label)',
      withRule({
        ...dnsRule,
        to: [{ ...kubeDns, podSelector: { matchLabels: { 'k8s-app': 'kube-dns', zone: 'a' } } }],
      }),
    ],
    [
      'fewer pods selected (podSelector app=web)',
      withSpec({ ...dnsSpec, podSelector: { matchLabels: { app: 'web' } } }),
    ],
    ['no rules at all (allows nothing)', withSpec({ podSelector: {}, policyTypes: ['Egress'] })],
    [
      'Egress dropped from policyTypes (its rules then allow nothing)',
      withSpec({ ...dnsSpec, policyTypes: ['Ingress'] }),
    ],
  ])('allows a developer narrowing it: %s', (_name, next) => {
    expect(check({ operation: 'UPDATE', old: allowDns, next })).toEqual([]);
  });

  it('allows an admin to widen it', () => {
    expect(
      check({
        operation: 'UPDATE',
        old: allowDns,
        next: withSpec({ ...dnsSpec, egress: [{}] }),
        user: admin,
      }),
    ).toEqual([]);
  });

  it('names what the edit lets through and gives ztgate’s version as the fix', () => {
    const context: RuleContext = {
      input: {
        operation: 'UPDATE',
        object: withRule({ ...dnsRule, ports: [{ protocol: 'UDP', port: 5353 }] }),
        oldObject: allowDns,
        namespace: 'shop',
        user: developer,
      },
      view: EMPTY_VIEW,
      config: DEFAULT_CONFIG,
      workload: undefined,
      policy: undefined,
      oldPolicy: undefined,
    };
    const [violation] = defaultDenyProtectedRule.check(context);
    expect(violation?.message).toContain('5353/UDP');
    expect(violation?.fix).toContain('name: ztgate-allow-dns');
    expect(violation?.fix).toContain('k8s-app: kube-dns');
  });

  it('protects a companion the config adds under another name (built from config, not by name)', () => {
    const renamed: ZtgateConfig = {
      ...DEFAULT_CONFIG,
      defaultDeny: {
        ...DEFAULT_CONFIG.defaultDeny,
        dns: { ...DEFAULT_CONFIG.defaultDeny.dns, policyName: 'dns-out' },
      },
    };
    const next = networkPolicy('dns-out', { ...dnsSpec, egress: [{}] });
    const old = networkPolicy('dns-out', dnsSpec);
    expect(check({ operation: 'UPDATE', old, next, config: renamed }).map((v) => v.path)).toEqual([
      'spec.egress[0]',
    ]);
    expect(
      check({
        operation: 'UPDATE',
        old: allowDns,
        next: withSpec({ ...dnsSpec, egress: [{}] }),
        config: renamed,
      }),
    ).toEqual([]);
  });
});

// The mesh companion comes from the same builder as the DNS allowance, so it is judged the same
// way: by what an edit lets through compared with ztgate's version, per provider.
describe('default-deny-protected: the mesh companion is judged by what an edit lets through', () => {
  const ambient: ZtgateConfig = {
    ...DEFAULT_CONFIG,
    mesh: { ...DEFAULT_CONFIG.mesh, provider: 'istio-ambient' },
  };
  const linkerd: ZtgateConfig = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'linkerd' } };
  const companion = (config: ZtgateConfig): KubeObject => {
    const found = buildDesiredPolicies(config, 'shop').find((p) => p.metadata.name === 'ztgate-allow-mesh');
    if (found === undefined) throw new Error('no mesh companion');
    return found as unknown as KubeObject;
  };
  const specOf = (config: ZtgateConfig) => companion(config).spec as Record<string, unknown>;
  const withSpec = (spec: Record<string, unknown>): KubeObject => networkPolicy('ztgate-allow-mesh', spec);
  const denied = (path: string) => [{ rule: 'default-deny-protected', path, value: 'ztgate-allow-mesh' }];
  const istiodRule = (specOf(DEFAULT_CONFIG).egress as Record<string, unknown>[])[0] as Record<
    string,
    unknown
  >;

  it.each<[string, ZtgateConfig, KubeObject, string]>([
    [
      'Istio: egress to every port of istiod (an absent ports list matches every port)',
      DEFAULT_CONFIG,
      withSpec({ ...specOf(DEFAULT_CONFIG), egress: [{ to: istiodRule.to }] }),
      'spec.egress[0].to[0]',
    ],
    [
      'Istio: egress: [{}] (every destination)',
      DEFAULT_CONFIG,
      withSpec({ ...specOf(DEFAULT_CONFIG), egress: [{}] }),
      'spec.egress[0]',
    ],
    [
      'Linkerd: a database beside the control plane (rules are ORed)',
      linkerd,
      withSpec({
        ...specOf(linkerd),
        egress: [
          ...(specOf(linkerd).egress as unknown[]),
          { to: [{ podSelector: {} }], ports: [{ port: 5432 }] },
        ],
      }),
      'spec.egress[2].to[0]',
    ],
    [
      'ambient: ingress from every address instead of the probes’ SNAT source',
      ambient,
      withSpec({ ...specOf(ambient), ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
      'spec.ingress[0].from[0]',
    ],
    [
      'ambient: HBONE 15008 from every pod (would open every pod to every caller)',
      ambient,
      withSpec({
        ...specOf(ambient),
        ingress: [
          ...(specOf(ambient).ingress as unknown[]),
          { from: [{ namespaceSelector: {} }], ports: [{ port: 15008 }] },
        ],
      }),
      'spec.ingress[1].from[0]',
    ],
  ])('refuses a developer widening it: %s', (_name, config, next, path) => {
    expect(check({ operation: 'UPDATE', old: companion(config), next, config })).toEqual(denied(path));
  });

  it.each<[string, ZtgateConfig, KubeObject]>([
    ['Istio: ztgate’s own version', DEFAULT_CONFIG, companion(DEFAULT_CONFIG)],
    [
      'Istio: fewer pods selected',
      DEFAULT_CONFIG,
      withSpec({ ...specOf(DEFAULT_CONFIG), podSelector: { matchLabels: { app: 'web' } } }),
    ],
    [
      'Linkerd: only identity kept',
      linkerd,
      withSpec({ ...specOf(linkerd), egress: (specOf(linkerd).egress as unknown[]).slice(0, 1) }),
    ],
    ['ambient: no rules at all', ambient, withSpec({ podSelector: {}, policyTypes: ['Ingress'] })],
  ])('allows a developer narrowing it: %s', (_name, config, next) => {
    expect(check({ operation: 'UPDATE', old: companion(config), next, config })).toEqual([]);
  });

  it('leaves a policy of that name alone under the builtin injector (ztgate creates none)', () => {
    expect(
      check({ operation: 'UPDATE', old: allowMesh, next: withSpec({ egress: [{}] }), config: builtin }),
    ).toEqual([]);
  });
});
