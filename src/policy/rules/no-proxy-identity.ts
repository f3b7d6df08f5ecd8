import type { ZtgateConfig } from '../config.js';
import type { Violation, Workload } from '../types.js';
import { podMesh } from './mesh-containers.js';
import { effectiveId } from '../pod-spec/typed.js';
import { containersOf, isEnforced, specPath, type ContainerEntry } from './pod-security/read.js';
import type { Rule } from './rule.js';
import { quoteValue } from '../message-text.js';

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
      `${workload.kind} ${quoteValue(workload.name)}: ${subject.who} ${subject.verb} as ${spec.kind} ${String(value)}, the ${spec.kind} the mesh's traffic ` +
      `redirect lets through unproxied (an iptables owner match on the proxy's own ${spec.kind}), so its connections would ` +
      "skip the mTLS proxy: no workload identity, no encryption, no mesh authorization (Istio's analyzer flags this as IST0144).",
    fix:
      `Run ${subject.who} as another ${spec.kind}, e.g.\n  securityContext:\n    ${spec.field}: 1000\n` +
      `(the proxy's ${spec.kind} is reserved for the proxy; the mesh's own containers are the only exception).`,
  };
}

function checkField(workload: Workload, config: ZtgateConfig, spec: Field): Violation[] {
  const exempt = podMesh(workload, config)[spec.exempt];
  if (exempt.size === 0) return [];
  const violations: Violation[] = [];
  const heirs: ContainerEntry[] = [];
  for (const entry of containersOf(workload, config)) {
    if (entry.meshRole !== undefined) continue;
    // The core's typed reading: the container's own id, else the pod's (ill-typed ids or ids out of
    // the API server's range never get here: they are invalid-object).
    const id = effectiveId(workload.podSpec, entry.typed, spec.field);
    if (id === undefined || !exempt.has(id)) continue;
    if (typeof entry.securityContext?.[spec.field] !== 'number') {
      heirs.push(entry);
      continue;
    }
    const path = `${entry.path}.securityContext.${spec.field}`;
    violations.push(
      violation(workload, path, id, { who: `container ${quoteValue(entry.name)}`, verb: 'runs' }, spec),
    );
  }
  if (heirs.length > 0) {
    // One violation at the pod's field, naming every container that inherits it.
    const names = heirs.map((entry) => `${quoteValue(entry.name)}`).join(', ');
    const subject: Subject = {
      who: `${heirs.length === 1 ? 'container' : 'containers'} ${names} (inheriting the pod's securityContext)`,
      verb: heirs.length === 1 ? 'runs' : 'run',
    };
    const path = specPath(workload, `securityContext.${spec.field}`);
    const podValue = effectiveId(workload.podSpec, heirs[0]!.typed, spec.field);
    violations.unshift(violation(workload, path, podValue, subject, spec));
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
