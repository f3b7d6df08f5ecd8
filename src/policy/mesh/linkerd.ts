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
  proxyContainerName: 'linkerd-proxy',
  redirectInitContainerNames: Object.freeze(['linkerd-init', 'linkerd-network-validator']),
  defaultProxyImages: Object.freeze(['cr.l5d.io/linkerd/proxy']),
  defaultControlPlaneNamespace: 'linkerd',
});
