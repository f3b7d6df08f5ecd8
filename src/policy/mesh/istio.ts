import type { MeshProvider } from './provider.js';

/**
 * Istio in sidecar mode. Facts from Istio's injection template (manifests/charts/istio-control/
 * istio-discovery/files/injection-template.yaml) and istio-iptables: the proxy `istio-proxy` runs
 * as uid and gid 1337, and the redirect exempts both (`-u 1337 -g 1337`); `istio-init` installs
 * the redirect, or `istio-validation` checks the CNI plugin's redirect (it also runs as 1337).
 */
export const ISTIO_PROXY_UID = 1337;

/** Istio's proxy gid; istio-iptables exempts it as well as the uid. */
export const ISTIO_PROXY_GID = 1337;

/** Istio sidecar mode. */
export const ISTIO: MeshProvider = Object.freeze({
  name: 'istio',
  sidecar: true,
  // "Ports used by Istio" (istio.io, Application Requirements): 15000 Envoy admin, 15001 outbound,
  // 15004 debug, 15006 inbound, 15008 HBONE mTLS tunnel, 15020 merged Prometheus telemetry,
  // 15021 health checks (excluded from inbound capture), 15053 DNS (with DNS capture), 15090
  // Envoy Prometheus telemetry.
  reservedPorts: Object.freeze([15000, 15001, 15004, 15006, 15008, 15020, 15021, 15053, 15090]),
  proxyContainerName: 'istio-proxy',
  redirectInitContainerNames: Object.freeze(['istio-init', 'istio-validation']),
  defaultProxyImages: Object.freeze(['*/proxyv2']),
  defaultControlPlaneNamespace: 'istio-system',
});
