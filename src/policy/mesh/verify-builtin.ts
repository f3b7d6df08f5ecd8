/**
 * Proof that a pod carries ztgate's own builtin sidecar (`mesh.provider: builtin`): both of
 * ztgate's containers by name, and every field of a container bearing one of those names equal to
 * what ztgate injects (sidecar/verify.ts, golden-tested with the patch builder).
 */
import type { ZtgateConfig } from '../config.js';
import { namesOf } from '../sidecar/read.js';
import { spiffeIdFor } from '../sidecar/patch.js';
import { findForgedSidecarFields } from '../sidecar/verify.js';
import type { Workload } from '../types.js';
import type { PodFinding } from './pod-containers.js';

/** Every finding on a pod under the builtin injector (which /mutate has run before /validate). */
export function verifyBuiltinPod(workload: Workload, config: ZtgateConfig): PodFinding[] {
  const sidecar = config.sidecar;
  const containers = namesOf(workload.podSpec['containers']);
  const initContainers = namesOf(workload.podSpec['initContainers']);
  const findings: PodFinding[] = [];
  if (!containers.includes(sidecar.containerName) && !initContainers.includes(sidecar.containerName)) {
    findings.push({
      path: sidecar.native ? 'spec.initContainers' : 'spec.containers',
      value: sidecar.native ? initContainers : containers,
      message: `lacks the mTLS proxy container "${sidecar.containerName}": its connections would be neither authenticated by workload identity nor encrypted`,
      missing: true,
    });
  }
  if (!initContainers.includes(sidecar.initContainerName)) {
    findings.push({
      path: 'spec.initContainers',
      value: initContainers,
      message: `lacks the traffic-redirect init container "${sidecar.initContainerName}": without it traffic bypasses the proxy`,
      missing: true,
    });
  }
  // A container that only borrows ztgate's name is not ztgate's: a pod author must not skip
  // injection by writing `ztgate-init`/`ztgate-proxy` with their own image, args (capture
  // exclusions are admin-only), identity or privileges.
  const spiffeId = spiffeIdFor(workload.object, sidecar, workload.namespace);
  for (const forged of findForgedSidecarFields(workload.podSpec, sidecar, spiffeId)) {
    findings.push({
      path: forged.path,
      message: `container "${forged.container}" differs from what ztgate injects (field ${forged.field}); only ztgate may provide its containers`,
    });
  }
  return findings;
}
