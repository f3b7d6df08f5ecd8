import type { MeshProvider } from './provider.js';

/**
 * ztgate's own injector for admins who bring their own proxy images (`sidecar.image`,
 * `sidecar.initImage`): names and the proxy uid come from the `sidecar` config section, so this
 * descriptor holds only what does not. Its capture exclusions are the admin's `sidecar.exclude`;
 * no pod key changes what ztgate injects.
 */
export const BUILTIN: MeshProvider = Object.freeze({
  name: 'builtin',
  sidecar: true,
  // The injected proxy's ports are `sidecar.ports` (inbound, outbound, health, admin).
  reservedPorts: Object.freeze([]),
  proxyContainerName: undefined,
  redirectInitContainerNames: Object.freeze([]),
  defaultProxyImages: Object.freeze([]),
  defaultControlPlaneNamespace: undefined,
  keys: Object.freeze([]),
  controlPlane: Object.freeze([]),
});
