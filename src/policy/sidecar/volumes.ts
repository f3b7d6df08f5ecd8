/** The volumes ztgate adds: the proxy's identity token, the trust bundle and a scratch dir. */
import type { SidecarConfig } from '../config.js';
import {
  API_TOKEN_PATH,
  hasPreferredNames,
  NO_API_TOKEN_SUBPATH,
  TOKEN_FILE,
  VOLUME_BASE_NAMES,
  type VolumeNames,
} from './names.js';
import type { JsonRecord } from './read.js';
import { memoByConfig } from './shared-parts.js';

function freshVolumes(config: SidecarConfig, names: VolumeNames): readonly JsonRecord[] {
  return [
    {
      name: names.token,
      projected: {
        // 0644 is safe: only the proxy container mounts this volume.
        defaultMode: 0o644,
        sources: [
          {
            serviceAccountToken: {
              audience: config.token.audience,
              expirationSeconds: config.token.expirationSeconds,
              path: TOKEN_FILE,
            },
          },
        ],
      },
    },
    { name: names.trustBundle, configMap: { name: config.trustBundleConfigMap } },
    { name: names.workdir, emptyDir: { medium: 'Memory' } },
  ];
}

const defaultVolumesOf = memoByConfig((config) => freshVolumes(config, VOLUME_BASE_NAMES));

/**
 * Builds the three volumes. The token is a projected ServiceAccount token with ztgate's own
 * audience, so it is useless against the API server and expires on its own; the bundle is
 * read-only; the workdir is memory-backed because the proxy keeps its private key there.
 * With the preferred names (no clash in the pod) a frozen config shares one frozen list.
 */
export function buildVolumes(config: SidecarConfig, names: VolumeNames): readonly JsonRecord[] {
  return hasPreferredNames(names) ? defaultVolumesOf(config) : freshVolumes(config, names);
}

/** The empty read-only directory that keeps the API token out of ztgate's containers (names.ts). */
export function noApiTokenMount(volumes: VolumeNames): JsonRecord {
  return { name: volumes.workdir, mountPath: API_TOKEN_PATH, subPath: NO_API_TOKEN_SUBPATH, readOnly: true };
}
