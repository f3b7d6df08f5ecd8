import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { noHostNetworkRule } from '../../../src/policy/rules/no-host-network.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import type { ClusterView, Workload, WorkloadKind } from '../../../src/policy/types.js';

const emptyView: ClusterView = {
  revision: 0,
  namespace: () => undefined,
  namespaces: () => [],
  knowsServiceAccounts: () => false,
  serviceAccount: () => undefined,
  serviceAccountUsers: () => [],
  policiesFor: () => [],
  allPolicies: () => [],
  workloads: () => [],
  objects: () => [],
};

const TEMPLATE_PATHS: Record<string, string> = {
  Pod: '',
  Deployment: 'spec.template',
  CronJob: 'spec.jobTemplate.spec.template',
};

function workload(kind: WorkloadKind, namespace: string, podSpec: Record<string, unknown>): Workload {
  return {
    kind,
    apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1',
    namespace,
    name: 'w',
    labels: {},
    podLabels: {},
    podSpec,
    podAnnotations: {},
    templatePath: TEMPLATE_PATHS[kind] ?? 'spec.template',
    owner: { kind, namespace, name: 'w' },
    serviceAccountName: undefined,
    serviceAccountField: undefined,
    object: { kind, metadata: { name: 'w', namespace } },
  };
}

function context(subject: Workload | undefined): RuleContext {
  return {
    input: { operation: 'CREATE', object: subject?.object },
    view: emptyView,
    config: DEFAULT_CONFIG,
    workload: subject,
    policy: undefined,
    oldPolicy: undefined,
  };
}

const containers = [{ name: 'app' }];

describe('no-host-network', () => {
  it('judges workloads on CREATE and UPDATE', () => {
    expect({ appliesTo: noHostNetworkRule.appliesTo, operations: noHostNetworkRule.operations }).toEqual({
      appliesTo: 'workload',
      operations: ['CREATE', 'UPDATE'],
    });
  });

  it.each([
    ['a Pod', workload('Pod', 'shop', { hostNetwork: true, containers }), 'spec.hostNetwork'],
    [
      'a Deployment',
      workload('Deployment', 'shop', { hostNetwork: true, containers }),
      'spec.template.spec.hostNetwork',
    ],
    [
      'a CronJob',
      workload('CronJob', 'shop', { hostNetwork: true, containers }),
      'spec.jobTemplate.spec.template.spec.hostNetwork',
    ],
  ])('refuses hostNetwork in %s', (_name, subject, path) => {
    const violations = noHostNetworkRule.check(context(subject));
    expect(violations.map(({ rule, path: at, value }) => ({ rule, path: at, value }))).toEqual([
      { rule: 'no-host-network', path, value: true },
    ]);
    expect(violations[0]?.message).toContain('bypasses network policy');
    expect(violations[0]?.fix).toContain('exemptNamespaces');
  });

  it.each([
    ['hostNetwork false', workload('Pod', 'shop', { hostNetwork: false, containers })],
    ['no hostNetwork field', workload('Pod', 'shop', { containers })],
    [
      'hostNetwork as a string (not the boolean the API accepts)',
      workload('Pod', 'shop', { hostNetwork: 'true', containers }),
    ],
    ['an exempt namespace', workload('Pod', 'kube-system', { hostNetwork: true, containers })],
    ["ztgate's own namespace", workload('DaemonSet', 'ztgate-system', { hostNetwork: true, containers })],
    ['no workload (a policy)', undefined],
  ])('allows %s', (_name, subject) => {
    expect(noHostNetworkRule.check(context(subject))).toEqual([]);
  });
});
