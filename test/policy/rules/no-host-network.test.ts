import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { noHostNetworkRule } from '../../../src/policy/rules/no-host-network.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import { EMPTY_VIEW, workloadOf } from './context.js';
import type { Workload } from '../../../src/policy/types.js';

function context(subject: Workload | undefined): RuleContext {
  return {
    input: { operation: 'CREATE', object: subject?.object },
    view: EMPTY_VIEW,
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
    ['a Pod', workloadOf('Pod', 'shop', { hostNetwork: true, containers }), 'spec.hostNetwork'],
    [
      'a Deployment',
      workloadOf('Deployment', 'shop', { hostNetwork: true, containers }),
      'spec.template.spec.hostNetwork',
    ],
    [
      'a CronJob',
      workloadOf('CronJob', 'shop', { hostNetwork: true, containers }),
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
    ['hostNetwork false', workloadOf('Pod', 'shop', { hostNetwork: false, containers })],
    ['no hostNetwork field', workloadOf('Pod', 'shop', { containers })],
    [
      'hostNetwork as a string (not the boolean the API accepts)',
      workloadOf('Pod', 'shop', { hostNetwork: 'true', containers }),
    ],
    ['an exempt namespace', workloadOf('Pod', 'kube-system', { hostNetwork: true, containers })],
    ["ztgate's own namespace", workloadOf('DaemonSet', 'ztgate-system', { hostNetwork: true, containers })],
    ['no workload (a policy)', undefined],
  ])('allows %s', (_name, subject) => {
    expect(noHostNetworkRule.check(context(subject))).toEqual([]);
  });
});
