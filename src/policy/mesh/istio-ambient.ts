import type { MeshProvider } from './provider.js';

/**
 * Istio ambient mode: no proxy in the pod. The node's ztunnel carries mTLS (HBONE, port 15008);
 * istio-cni installs the pod's redirect after scheduling and marks the pod with the annotation
 * `ambient.istio.io/redirection: enabled`. ztunnel's own traffic is recognised by a packet mark,
 * not by a uid inside the pod, so no uid or gid of the pod is exempt from capture.
 */
export const ISTIO_AMBIENT: MeshProvider = Object.freeze({
  name: 'istio-ambient',
  sidecar: false,
  // Istio's "Ztunnel traffic redirection": ztunnel opens its listeners inside the pod's network
  // namespace on 15001 (outbound), 15006 (inbound plaintext) and 15008 (HBONE).
  reservedPorts: Object.freeze([15001, 15006, 15008]),
  proxyContainerName: undefined,
  redirectInitContainerNames: Object.freeze([]),
  defaultProxyImages: Object.freeze([]),
  defaultControlPlaneNamespace: 'istio-system',
});
