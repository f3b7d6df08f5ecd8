import { isExemptNamespace } from '../config.js';
import { asRecord } from '../sidecar/read.js';
import { joinPath } from '../objects.js';
import { containerFlag, listContainers, type ContainerEntry } from '../pod-spec/typed.js';
import type { Violation } from '../types.js';
import type { Rule } from './rule.js';

/** Capabilities that let a container rewrite or bypass the pod's netfilter redirect (ALL grants them). */
const BYPASS_CAPABILITIES = new Set(['NET_ADMIN', 'NET_RAW', 'ALL']);

/** A capability as Kubernetes and the runtimes read it: case-insensitive, `CAP_` prefix optional. */
function capabilityName(value: unknown): string {
  return String(value).toUpperCase().replace(/^CAP_/, '');
}

/** What in a container's securityContext could undo the redirect, as `[field, value]` pairs. */
function bypasses(entry: ContainerEntry): { field: string; value: unknown }[] {
  const context = entry.securityContext;
  if (context === undefined) return [];
  const found: { field: string; value: unknown }[] = [];
  if (containerFlag(entry, 'privileged')) found.push({ field: 'securityContext.privileged', value: true });
  const added = asRecord(context['capabilities'])?.['add'];
  const granted = Array.isArray(added)
    ? added.filter((capability) => BYPASS_CAPABILITIES.has(capabilityName(capability)))
    : [];
  if (granted.length > 0) found.push({ field: 'securityContext.capabilities.add', value: granted });
  return found;
}

/**
 * ztgate's init container alone may hold NET_ADMIN: any other container with NET_ADMIN, NET_RAW
 * (or ALL) or privileged could rewrite the pod's iptables after the redirect is installed, and
 * its traffic, or the whole pod's, would skip the mTLS proxy.
 */
export const noNetAdminRule: Rule = {
  name: 'no-net-admin',
  description:
    "Only ztgate's init container may hold NET_ADMIN or NET_RAW or run privileged: any other container could undo the traffic redirect.",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (workload === undefined || isExemptNamespace(config, workload.namespace)) return [];
    const violations: Violation[] = [];
    for (const entry of listContainers(workload.podSpec)) {
      const { list, name } = entry;
      // ztgate's own (mtls-sidecar verifies that a container of that name is exactly ztgate's).
      if (list === 'initContainers' && name === config.sidecar.initContainerName) continue;
      for (const { field, value } of bypasses(entry)) {
        violations.push({
          rule: 'no-net-admin',
          path: joinPath(workload.templatePath, `${entry.path}.${field}`),
          value,
          message:
            `${workload.kind} "${workload.name}": container "${name}" sets ${field} = ${JSON.stringify(value)}, ` +
            "which lets it rewrite the pod's iptables and send traffic around the mTLS proxy.",
          fix:
            `Remove ${field === 'securityContext.privileged' ? '`privileged: true`' : 'NET_ADMIN, NET_RAW and ALL from `capabilities.add`'} ` +
            `in container "${name}". A workload that must manage networking (a CNI or VPN agent) belongs in a namespace ` +
            'a ztgate admin lists in exemptNamespaces.',
        });
      }
    }
    return violations;
  },
};
