import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { addedCapabilities, capabilityName, containersOf, exemptionNote, isEnforced } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-extra-capabilities';

/**
 * Pod Security Standards baseline, "Capabilities", allowed values of `capabilities.add`: the
 * container runtimes' default set without NET_RAW (the PSS table; PodSecurity admission's
 * `capabilities_allowed_1_0`).
 */
export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** Reported by `no-net-admin` (which also knows the mesh's redirect container may add two of them). */
const NET_ADMIN_RULE_CAPABILITIES: ReadonlySet<string> = new Set(['NET_ADMIN', 'NET_RAW', 'ALL']);

/** Why the usual escapes matter, for the message; any other capability gets the generic reason. */
const REASONS: Readonly<Record<string, string>> = {
  SYS_ADMIN: 'SYS_ADMIN mounts filesystems and enters namespaces (with hostPID, the node network)',
  SYS_PTRACE:
    "SYS_PTRACE attaches to other processes, the mesh proxy's included when they share a PID namespace",
  SYS_MODULE: 'SYS_MODULE loads kernel modules into the node',
  BPF: 'BPF loads eBPF programs that can rewrite or bypass the CNI and the redirect',
  DAC_READ_SEARCH: 'DAC_READ_SEARCH opens files by handle, outside the container root (the "shocker" escape)',
};

/**
 * Pod Security Standards baseline, "Capabilities": no container, in any list, adds a capability
 * beyond the baseline's list. NET_ADMIN, NET_RAW and ALL are `no-net-admin`'s, so each is reported
 * once; the mesh's redirect init container gets nothing more here than those two.
 */
export const noExtraCapabilitiesRule: Rule = {
  name: RULE,
  description:
    'Containers add no capability beyond the Pod Security Standards baseline list (AUDIT_WRITE, CHOWN, … SYS_CHROOT).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const violations: Violation[] = [];
    for (const entry of containersOf(workload, config)) {
      const extra = addedCapabilities(entry).filter((value) => {
        const name = capabilityName(value);
        return !BASELINE_CAPABILITIES.has(name) && !NET_ADMIN_RULE_CAPABILITIES.has(name);
      });
      if (extra.length === 0) continue;
      const reasons = extra.map((value) => REASONS[capabilityName(value)]).filter(Boolean);
      violations.push({
        rule: RULE,
        path: `${entry.path}.securityContext.capabilities.add`,
        value: extra,
        message:
          `${workload.kind} ${quoteValue(workload.name)}: container ${quoteValue(entry.name)} adds ${extra.map(String).join(', ')}, ` +
          `beyond the Pod Security Standards baseline: ${reasons.length > 0 ? reasons.join('; ') : 'a privilege a workload does not need to serve traffic'}.`,
        fix:
          `Remove ${extra.map(String).join(', ')} from \`capabilities.add\` of container ${quoteValue(entry.name)}; a hardened container reads:\n` +
          '  securityContext:\n    capabilities:\n      drop: [ALL]\n      add: [NET_BIND_SERVICE]   # only if it binds a port below 1024\n' +
          exemptionNote(workload.namespace),
      });
    }
    return violations;
  },
};
