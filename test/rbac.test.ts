import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/adapters/config/load-config.js';
import { LEADER_LEASE_NAME } from '../src/controllers/index.js';
import { REPORT_NAME } from '../src/policy/audit/policy-report.js';
import { DEFAULT_CONFIG } from '../src/policy/config.js';
import { MESH_COMPANION_NAME, STRICT_PEER_AUTHENTICATION_NAME } from '../src/policy/desired/index.js';
import { expectedInjector } from '../src/policy/mesh/injector.js';
import { readManifest, type ManifestObject } from './e2e/support/manifests.js';

// manifests/rbac.yaml is what ztgate may do; the README's RBAC table is what an admin is told it
// may do. These tests hold the two to each other, rule for rule: a new verb or resource means
// changing both (and the config names the rules restrict to).

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
type Role = ManifestObject & { rules: PolicyRule[] };

const objects = readManifest('rbac.yaml');
const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role') as Role[];
const rules = roles.flatMap((role) => role.rules.map((rule) => ({ role, rule })));

/** One rule as a comparable line: role, groups, resources, verbs, names (lists sorted). */
function ruleKey(role: string, rule: PolicyRule): string {
  const sorted = (list: readonly string[] | undefined): string => [...(list ?? [])].sort().join(',');
  return [
    role,
    sorted(rule.apiGroups),
    sorted(rule.resources),
    sorted(rule.verbs),
    sorted(rule.resourceNames),
  ].join(' | ');
}

function roleLabel(role: Role): string {
  return role.kind === 'Role' ? `Role (${role.metadata.namespace})` : role.kind;
}

/** The rows of the README table that follows the `rbac-rules` marker. */
function readmeRules(): string[] {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- rbac-rules:');
  if (start === -1) throw new Error('README.md lost its rbac-rules marker');
  const rows = readme
    .slice(start)
    .split('\n')
    .slice(1)
    .filter((line, index, lines) => lines.slice(0, index + 1).every((l) => l === '' || l.startsWith('|')))
    .filter((line) => line.startsWith('|') && !line.startsWith('| ---') && !line.startsWith('| role |'));
  const list = (cell: string): string[] => cell.split(',').map((word) => word.trim());
  return rows.map((row) => {
    const [role = '', groups = '', resources = '', verbs = '', names = ''] = row
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    const rule: PolicyRule = {
      apiGroups: list(groups).map((group) => (group === 'core' ? '' : group)),
      resources: list(resources),
      verbs: list(verbs),
      ...(names === 'any' ? {} : { resourceNames: list(names) }),
    };
    return ruleKey(role, rule);
  });
}

/** Whether some rule of `kind` grants `verb` on group/resource (named `name`, when given). */
function allows(
  kind: 'ClusterRole' | 'Role',
  group: string,
  resource: string,
  verb: string,
  name?: string,
): boolean {
  return rules.some(
    ({ role, rule }) =>
      role.kind === kind &&
      rule.apiGroups.includes(group) &&
      rule.resources.includes(resource) &&
      rule.verbs.includes(verb) &&
      (rule.resourceNames === undefined || (name !== undefined && rule.resourceNames.includes(name))),
  );
}

const configMap = readManifest('configmap.yaml')[0] as ManifestObject & { data: Record<string, string> };
const config = parseConfig(configMap.data['config.yaml'] ?? '', 'manifests/configmap.yaml');

