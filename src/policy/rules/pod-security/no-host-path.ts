import type { AllowedHostPath, ZtgateConfig } from '../../config.js';
import { asRecord, nameOf, type JsonRecord } from '../../sidecar/read.js';
import type { Violation, Workload } from '../../types.js';
import type { Rule } from '../rule.js';
import { containersOf, isEnforced, readString, specPath } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-host-path';

/**
 * A host path's segments, or undefined when it is not an absolute path without `.`/`..`
 * segments (fail closed: `/var/log/../../run/containerd` allows nothing). Repeated and trailing
 * slashes name the same directory to the kernel, so they are dropped.
 */
export function hostPathSegments(path: string): readonly string[] | undefined {
  if (!path.startsWith('/')) return undefined;
  const segments = path.split('/').filter((segment) => segment !== '');
  return segments.some((segment) => segment === '.' || segment === '..') ? undefined : segments;
}

/** Whether `path` is `prefix` or lies below it, by whole segments (`/var/log` never allows `/var/logs`). */
function isUnder(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);
}

/**
 * Host paths that hand over the node: the container runtimes' sockets and state, the kubelet's
 * credentials, the kernel's interfaces. A mount of one of them, below one, or above one (`/var`
 * holds `/var/run/containerd`) gets no "ask an admin to allow it" fix: it needs an exempt namespace.
 */
const NODE_CONTROL_PATHS: readonly (readonly string[])[] = [
  '/run/containerd',
  '/var/run/containerd',
  '/run/crio',
  '/var/run/crio',
  '/run/docker.sock',
  '/var/run/docker.sock',
  '/var/lib/containerd',
  '/var/lib/docker',
  '/var/lib/kubelet',
  '/etc/kubernetes',
  '/proc',
  '/sys',
  '/dev',
].map((path) => path.split('/').filter((segment) => segment !== ''));

function handsOverNode(path: unknown): boolean {
  const segments = typeof path === 'string' ? hostPathSegments(path) : undefined;
  if (segments === undefined) return true;
  return NODE_CONTROL_PATHS.some((control) => isUnder(segments, control) || isUnder(control, segments));
}

function allowanceFor(config: ZtgateConfig, namespace: string, path: unknown): AllowedHostPath | undefined {
  const segments = typeof path === 'string' ? hostPathSegments(path) : undefined;
  if (segments === undefined) return undefined;
  return config.podSecurity.allowedHostPaths.find((allowed) => {
    const prefix = hostPathSegments(allowed.pathPrefix);
    return allowed.namespace === namespace && prefix !== undefined && isUnder(segments, prefix);
  });
}

/** Mounts of volume `name` that are not read-only, as field paths. */
function writableMounts(workload: Workload, config: ZtgateConfig, name: string): string[] {
  const paths: string[] = [];
  for (const entry of containersOf(workload, config)) {
    const mounts = entry.container['volumeMounts'];
    if (!Array.isArray(mounts)) continue;
    mounts.forEach((item: unknown, index) => {
      const mount = asRecord(item);
      if (mount?.['name'] === name && mount['readOnly'] !== true)
        paths.push(`${entry.path}.volumeMounts[${index}].readOnly`);
    });
  }
  return paths;
}

function refusal(workload: Workload, index: number, volume: JsonRecord, path: unknown): Violation {
  const name = nameOf(volume) ?? `#${index}`;
  const shown = typeof path === 'string' ? path : JSON.stringify(path);
  return {
    rule: RULE,
    path: specPath(workload, `volumes[${index}].hostPath`),
    value: volume['hostPath'],
    message:
      `${workload.kind} ${quoteValue(workload.name)}: volume ${quoteValue(name)} mounts the node's path ${shown}. A hostPath hands the pod ` +
      "the node's files: the container runtime's socket starts containers that never pass the API server, and " +
      "kubelet and other pods' credentials lie there too (Pod Security Standards baseline, HostPath Volumes).",
    fix: handsOverNode(path)
      ? `Replace volume ${quoteValue(name)} with an emptyDir, configMap, secret or persistentVolumeClaim volume. ${shown} ` +
        'hands over the node (a runtime socket, kubelet credentials, kernel interfaces): a workload that needs it ' +
        'is a node agent and belongs in a namespace a ztgate admin lists in exemptNamespaces.'
      : `Replace volume ${quoteValue(name)} with an emptyDir, configMap, secret or persistentVolumeClaim volume. If the workload ` +
        'must read this host path (a log collector), a ztgate admin allows it for this namespace in the ztgate config:\n' +
        '  podSecurity:\n    allowedHostPaths:\n' +
        `      - { namespace: ${workload.namespace}, pathPrefix: ${shown}, readOnly: true }`,
  };
}

/**
 * Pod Security Standards baseline, "HostPath Volumes": `spec.volumes[*].hostPath` must be
 * undefined, except where an admin allows a path prefix in `podSecurity.allowedHostPaths` for the
 * namespace (never a workload field); such an allowance can require every mount to be read-only.
 */
export const noHostPathRule: Rule = {
  name: RULE,
  description:
    'No hostPath volumes, except host path prefixes an admin allows per namespace (podSecurity.allowedHostPaths).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const volumes = workload.podSpec['volumes'];
    if (!Array.isArray(volumes)) return [];
    const violations: Violation[] = [];
    volumes.forEach((item: unknown, index) => {
      const volume = asRecord(item);
      if (volume === undefined || volume['hostPath'] === undefined || volume['hostPath'] === null) return;
      const path = asRecord(volume['hostPath'])?.['path'];
      const allowance = allowanceFor(config, workload.namespace, readString(path));
      if (allowance === undefined) {
        violations.push(refusal(workload, index, volume, path));
        return;
      }
      if (!allowance.readOnly) return;
      for (const mountPath of writableMounts(workload, config, nameOf(volume) ?? '')) {
        violations.push({
          rule: RULE,
          path: mountPath,
          value: false,
          message:
            `${workload.kind} ${quoteValue(workload.name)} mounts host path ${String(path)} writable; the admins allow it ` +
            `in namespace ${workload.namespace} read-only (podSecurity.allowedHostPaths ${allowance.pathPrefix}).`,
          fix: `Set \`readOnly: true\` on this volumeMount.`,
        });
      }
    });
    return violations;
  },
};
