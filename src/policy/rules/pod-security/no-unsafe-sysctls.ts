import { asRecord } from '../../sidecar/read.js';
import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { exemptionNote, isEnforced, podSecurityContext, specPath } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-unsafe-sysctls';

/**
 * Pod Security Standards baseline, "Sysctls", allowed names: the namespaced, isolated ("safe")
 * set — ip_local_reserved_ports since Kubernetes 1.27, the four TCP keepalive/FIN ones since 1.29
 * (an older kubelet refuses those itself, so allowing them fails closed).
 */
export const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

/**
 * A sysctl name as the kubelet applies it: Kubernetes accepts `/` as the separator and swaps `/`
 * and `.` when the first separator is a slash (`net/ipv4/ip_local_port_range`), so both spellings
 * are one setting.
 */
export function normalizeSysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first === -1 || name[first] === '.') return name;
  return name.replace(/[./]/g, (separator) => (separator === '.' ? '/' : '.'));
}

/**
 * Pod Security Standards baseline, "Sysctls": `spec.securityContext.sysctls[*].name` must be one
 * of the safe set. Any other sysctl either reaches the node (not namespaced) or weakens the pod's
 * own network stack (for instance `net.ipv4.conf.all.route_localnet`, `net.ipv4.ip_forward`).
 */
export const noUnsafeSysctlsRule: Rule = {
  name: RULE,
  description: 'Only the safe sysctls (Pod Security Standards baseline, Sysctls).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const sysctls = podSecurityContext(workload)?.['sysctls'];
    if (!Array.isArray(sysctls)) return [];
    const violations: Violation[] = [];
    sysctls.forEach((item: unknown, index) => {
      const name = asRecord(item)?.['name'];
      if (typeof name === 'string' && SAFE_SYSCTLS.has(normalizeSysctlName(name))) return;
      violations.push({
        rule: RULE,
        path: specPath(workload, `securityContext.sysctls[${index}].name`),
        value: name,
        message:
          `${workload.kind} ${quoteValue(workload.name)} sets sysctl ${quoteValue(name)}, outside the safe set: it can reach ` +
          "the node or weaken the pod's network isolation.",
        fix:
          `Remove this sysctl. Safe ones: ${[...SAFE_SYSCTLS].join(', ')}. ` +
          exemptionNote(workload.namespace),
      });
    });
    return violations;
  },
};
