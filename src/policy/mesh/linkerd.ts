import type { MeshProvider } from './provider.js';

/**
 * Linkerd. Facts from Linkerd's proxy-injector patch templates and linkerd2-proxy-init: the proxy
 * `linkerd-proxy` runs as uid 2102 and the redirect exempts that uid (`--proxy-uid 2102`; no gid
 * rule); `linkerd-init` installs the redirect, or `linkerd-network-validator` checks the CNI
 * plugin's redirect.
 */
export const LINKERD_PROXY_UID = 2102;

/** Linkerd. */
export const LINKERD: MeshProvider = Object.freeze({
  name: 'linkerd',
  sidecar: true,
  // linkerd2-proxy's listeners (chart values proxy.ports; the proxy logs them at start): 4140
  // outbound (127.0.0.1), 4143 inbound, 4190 control/tap, 4191 admin (metrics, health; skipped by
  // the inbound redirect so the kubelet can probe it).
  reservedPorts: Object.freeze([4140, 4143, 4190, 4191]),
  proxyContainerName: 'linkerd-proxy',
  redirectInitContainerNames: Object.freeze(['linkerd-init', 'linkerd-network-validator']),
  defaultProxyImages: Object.freeze(['cr.l5d.io/linkerd/proxy']),
  defaultControlPlaneNamespace: 'linkerd',
});
