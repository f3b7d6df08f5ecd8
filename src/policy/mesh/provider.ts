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
  /** Default allowed proxy images (registry/repository patterns, `*` matching the registry or exactly one path segment). */
  readonly defaultProxyImages: readonly string[];
  /** The mesh's default control-plane namespace. */
  readonly defaultControlPlaneNamespace: string | undefined;
  /** Pod labels and annotations the mesh reads that could opt a pod out or narrow its capture. */
  readonly keys: readonly MeshKey[];
  /** Control-plane services every meshed pod calls (egress under a default deny). */
  readonly controlPlane: readonly ControlPlaneEndpoint[];
}

/** What a key's judge knows besides the value. */
export interface KeyContext {
  /** Allowed images of the mesh's containers (mesh.proxyImages or the provider's defaults). */
  readonly proxyImages: readonly string[];
  /** Whether the key sits on a Pod (which the mesh's injector may have written) or a pod template. */
  readonly onPod: boolean;
}

/**
 * A pod label or annotation the mesh reads, judged by its value: the mesh's own value (or one
 * that only widens capture) is fine, one that opts out, narrows capture or weakens the proxy is a
 * bypass. ztgate checks each key as a label and as an annotation, whichever the mesh reads.
 */
export interface MeshKey {
  readonly key: string;
  /** True: every key starting with `key` (Istio's `sidecar.istio.io/userVolume*`). */
  readonly prefix?: boolean;
  /** What a bad value does, for the message ("skips the sidecar injection"). */
  readonly effect: string;
  /** Undefined when the value is fine; else why it is a bypass. */
  readonly judge: (value: string, context: KeyContext) => string | undefined;
  /**
   * Set for capture exclusions an admin may approve in `mesh.exceptions`, naming what the value
   * lists (the config adapter checks its syntax). Opt-outs have none: exempt the namespace instead.
   */
  readonly exception?: 'ports' | 'cidrs' | 'interfaces';
  /** Set when the value is a proxy image judged against `mesh.proxyImages` (the fix offers a mirror entry). */
  readonly proxyImage?: boolean;
}

/** One control-plane service the pods' proxies call (a default deny must let them through). */
export interface ControlPlaneEndpoint {
  /** What it serves, for comments and messages. */
  readonly what: string;
  /** Labels of the control-plane pods (matchLabels), in `mesh.controlPlaneNamespace`. */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly ports: readonly number[];
}
