/** The traffic-redirect init container ztgate adds before everything else in the pod. */
import type { SidecarConfig } from '../config.js';
import { hasPreferredNames, VOLUME_BASE_NAMES, type VolumeNames } from './names.js';
import type { JsonRecord } from './read.js';
import { memoByConfig } from './shared-parts.js';
import { noApiTokenMount } from './volumes.js';

/**
 * The init container that installs the iptables redirect. It alone runs as root and adds
 * NET_ADMIN/NET_RAW, because rewriting the pod's netfilter tables needs them; everything else
 * is dropped. Traffic from the proxy's uid is not redirected, or the proxy would loop on itself.
 * The health port is always excluded from inbound capture so the kubelet can probe the proxy.
 */
function freshInitContainer(config: SidecarConfig, volumes: VolumeNames): JsonRecord {
  const inboundExclusions = [config.ports.health, ...config.exclude.inboundPorts];
  return {
    name: config.initContainerName,
    image: config.initImage,
    args: [
      `--inbound-port=${config.ports.inbound}`,
      `--outbound-port=${config.ports.outbound}`,
      `--proxy-uid=${config.runAsUser}`,
      `--exclude-inbound-ports=${inboundExclusions.join(',')}`,
      `--exclude-outbound-ports=${config.exclude.outboundPorts.join(',')}`,
      `--exclude-outbound-cidrs=${config.exclude.outboundCIDRs.join(',')}`,
    ],
    resources: structuredClone(config.resources),
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      // Overrides a pod-level runAsNonRoot: true for this container only.
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [noApiTokenMount(volumes)],
  };
}

const initContainerOf = memoByConfig((config: SidecarConfig) =>
  freshInitContainer(config, VOLUME_BASE_NAMES),
);

/**
 * The init container for a config: it depends on nothing in the pod but the workdir's name, so
 * with the preferred names (no clash in the pod) a frozen config shares one.
 */
export function buildInitContainer(
  config: SidecarConfig,
  volumes: VolumeNames = VOLUME_BASE_NAMES,
): JsonRecord {
  return hasPreferredNames(volumes) ? initContainerOf(config) : freshInitContainer(config, volumes);
}
