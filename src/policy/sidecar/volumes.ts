/** The volumes ztgate adds: the proxy's identity token, the trust bundle and a scratch dir. */
import type { SidecarConfig } from '../config.js';
import { TOKEN_FILE, type VolumeNames } from './names.js';
import type { JsonRecord } from './read.js';

/**
 * Builds the three volumes. The token is a projected ServiceAccount token with ztgate's own
 * audience, so it is useless against the API server and expires on its own; the bundle is
 * read-only; the workdir is memory-backed because the proxy keeps its private key there.
 */
export function buildVolumes(config: SidecarConfig, names: VolumeNames): readonly JsonRecord[] {
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