describe('manifests/rbac.yaml against the README', () => {
  it('grants exactly the rules the README table lists', () => {
    const granted = rules.map(({ role, rule }) => ruleKey(roleLabel(role), rule)).sort();
    expect(readmeRules().sort()).toEqual(granted);
  });

  it('restricts by the names ztgate uses: the shipped config, the Lease and the reports', () => {
    const names = (resource: string): string[] =>
      [
        ...new Set(
          rules
            .filter(({ rule }) => rule.resources.includes(resource))
            .flatMap(({ rule }) => rule.resourceNames ?? []),
        ),
      ].sort();
    expect(names('configmaps')).toEqual([config.sidecar.trustBundleConfigMap]);
    expect(names('networkpolicies')).toEqual(
      [config.defaultDeny.dns.policyName, config.defaultDeny.policyName, MESH_COMPANION_NAME].sort(),
    );
    expect(names('leases')).toEqual([LEADER_LEASE_NAME]);
    expect(names('policyreports')).toEqual([REPORT_NAME]);
    expect(names('peerauthentications')).toEqual([STRICT_PEER_AUTHENTICATION_NAME]);
    // The injector registrations of Istio's default revision and of Linkerd, as the check looks for them.
    const injectors = (['istio', 'linkerd'] as const).flatMap(
      (provider) =>
        expectedInjector({ ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider } })?.names ?? [],
    );
    expect(names('mutatingwebhookconfigurations')).toEqual([...injectors].sort());
  });

  it('names every object it may write or read-by-name, except where RBAC cannot (create, the Namespaces it marks)', () => {
    const unnamed = rules
      .filter(({ rule }) => rule.resourceNames === undefined)
      .filter(({ rule }) =>
        rule.verbs.some((verb) => verb !== 'create' && !['get', 'list', 'watch'].includes(verb)),
      );
    // The mesh's enrolment mark goes on any enforced Namespace (PUT, judged by namespaces.ztgate.dev).
    expect(unnamed.map(({ rule }) => [rule.apiGroups, rule.resources, rule.verbs])).toEqual([
      [[''], ['namespaces'], ['update']],
    ]);
    // Unnamed reads: never ConfigMaps, Leases or reports.
    const unnamedReads = rules
      .filter(({ rule }) => rule.resourceNames === undefined && rule.verbs.includes('get'))
      .flatMap(({ rule }) => rule.resources);
    expect(unnamedReads).not.toContain('configmaps');
    expect(unnamedReads).not.toContain('leases');
    expect(unnamedReads).not.toContain('policyreports');
  });

  it('uses no wildcards in groups, resources, verbs or names', () => {
    const words = rules.flatMap(({ rule }) => [
      ...rule.apiGroups,
      ...rule.resources,
      ...rule.verbs,
      ...(rule.resourceNames ?? []),
    ]);
    expect(words.filter((w) => w.includes('*'))).toEqual([]);
  });

  it('deletes only its own NetworkPolicies, PeerAuthentication and reports by name; never patches, escalates, binds, impersonates or reads Secrets', () => {
    const verbs = new Set(rules.flatMap(({ rule }) => rule.verbs));
    for (const verb of ['deletecollection', 'patch', 'escalate', 'bind', 'impersonate'])
      expect(verbs.has(verb)).toBe(false);
    // The default-deny controller removes its own policies from namespaces going to audit or
    // exempt; the background audit removes its report from a namespace that becomes exempt.
    const deletes = rules.filter(({ rule }) => rule.verbs.includes('delete'));
    expect(deletes.map(({ rule }) => [rule.apiGroups, rule.resources, rule.resourceNames])).toEqual([
      [
        ['networking.k8s.io'],
        ['networkpolicies'],
        [config.defaultDeny.policyName, config.defaultDeny.dns.policyName, MESH_COMPANION_NAME],
      ],
      [['security.istio.io'], ['peerauthentications'], [STRICT_PEER_AUTHENTICATION_NAME]],
      [['wgpolicyk8s.io'], ['policyreports', 'clusterpolicyreports'], [REPORT_NAME]],
    ]);
    expect(rules.filter(({ rule }) => rule.resources.includes('secrets'))).toEqual([]);
  });

  const trustBundle = 'ztgate-trust-bundle';
  const grants: [string, 'ClusterRole' | 'Role', string, string, string, string | undefined, boolean][] = [
    ['reads namespaces', 'ClusterRole', '', 'namespaces', 'watch', undefined, true],
    ['reads serviceaccounts', 'ClusterRole', '', 'serviceaccounts', 'list', undefined, true],
    ['reads deployments', 'ClusterRole', 'apps', 'deployments', 'watch', undefined, true],
    ['reads cronjobs', 'ClusterRole', 'batch', 'cronjobs', 'list', undefined, true],
    [
      'reads calico policies',
      'ClusterRole',
      'projectcalico.org',
      'globalnetworkpolicies',
      'watch',
      undefined,
      true,
    ],
    ['reads cilium policies', 'ClusterRole', 'cilium.io', 'ciliumnetworkpolicies', 'watch', undefined, true],
    [
      'reads istio policies',
      'ClusterRole',
      'security.istio.io',
      'authorizationpolicies',
      'watch',
      undefined,
      true,
    ],
    [
      'reads istio peer authentications',
      'ClusterRole',
      'security.istio.io',
      'peerauthentications',
      'watch',
      undefined,
      true,
    ],
    [
      'reads istio destination rules',
      'ClusterRole',
      'networking.istio.io',
      'destinationrules',
      'list',
      undefined,
      true,
    ],
    [
      'discovers CRDs',
      'ClusterRole',
      'apiextensions.k8s.io',
      'customresourcedefinitions',
      'watch',
      undefined,
      true,
    ],
    [
      'creates networkpolicies',
      'ClusterRole',
      'networking.k8s.io',
      'networkpolicies',
      'create',
      undefined,
      true,
    ],
    [
      'restores its default deny',
      'ClusterRole',
      'networking.k8s.io',
      'networkpolicies',
      'update',
      'ztgate-default-deny',
      true,
    ],
    [
      'restores its DNS allowance',
      'ClusterRole',
      'networking.k8s.io',
      'networkpolicies',
      'update',
      'ztgate-allow-dns',
      true,
    ],
    [
      'no update of another networkpolicy',
      'ClusterRole',
      'networking.k8s.io',
      'networkpolicies',
      'update',
      'allow-web',
      false,
    ],
    [
      'removes its default deny',
      'ClusterRole',
      'networking.k8s.io',
      'networkpolicies',
      'delete',
      'ztgate-default-deny',
      true,
    ],
    [
      'no delete of another networkpolicy',
      'ClusterRole',
      'networking.k8s.io',
      'networkpolicies',
      'delete',
      'allow-web',
      false,
    ],
    ['watches the trust bundle by name', 'ClusterRole', '', 'configmaps', 'watch', trustBundle, true],
    ['no watch of every configmap', 'ClusterRole', '', 'configmaps', 'watch', undefined, false],
    ['reads the trust bundle source', 'ClusterRole', '', 'configmaps', 'get', trustBundle, true],
    ['no read of coredns', 'ClusterRole', '', 'configmaps', 'get', 'coredns', false],
    ['no update of aws-auth', 'ClusterRole', '', 'configmaps', 'update', 'aws-auth', false],
    ['creates trust bundle copies', 'ClusterRole', '', 'configmaps', 'create', undefined, true],
    ['restores trust bundle copies', 'ClusterRole', '', 'configmaps', 'update', trustBundle, true],
    ['no configmap patch', 'ClusterRole', '', 'configmaps', 'patch', trustBundle, false],
    ['creates policyreports', 'ClusterRole', 'wgpolicyk8s.io', 'policyreports', 'create', undefined, true],
    [
      'replaces its clusterpolicyreport',
      'ClusterRole',
      'wgpolicyk8s.io',
      'clusterpolicyreports',
      'update',
      REPORT_NAME,
      true,
    ],
    [
      'no update of another policyreport',
      'ClusterRole',
      'wgpolicyk8s.io',
      'policyreports',
      'update',
      'kyverno',
      false,
    ],
    [
      'watches its reports by name',
      'ClusterRole',
      'wgpolicyk8s.io',
      'policyreports',
      'watch',
      REPORT_NAME,
      true,
    ],
    ['no watch of every report', 'ClusterRole', 'wgpolicyk8s.io', 'policyreports', 'watch', undefined, false],
    [
      'removes its report from an exempted namespace',
      'ClusterRole',
      'wgpolicyk8s.io',
      'policyreports',
      'delete',
      REPORT_NAME,
      true,
    ],
    [
      'no delete of another report',
      'ClusterRole',
      'wgpolicyk8s.io',
      'policyreports',
      'delete',
      'kyverno',
      false,
    ],
    ['posts events', 'ClusterRole', '', 'events', 'create', undefined, true],
    ['never reads events', 'ClusterRole', '', 'events', 'list', undefined, false],
    ['never changes events', 'ClusterRole', '', 'events', 'update', undefined, false],
    [
      'no cluster-wide leases',
      'ClusterRole',
      'coordination.k8s.io',
      'leases',
      'update',
      LEADER_LEASE_NAME,
      false,
    ],
    ['renews its lease', 'Role', 'coordination.k8s.io', 'leases', 'update', LEADER_LEASE_NAME, true],
    ['no other lease', 'Role', 'coordination.k8s.io', 'leases', 'update', 'kube-scheduler', false],
    ['no pod writes', 'ClusterRole', '', 'pods', 'create', undefined, false],
    ['no deployment writes', 'ClusterRole', 'apps', 'deployments', 'patch', undefined, false],
    [
      'no CRD writes',
      'ClusterRole',
      'apiextensions.k8s.io',
      'customresourcedefinitions',
      'create',
      undefined,
      false,
    ],
    ['no calico writes', 'ClusterRole', 'projectcalico.org', 'networkpolicies', 'update', undefined, false],
    ['marks namespaces (PUT)', 'ClusterRole', '', 'namespaces', 'update', 'shop', true],
    ['no namespace patch', 'ClusterRole', '', 'namespaces', 'patch', 'shop', false],
    ['no namespace delete', 'ClusterRole', '', 'namespaces', 'delete', 'shop', false],
    [
      'restores its mesh allowance',
      'ClusterRole',
      'networking.k8s.io',
      'networkpolicies',
      'update',
      MESH_COMPANION_NAME,
      true,
    ],
    [
      'creates peerauthentications',
      'ClusterRole',
      'security.istio.io',
      'peerauthentications',
      'create',
      undefined,
      true,
    ],
    [
      'restores its STRICT peerauthentication',
      'ClusterRole',
      'security.istio.io',
      'peerauthentications',
      'update',
      STRICT_PEER_AUTHENTICATION_NAME,
      true,
    ],
    [
      'no delete of another peerauthentication',
      'ClusterRole',
      'security.istio.io',
      'peerauthentications',
      'delete',
      'permissive',
      false,
    ],
    [
      'no destinationrule writes',
      'ClusterRole',
      'networking.istio.io',
      'destinationrules',
      'update',
      undefined,
      false,
    ],
    [
      "watches Istio's injector registration by name",
      'ClusterRole',
      'admissionregistration.k8s.io',
      'mutatingwebhookconfigurations',
      'watch',
      'istio-sidecar-injector',
      true,
    ],
    [
      'no read of another webhook registration',
      'ClusterRole',
      'admissionregistration.k8s.io',
      'mutatingwebhookconfigurations',
      'get',
      'some-other',
      false,
    ],
    [
      'no webhook registration writes',
      'ClusterRole',
      'admissionregistration.k8s.io',
      'mutatingwebhookconfigurations',
      'update',
      'istio-sidecar-injector',
      false,
    ],
  ];
  it.each(grants)('%s', (_name, kind, group, resource, verb, name, expected) => {
    expect(allows(kind, group, resource, verb, name)).toBe(expected);
  });

  it('binds both roles to the ztgate ServiceAccount only, the Role in ztgate-system', () => {
    const sa = readManifest('serviceaccount.yaml')[0] as ManifestObject;
    const bindings = objects.filter(
      (o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding',
    ) as (ManifestObject & {
      roleRef: { name: string };
      subjects: unknown[];
    })[];
    expect(bindings.map((b) => [b.kind, b.roleRef.name, b.subjects])).toEqual(
      bindings.map((b) => [
        b.kind,
        roles.find((r) => r.kind === b.kind.replace('Binding', ''))?.metadata.name,
        [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }],
      ]),
    );
    expect(roles.find((r) => r.kind === 'Role')?.metadata.namespace).toBe(config.namespace);
  });
});
