/** Annotation ztgate sets on every pod it injects. */
export const INJECTED_ANNOTATION = 'ztgate.dev/injected';

/** Annotation listing, as JSON, what ztgate added to the pod. */
export const STATUS_ANNOTATION = 'ztgate.dev/status';

/** Names ztgate prefers for its volumes; a clash with the pod's own gets a numbered suffix. */
export const VOLUME_BASE_NAMES = {
  token: 'ztgate-token',
  trustBundle: 'ztgate-trust-bundle',
  workdir: 'ztgate-workdir',
} as const;

/** The volumes ztgate adds, by role, with the names actually used in this pod. */
export type VolumeNames = { readonly [role in keyof typeof VOLUME_BASE_NAMES]: string };

/** Fixed mount paths: the proxy finds its files here whatever the volumes are called. */
export const MOUNT_PATHS = {
  token: '/var/run/secrets/ztgate/tokens',
  trustBundle: '/var/run/secrets/ztgate/trust',
  workdir: '/var/lib/ztgate',
} as const;

/**
 * Where the ServiceAccount admission plugin mounts the Kubernetes API token into every container
 * that has no mount there yet. ztgate's containers get an empty read-only directory of the workdir
 * at this path (sub-path {@link NO_API_TOKEN_SUBPATH}) instead: the proxy and the redirect never
 * call the API server, so they hold no API token; and when the API server runs the plugin again
 * after ztgate's patch, the plugin finds nothing to add, the pod is unchanged, and ztgate's
 * webhook (reinvocationPolicy IfNeeded) is not called a second time.
 */
export const API_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const NO_API_TOKEN_SUBPATH = 'no-api-token';

/** File name of the projected token inside its volume. */
export const TOKEN_FILE = 'token';

/** Key of the trust bundle inside the ConfigMap (the cert-manager trust-manager convention). */
export const TRUST_BUNDLE_KEY = 'ca.crt';

/** Proxy health endpoints on the health port; `/app-health/…` serves rewritten app probes. */
export const HEALTH_PATHS = {
  ready: '/healthz/ready',
  live: '/healthz/live',
  appPrefix: '/app-health',
} as const;

/**
 * Picks a name for each ztgate volume that the pod does not already use: the base name, else
 * `base-1`, `base-2` … — deterministic, so the same pod always gets the same patch.
 */
export function allocateVolumeNames(taken: readonly string[]): VolumeNames {
  const used = new Set(taken);
  const pick = (base: string): string => {
    let name = base;
    for (let suffix = 1; used.has(name); suffix += 1) name = `${base}-${suffix}`;
    used.add(name);
    return name;
  };
  return {
    token: pick(VOLUME_BASE_NAMES.token),
    trustBundle: pick(VOLUME_BASE_NAMES.trustBundle),
    workdir: pick(VOLUME_BASE_NAMES.workdir),
  };
}

/** Whether the pod took ztgate's preferred volume names (no clash), so shared parts apply. */
export function hasPreferredNames(names: VolumeNames): boolean {
  return (
    names.token === VOLUME_BASE_NAMES.token &&
    names.trustBundle === VOLUME_BASE_NAMES.trustBundle &&
    names.workdir === VOLUME_BASE_NAMES.workdir
  );
}
