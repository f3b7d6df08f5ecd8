import { asRecord } from '../../sidecar/read.js';
import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { containersOf, isEnforced, readInteger } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-host-ports';

/**
 * Pod Security Standards baseline, "Host Ports": `ports[*].hostPort` of every container must be
 * undefined or 0, or a port an admin allows for the namespace in `podSecurity.allowedHostPorts`
 * (the "known list" the standard permits; never a workload field).
 */
export const noHostPortsRule: Rule = {
  name: RULE,
  description: 'No hostPort, except ports an admin allows per namespace (podSecurity.allowedHostPorts).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const allowed = new Set(
      config.podSecurity.allowedHostPorts
        .filter((entry) => entry.namespace === workload.namespace)
        .map((entry) => entry.port),
    );
    const violations: Violation[] = [];
    for (const entry of containersOf(workload, config)) {
      const ports = entry.container['ports'];
      if (!Array.isArray(ports)) continue;
      ports.forEach((item: unknown, index) => {
        const hostPort = asRecord(item)?.['hostPort'];
        if (hostPort === undefined || hostPort === null) return;
        const port = readInteger(hostPort);
        if (port === 0 || (port !== undefined && allowed.has(port))) return;
        violations.push({
          rule: RULE,
          path: `${entry.path}.ports[${index}].hostPort`,
          value: hostPort,
          message:
            `${workload.kind} ${quoteValue(workload.name)}: container ${quoteValue(entry.name)} binds hostPort ${String(hostPort)}: the node's ` +
            'address then forwards to the pod from the node network, and the port is taken on every node it lands on ' +
            '(Pod Security Standards baseline, Host Ports).',
          fix:
            `Remove \`hostPort\` from this port of container ${quoteValue(entry.name)} and reach the pod through a Service. If the ` +
            'workload must own a node port, a ztgate admin allows it for this namespace in the ztgate config:\n' +
            `  podSecurity:\n    allowedHostPorts:\n      - { namespace: ${workload.namespace}, port: ${String(hostPort)} }`,
        });
      });
    }
    return violations;
  },
};
