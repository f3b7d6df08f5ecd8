/**
 * What ztgate knows about one mesh provider, in one place: the names, images, uids and
 * annotations the provider's own injector writes. Rules and controllers read these descriptors;
 * no other file spells a mesh's names.
 */

/** The meshes ztgate enrols workloads in (`mesh.provider`). */
export const MESH_PROVIDERS = ['istio', 'istio-ambient', 'linkerd', 'builtin'] as const;

/** One of the supported mesh providers. */
export type MeshProviderName = (typeof MESH_PROVIDERS)[number];

/** The uid and gid a pod's traffic capture exempts, so the proxy's own traffic is not looped. */
export interface CaptureExemption {
  /** Traffic of processes running as one of these uids skips the proxy. */
  readonly uids: readonly number[];
  /** Traffic of processes running as one of these gids skips the proxy. */
  readonly gids: readonly number[];
}

/** The static facts of one provider (images and revisions come from the config). */
export interface MeshProvider {
  readonly name: MeshProviderName;
  /** Whether the mesh runs a proxy container inside each pod (false for ambient's ztunnel). */
  readonly sidecar: boolean;
  /**
   * Ports the mesh's proxy listens on inside the pod (or excludes from capture): an app container
   * or probe must not use them. The builtin provider's come from `sidecar.ports`.
   */
  readonly reservedPorts: readonly number[];
  /** The proxy container's name, when the mesh injects one. */
  readonly proxyContainerName: string | undefined;
  /**
   * Containers the mesh itself injects that legitimately run as the proxy's uid or hold the
   * redirect's capabilities: the redirect init container and the CNI's validation container.
   */
  readonly redirectInitContainerNames: readonly string[];
  /** Default allowed proxy images (registry/repository patterns, `*` matching one path segment or more). */
  readonly defaultProxyImages: readonly string[];
  /** The mesh's default control-plane namespace. */
  readonly defaultControlPlaneNamespace: string | undefined;
}
