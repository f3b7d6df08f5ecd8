import { containerFlag } from '../pod-spec/typed.js';
import type { Violation } from '../types.js';
import {
  addedCapabilities,
  capabilityName,
  containersOf,
  isEnforced,
  type ContainerEntry,
} from './pod-security/read.js';
import type { Rule } from './rule.js';
import { quoteValue } from '../message-text.js';

/** Capabilities that let a container rewrite or bypass the pod's netfilter redirect (ALL grants them). */
const BYPASS_CAPABILITIES = new Set(['NET_ADMIN', 'NET_RAW', 'ALL']);

/** The two the mesh's redirect init container needs to install the redirect (istio-init, linkerd-init, ztgate-init). */
const REDIRECT_CAPABILITIES = new Set(['NET_ADMIN', 'NET_RAW']);

/** What in a container's securityContext could undo the redirect, as `[field, value]` pairs. */
function bypasses(entry: ContainerEntry): { field: string; value: unknown }[] {
  const context = entry.securityContext;
  if (context === undefined) return [];
  const found: { field: string; value: unknown }[] = [];
  if (containerFlag(entry.typed, 'privileged'))
    found.push({ field: 'securityContext.privileged', value: true });
  // The mesh's own redirect container keeps its two (mtls-sidecar verifies it is the mesh's own).
  const granted = addedCapabilities(entry).filter((capability) => {
    const name = capabilityName(capability);
    return (
      BYPASS_CAPABILITIES.has(name) && !(entry.meshRole === 'redirect' && REDIRECT_CAPABILITIES.has(name))
    );
  });
  if (granted.length > 0) found.push({ field: 'securityContext.capabilities.add', value: granted });
  return found;
}

/**
 * The mesh's redirect init container alone may hold NET_ADMIN and NET_RAW: any other container
 * with NET_ADMIN, NET_RAW (or ALL) or privileged could rewrite the pod's iptables after the
 * redirect is installed, and its traffic, or the whole pod's, would skip the mTLS proxy. It also
 * carries the Pod Security Standards baseline's "Privileged Containers" control.
 */
export const noNetAdminRule: Rule = {
  name: 'no-net-admin',
  description:
    "Only the mesh's redirect init container may hold NET_ADMIN or NET_RAW, and no container runs privileged: any other could undo the traffic redirect.",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const violations: Violation[] = [];
    for (const entry of containersOf(workload, config)) {
      for (const { field, value } of bypasses(entry)) {
        violations.push({
          rule: 'no-net-admin',
          path: `${entry.path}.${field}`,
          value,
          message:
            `${workload.kind} ${quoteValue(workload.name)}: container ${quoteValue(entry.name)} sets ${field} = ${quoteValue(value)}, ` +
            "which lets it rewrite the pod's iptables and send traffic around the mTLS proxy.",
          fix:
            `Remove ${field === 'securityContext.privileged' ? '`privileged: true`' : 'NET_ADMIN, NET_RAW and ALL from `capabilities.add`'} ` +
            `in container ${quoteValue(entry.name)}. A workload that must manage networking (a CNI or VPN agent) belongs in a namespace ` +
            'a ztgate admin lists in exemptNamespaces.',
        });
      }
    }
    return violations;
  },
};
