import { containerFlag, podFlag } from '../pod-spec/typed.js';
import type { Violation } from '../types.js';
import { isMeshContainerName } from './mesh-containers.js';
import {
  addedCapabilities,
  capabilityName,
  containersOf,
  isEnforced,
  readString,
  specPath,
  type ContainerEntry,
} from './pod-security/read.js';
import type { Rule } from './rule.js';
import { quoteValue } from '../message-text.js';

const RULE = 'no-proxy-process-access';

/** Capabilities (or privileged) with which a process may attach to another user's processes. */
const PTRACE_CAPABILITIES: ReadonlySet<string> = new Set(['SYS_PTRACE', 'ALL']);

function canTrace(entry: ContainerEntry): boolean {
  if (containerFlag(entry.typed, 'privileged')) return true;
  return addedCapabilities(entry).some((value) => PTRACE_CAPABILITIES.has(capabilityName(value)));
}

/**
 * The mesh proxy enforces mTLS and authorization inside the pod; a process that can reach the
 * proxy's processes can stop or rewrite it. Two ways share its PID namespace:
 * - a debug container aimed at it (`kubectl debug --target=<proxy>`, `targetContainerName`): it
 *   joins the proxy's PID namespace, and as root (kubectl debug's default image user) it takes the
 *   proxy's uid with CAP_SETUID (in the runtime's default set), reads `/proc/<pid>/root` and
 *   `environ`, and where same-uid ptrace is allowed (kernel.yama.ptrace_scope 0) or with SYS_PTRACE
 *   attaches to it. Refused whatever it holds: debug the app container instead.
 * - `shareProcessNamespace: true` with a container that holds SYS_PTRACE, ALL or privileged
 *   (the capability itself is also `no-extra-capabilities`' or `no-net-admin`'s finding).
 */
export const noProxyProcessAccessRule: Rule = {
  name: RULE,
  description:
    "No container shares the mesh proxy's process namespace with the means to trace it (kubectl debug --target=<proxy>, shareProcessNamespace with SYS_PTRACE).",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const violations: Violation[] = [];
    const entries = containersOf(workload, config);
    for (const entry of entries) {
      if (entry.list !== 'ephemeralContainers') continue;
      const target = readString(entry.container['targetContainerName']);
      if (target === undefined || !isMeshContainerName(config, target)) continue;
      violations.push({
        rule: RULE,
        path: `${entry.path}.targetContainerName`,
        value: target,
        message:
          `${workload.kind} ${quoteValue(workload.name)}: debug container ${quoteValue(entry.name)} targets the mesh container ${quoteValue(target)} ` +
          "and would share its process namespace: from there a root process takes the proxy's uid and reads or " +
          'attaches to the proxy that enforces mTLS for the pod.',
        fix:
          `Target the application container instead (kubectl debug -it <pod> --image=<image> --target=<app container>); ` +
          "the mesh's proxy is inspected with the mesh's own tools (istioctl proxy-config, linkerd diagnostics).",
      });
    }
    if (podFlag(workload.podSpec, 'shareProcessNamespace')) {
      const tracers = entries.filter((entry) => entry.meshRole === undefined && canTrace(entry));
      if (tracers.length > 0) {
        const names = tracers.map((entry) => `${quoteValue(entry.name)}`).join(', ');
        violations.push({
          rule: RULE,
          path: specPath(workload, 'shareProcessNamespace'),
          value: true,
          message:
            `${workload.kind} ${quoteValue(workload.name)} shares one process namespace among its containers, and ${names} can ` +
            "trace other users' processes (SYS_PTRACE, ALL or privileged): the mesh proxy's included.",
          fix: `Remove \`shareProcessNamespace: true\`, or drop SYS_PTRACE/ALL/privileged from ${names}.`,
        });
      }
    }
    return violations;
  },
};
