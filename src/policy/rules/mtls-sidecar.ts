import { isExemptNamespace } from '../config.js';
import { namesOf } from '../sidecar/read.js';
import { spiffeIdFor } from '../sidecar/patch.js';
import { findForgedSidecarFields } from '../sidecar/verify.js';
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
    if (workload === undefined || workload.kind !== 'Pod' || config.mesh.provider !== 'builtin') return [];
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
    // A container that only borrows ztgate's name is not ztgate's: a pod author must not skip
    // injection by writing `ztgate-init`/`ztgate-proxy` with their own image, args (capture
    // exclusions are admin-only), identity or privileges.
    const spiffeId = spiffeIdFor(workload.object, sidecar, workload.namespace);
    for (const forged of findForgedSidecarFields(workload.podSpec, sidecar, spiffeId)) {
      violations.push({
        rule: 'mtls-sidecar',
        path: forged.path,
        message:
          `Pod "${workload.name}": container "${forged.container}" differs from what ztgate injects ` +
          `(field ${forged.field}); only ztgate may provide its containers.`,
        fix,
      });
    }
    return violations;
  },
};
