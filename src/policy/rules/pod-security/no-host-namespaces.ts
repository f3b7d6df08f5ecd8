import { podFlag } from '../../pod-spec/typed.js';
import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { exemptionNote, isEnforced, specPath } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-host-namespaces';

/** What sharing each host namespace gives a pod (hostNetwork is `no-host-network`'s). */
const HOST_NAMESPACES = [
  {
    field: 'hostPID',
    why:
      "its containers see and signal every process of the node, and with SYS_ADMIN or SYS_PTRACE enter the node's " +
      'network namespace (`nsenter -t 1 -n`), where neither network policy nor the mTLS proxy applies',
  },
  {
    field: 'hostIPC',
    why: "its containers share the node's System V IPC and POSIX shared memory with every node process",
  },
] as const;

/**
 * Pod Security Standards baseline, "Host Namespaces": `spec.hostPID` and `spec.hostIPC` must be
 * undefined or false (`spec.hostNetwork`, the third field of the control, is `no-host-network`).
 */
export const noHostNamespacesRule: Rule = {
  name: RULE,
  description:
    "Pods must not share the node's PID or IPC namespace (Pod Security Standards baseline, Host Namespaces).",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const violations: Violation[] = [];
    for (const { field, why } of HOST_NAMESPACES) {
      if (!podFlag(workload.podSpec, field)) continue;
      violations.push({
        rule: RULE,
        path: specPath(workload, field),
        value: true,
        message: `${workload.kind} ${quoteValue(workload.name)} sets ${field}: true: ${why}.`,
        fix: `Remove \`${field}: true\` from the pod spec (the default, false, keeps the pod's own namespace). ${exemptionNote(workload.namespace)}`,
      });
    }
    return violations;
  },
};
