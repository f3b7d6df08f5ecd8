/** The dispatcher of pod verification: one verifier per provider, the same findings shape for all. */
import type { ZtgateConfig } from '../config.js';
import type { JsonRecord } from '../sidecar/read.js';
import type { Workload } from '../types.js';
import type { ApprovedItems } from './exceptions.js';
import { allowedProxyImages, controlPlaneNamespace } from './index.js';
import type { PodFinding } from './pod-containers.js';
import { verifyBuiltinPod } from './verify-builtin.js';
import { verifyIstioPod } from './verify-istio.js';
import { verifyLinkerdPod } from './verify-linkerd.js';

export type { PodFinding } from './pod-containers.js';

/**
 * Every finding on a pod's mesh containers under the configured provider. `pending`: the mesh's
 * injector has not run yet (ztgate check), so nothing it adds counts as missing. Ambient pods carry
 * no proxy: istio-cni redirects them after scheduling (`ztgate audit` checks the annotation).
 */
export function verifyMeshedPod(
  workload: Workload,
  config: ZtgateConfig,
  approved: ApprovedItems,
  pending: boolean,
): PodFinding[] {
  const input = {
    spec: workload.podSpec as JsonRecord,
    proxyImages: allowedProxyImages(config),
    controlPlaneNamespace: controlPlaneNamespace(config) ?? '',
    approved,
    pending,
  };
  switch (config.mesh.provider) {
    case 'istio':
      return verifyIstioPod(input);
    case 'linkerd':
      return verifyLinkerdPod(input);
    case 'builtin':
      // ztgate's own /mutate injects before /validate; `check` applies the same patch first.
      return verifyBuiltinPod(workload, config);
    case 'istio-ambient':
      return [];
  }
}
