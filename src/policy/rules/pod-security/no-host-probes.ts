import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { isRecord } from '../../objects.js';
import { containersOf, handlerPath, handlerRoots, isEnforced, valueAt } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-host-probes';

/** The handlers whose `host` the kubelet connects to: probes, then lifecycle hooks. */
const HANDLERS = [
  ['livenessProbe', 'httpGet'],
  ['readinessProbe', 'httpGet'],
  ['startupProbe', 'httpGet'],
  ['livenessProbe', 'tcpSocket'],
  ['readinessProbe', 'tcpSocket'],
  ['startupProbe', 'tcpSocket'],
  ['lifecycle', 'postStart', 'tcpSocket'],
  ['lifecycle', 'preStop', 'tcpSocket'],
  ['lifecycle', 'postStart', 'httpGet'],
  ['lifecycle', 'preStop', 'httpGet'],
].map((keys) => ({
  host: handlerPath([...keys, 'host']),
  field: [...keys, 'host'].join('.'),
  handler: keys.join('.'),
}));

/**
 * Pod Security Standards baseline, "Host Probes / Lifecycle Hooks" (v1.34+): the `host` of every
 * httpGet/tcpSocket probe and lifecycle hook must be undefined or "". The kubelet runs them from
 * the node's network namespace, outside network policy and the proxy: a workload that names the
 * host makes the node connect wherever it likes (the node's loopback, a metadata endpoint).
 */
export const noHostProbesRule: Rule = {
  name: RULE,
  description:
    'Probes and lifecycle hooks never name a host (Pod Security Standards baseline, Host Probes / Lifecycle Hooks).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const violations: Violation[] = [];
    for (const entry of containersOf(workload, config)) {
      const roots = handlerRoots(entry.container);
      for (const { host: hostPath, field, handler } of HANDLERS) {
        const root = roots[hostPath.root];
        // No probe or hook there: no host either (valueAt would find none).
        if (!isRecord(root)) continue;
        const host = valueAt(root, hostPath.rest);
        if (host === undefined || host === null || host === '') continue;
        violations.push({
          rule: RULE,
          path: `${entry.path}.${field}`,
          value: host,
          message:
            `${workload.kind} ${quoteValue(workload.name)}: container ${quoteValue(entry.name)} sets ${field} ${quoteValue(host)}: the ` +
            'kubelet would connect there from the node, outside network policy and the mTLS proxy.',
          fix: `Remove \`host\` from ${handler}: the kubelet then checks the pod's own address.`,
        });
      }
    }
    return violations;
  },
};
