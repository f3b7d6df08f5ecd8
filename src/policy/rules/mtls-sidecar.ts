import { isExemptNamespace } from '../config.js';
import { namesOf } from '../sidecar/read.js';
import type { Violation } from '../types.js';
import type { Rule } from './rule.js';

/**
 * Validate-after-mutate: a Pod in an enforced namespace must carry the proxy and the redirect init
 * container, so neither a later mutating webhook nor a hand-written spec can strip them. Only
 * Pods are judged: controllers' pods come through /mutate themselves. hostNetwork pods are left to
 * `no-host-network`, which names the real fix.
 */
export const mtlsSidecarRule: Rule = {
  name: 'mtls-sidecar',
  description:
    'Pods in enforced namespaces must run the ztgate mTLS proxy and its traffic-redirect init container.',
  appliesTo: 'workload',
  // Pod updates cannot add containers, and refusing them would block label changes on old pods.
  operations: ['CREATE'],
  check({ workload, config }): readonly Violation[] {
    if (workload === undefined || workload.kind !== 'Pod') return [];
    if (isExemptNamespace(config, workload.namespace) || workload.podSpec['hostNetwork'] === true) return [];
    const sidecar = config.sidecar;
    const containers = namesOf(workload.podSpec['containers']);
    const initContainers = namesOf(workload.podSpec['initContainers']);
    const violations: Violation[] = [];
    const why =
      'ztgate could not inject it (is the mutating webhook registered for this namespace?) or something removed it';
    const fix =
      "Create the pod through the API server with ztgate's mutating webhook enabled, or run `ztgate inject -f <manifest>` and apply the result; do not remove or edit ztgate's containers.";
    if (!containers.includes(sidecar.containerName) && !initContainers.includes(sidecar.containerName)) {
      violations.push({
        rule: 'mtls-sidecar',
        path: sidecar.native ? 'spec.initContainers' : 'spec.containers',
        value: sidecar.native ? initContainers : containers,
        message:
          `Pod "${workload.name}" lacks the mTLS proxy container "${sidecar.containerName}": ` +
          `its connections would be neither authenticated by workload identity nor encrypted; ${why}.`,
        fix,
      });
    }
    if (!initContainers.includes(sidecar.initContainerName)) {
      violations.push({
        rule: 'mtls-sidecar',
        path: 'spec.initContainers',
        value: initContainers,
        message:
          `Pod "${workload.name}" lacks the traffic-redirect init container "${sidecar.initContainerName}": ` +
          `without it traffic bypasses the proxy; ${why}.`,
        fix,
      });
    }
    // A container that only borrows ztgate's name is not the proxy: a pod author must not be able
    // to skip injection by writing `name: ztgate-proxy` with an image of their choosing.
    for (const [name, image] of [
      [sidecar.containerName, sidecar.image],
      [sidecar.initContainerName, sidecar.initImage],
    ] as const) {
      for (const found of findContainers(workload.podSpec, name)) {
        if (found.image === image) continue;
        violations.push({
          rule: 'mtls-sidecar',
          path: `${found.path}.image`,
          value: found.image,
          message:
            `Pod "${workload.name}": container "${name}" runs image ${JSON.stringify(found.image ?? null)}, ` +
            `not ztgate's configured image "${image}"; only ztgate may provide it.`,
          fix,
        });
      }
    }
    return violations;
  },
};

/** Every container or init container with this name, with its field path and image. */
function findContainers(
  podSpec: Readonly<Record<string, unknown>>,
  name: string,
): { path: string; image: unknown }[] {
  const found: { path: string; image: unknown }[] = [];
  for (const field of ['initContainers', 'containers'] as const) {
    const list = podSpec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((container: unknown, index) => {
      if (typeof container !== 'object' || container === null) return;
      const record = container as Record<string, unknown>;
      if (record['name'] === name) found.push({ path: `spec.${field}[${index}]`, image: record['image'] });
    });
  }
  return found;
}
