import { isExemptNamespace } from '../config.js';
import { joinPath } from '../objects.js';
import { podFlag } from '../pod-spec/typed.js';
import type { Violation } from '../types.js';
import type { Rule } from './rule.js';
import { quoteValue } from '../message-text.js';

/**
 * Refuses hostNetwork pods in enforced namespaces: they share the node's network namespace, so
 * NetworkPolicy does not select their traffic and the sidecar's traffic capture cannot apply.
 */
export const noHostNetworkRule: Rule = {
  name: 'no-host-network',
  description:
    'Pods in enforced namespaces must not use hostNetwork: it bypasses network policy and the mTLS sidecar.',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (workload === undefined || isExemptNamespace(config, workload.namespace)) return [];
    if (!podFlag(workload.podSpec, 'hostNetwork')) return [];
    return [
      {
        rule: 'no-host-network',
        path: joinPath(workload.templatePath, 'spec.hostNetwork'),
        value: true,
        message:
          `${workload.kind} ${quoteValue(workload.name)} uses hostNetwork: its pods share the node's network, ` +
          'which bypasses network policy (default deny and allow-lists) and the mTLS sidecar.',
        fix:
          'Remove `hostNetwork: true` from the pod spec. If the workload really needs the node network ' +
          `(a CNI or node agent), ask a ztgate admin to list namespace ${quoteValue(workload.namespace)} in exemptNamespaces.`,
      },
    ];
  },
};
