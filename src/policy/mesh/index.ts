import type { ZtgateConfig } from '../config.js';
import { BUILTIN } from './builtin.js';
import { ISTIO, ISTIO_PROXY_GID, ISTIO_PROXY_UID } from './istio.js';
import { ISTIO_AMBIENT } from './istio-ambient.js';
import { LINKERD, LINKERD_PROXY_UID } from './linkerd.js';
import type { CaptureExemption, MeshProvider, MeshProviderName } from './provider.js';

export { MESH_PROVIDERS } from './provider.js';
export type {
  CaptureExemption,
  ControlPlaneEndpoint,
  KeyContext,
  MeshKey,
  MeshProvider,
  MeshProviderName,
} from './provider.js';

const PROVIDERS: Readonly<Record<MeshProviderName, MeshProvider>> = {
  istio: ISTIO,
  'istio-ambient': ISTIO_AMBIENT,
  linkerd: LINKERD,
  builtin: BUILTIN,
};

/** The descriptor of the configured mesh provider. */
export function meshProvider(config: ZtgateConfig): MeshProvider {
  return PROVIDERS[config.mesh.provider];
}

/**
 * The uids and gids whose traffic the configured mesh's capture lets through unproxied. Any
 * container but the mesh's own running as one of them sends its traffic around the proxy.
 */
export function captureExemption(config: ZtgateConfig): CaptureExemption {
  switch (config.mesh.provider) {
    case 'istio':
      return { uids: [ISTIO_PROXY_UID], gids: [ISTIO_PROXY_GID] };
    case 'linkerd':
      return { uids: [LINKERD_PROXY_UID], gids: [] };
    case 'builtin':
      // ztgate-init's redirect exempts `--proxy-uid` only (see the README's proxy contract).
      return { uids: [config.sidecar.runAsUser], gids: [] };
    case 'istio-ambient':
      return { uids: [], gids: [] };
  }
}

/**
 * The containers of a pod that belong to the configured mesh (the proxy and the redirect or
 * CNI-validation init container), by name. A name proves nothing on its own: `mtls-sidecar`
 * verifies that a container bearing one of these names is the mesh's own.
 */
export function meshContainerNames(config: ZtgateConfig): readonly string[] {
  if (config.mesh.provider === 'builtin') {
    return [config.sidecar.containerName, config.sidecar.initContainerName];
  }
  const provider = meshProvider(config);
  return provider.proxyContainerName === undefined
    ? provider.redirectInitContainerNames
    : [provider.proxyContainerName, ...provider.redirectInitContainerNames];
}

/** The images the mesh's own containers may run: `mesh.proxyImages`, else the provider's defaults. */
export function allowedProxyImages(config: ZtgateConfig): readonly string[] {
  return config.mesh.proxyImages.length > 0
    ? config.mesh.proxyImages
    : meshProvider(config).defaultProxyImages;
}

/** The mesh control plane's namespace: `mesh.controlPlaneNamespace`, else the provider's default. */
export function controlPlaneNamespace(config: ZtgateConfig): string | undefined {
  return config.mesh.controlPlaneNamespace === ''
    ? meshProvider(config).defaultControlPlaneNamespace
    : config.mesh.controlPlaneNamespace;
}

/** What shows that the configured mesh's injector is installed (checked by the cluster at start-up). */
export interface MeshInjector {
  readonly kind: 'MutatingWebhookConfiguration' | 'DaemonSet';
  /** Set for a namespaced object (ambient's ztunnel DaemonSet). */
  readonly namespace?: string;
  readonly name: string;
}

/**
 * The object whose presence proves the mesh can mesh new pods: Istio's sidecar injector webhook
 * configuration (`istio-sidecar-injector`, suffixed `-<rev>` for a revision), Linkerd's
 * `linkerd-proxy-injector-webhook-config`, or ambient's `ztunnel` DaemonSet in the control-plane
 * namespace. Undefined for builtin (ztgate's own webhook injects).
 */
export function meshInjector(config: ZtgateConfig): MeshInjector | undefined {
  switch (config.mesh.provider) {
    case 'istio': {
      const suffix = config.mesh.revision === '' ? '' : `-${config.mesh.revision}`;
      return { kind: 'MutatingWebhookConfiguration', name: `istio-sidecar-injector${suffix}` };
    }
    case 'linkerd':
      return { kind: 'MutatingWebhookConfiguration', name: 'linkerd-proxy-injector-webhook-config' };
    case 'istio-ambient':
      return {
        kind: 'DaemonSet',
        namespace: controlPlaneNamespace(config) ?? 'istio-system',
        name: 'ztunnel',
      };
    case 'builtin':
      return undefined;
  }
}
