import type { ZtgateConfig } from '../config.js';
import type { Violation, Workload } from '../types.js';
import { podMesh } from './mesh-containers.js';
import {
  containersOf,
  isEnforced,
  podSecurityContext,
  readInteger,
  specPath,
  type ContainerEntry,
} from './pod-security/read.js';
import type { Rule } from './rule.js';

const RULE = 'no-proxy-identity';

/** The two identity fields the redirect's owner match looks at. */
const FIELDS = [
  { field: 'runAsUser', kind: 'uid', exempt: 'uids' },
  { field: 'runAsGroup', kind: 'gid', exempt: 'gids' },
] as const;

type Field = (typeof FIELDS)[number];

/** Who runs as the proxy's identity: `container "app"`, or the containers inheriting a pod-level value. */
interface Subject {
  readonly who: string;
  readonly verb: 'runs' | 'run';
}

function violation(
  workload: Workload,
  path: string,
  value: unknown,
  subject: Subject,
  spec: Field,
): Violation {
  return {
    rule: RULE,
    path,
    value,
    message:
      `${workload.kind} "${workload.name}": ${subject.who} ${subject.verb} as ${spec.kind} ${String(value)}, the ${spec.kind} the mesh's traffic ` +
      `redirect lets through unproxied (an iptables owner match on the proxy's own ${spec.kind}), so its connections would ` +
      "skip the mTLS proxy: no workload identity, no encryption, no mesh authorization (Istio's analyzer flags this as IST0144).",
    fix:
      `Run ${subject.who} as another ${spec.kind}, e.g.\n  securityContext:\n    ${spec.field}: 1000\n` +
      `(the proxy's ${spec.kind} is reserved for the proxy; the mesh's own containers are the only exception).`,
  };
}

/** The non-mesh containers that inherit the pod-level value (they set none of their own). */
function inheritors(entries: readonly ContainerEntry[], field: string): ContainerEntry[] {
  // `null` is as unset as an absent field: the container then runs with the pod's value.
  return entries.filter(
    (entry) => entry.meshRole === undefined && (entry.securityContext?.[field] ?? null) === null,
  );
}

/**
 * The id the runtime ends up with: OCI user ids are 32 bits, so a larger number would wrap (the
 * API server refuses ids above 2147483647; `ztgate check` or a lenient reader might not).
 */
function effectiveId(value: unknown): number | undefined {
  const id = readInteger(value);
  return id === undefined ? undefined : id % 2 ** 32;
}

function checkField(workload: Workload, config: ZtgateConfig, spec: Field): Violation[] {
  const exempt = podMesh(workload, config)[spec.exempt];
  if (exempt.size === 0) return [];
  const entries = containersOf(workload, config);
  const violations: Violation[] = [];
  const podValue = podSecurityContext(workload)?.[spec.field];
  const podId = effectiveId(podValue);
  if (podId !== undefined && exempt.has(podId)) {
    const heirs = inheritors(entries, spec.field);
    if (heirs.length > 0) {
      const names = heirs.map((entry) => `"${entry.name}"`).join(', ');
      const subject: Subject = {
        who: `${heirs.length === 1 ? 'container' : 'containers'} ${names} (inheriting the pod's securityContext)`,
        verb: heirs.length === 1 ? 'runs' : 'run',
      };
      violations.push(
        violation(workload, specPath(workload, `securityContext.${spec.field}`), podValue, subject, spec),
      );
    }
  }
  for (const entry of entries) {
    if (entry.meshRole !== undefined) continue;
    const value = entry.securityContext?.[spec.field];
    const id = effectiveId(value);
    if (id === undefined || !exempt.has(id)) continue;
    const path = `${entry.path}.securityContext.${spec.field}`;
    violations.push(
      violation(workload, path, value, { who: `container "${entry.name}"`, verb: 'runs' }, spec),
    );
  }
  return violations;
}

/**
 * Transparent capture exempts the proxy's own uid (and, for Istio, gid) so the proxy's traffic
 * is not looped back into itself: istio-iptables emits `-m owner --uid-owner 1337 -j RETURN` and
 * `-m owner --gid-owner 1337 -j RETURN`, linkerd2-proxy-init `--proxy-uid 2102`, ztgate-init
 * `--proxy-uid`. Any other container whose effective uid or gid is one of those — set on the
 * container or inherited from the pod's securityContext, in any container list — sends its
 * traffic around the proxy. The kernel's owner match tests the socket's fsuid/fsgid only;
 * supplementary groups (supplementalGroups, fsGroup) count only with `--suppl-groups`, which none
 * of the meshes passes, so those are left alone (older Istio releases set fsGroup 1337 on every
 * injected pod).
 */
export const noProxyIdentityRule: Rule = {
  name: RULE,
  description:
    "No container but the mesh's own runs as the proxy's uid or gid (the redirect lets that identity's traffic skip the proxy).",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    return FIELDS.flatMap((spec) => checkField(workload, config, spec));
  },
};
