/** The two containers ztgate adds: the traffic-redirect init container and the mTLS proxy. */
import type { SidecarConfig } from '../config.js';
import { HEALTH_PATHS, MOUNT_PATHS, TOKEN_FILE, TRUST_BUNDLE_KEY, type VolumeNames } from './names.js';
import type { JsonRecord } from './read.js';

/** What the proxy needs to know about the pod it joins. */
export interface ProxyOptions {
  readonly spiffeId: string;
  readonly volumes: VolumeNames;
  /** Original app probes by proxy path (see probes.ts); omitted from env when empty. */
  readonly appProbes: Readonly<Record<string, JsonRecord>>;
  /** Classic mode only: the pod runs to completion, so the proxy must exit with the app. */
  readonly exitOnAppExit: boolean;
}

/**
 * The init container that installs the iptables redirect. It alone runs as root and adds
 * NET_ADMIN/NET_RAW, because rewriting the pod's netfilter tables needs them; everything else
 * is dropped. Traffic from the proxy's uid is not redirected, or the proxy would loop on itself.
 * The health port is always excluded from inbound capture so the kubelet can probe the proxy.
 */
export function buildInitContainer(config: SidecarConfig): JsonRecord {
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
  };
}

function proxyEnv(config: SidecarConfig, options: ProxyOptions): JsonRecord[] {
  const env: JsonRecord[] = [
    { name: 'ZTGATE_SPIFFE_ID', value: options.spiffeId },
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    { name: 'ZTGATE_TRUST_DOMAIN', value: config.trustDomain },
    { name: 'ZTGATE_INBOUND_PORT', value: String(config.ports.inbound) },
    { name: 'ZTGATE_OUTBOUND_PORT', value: String(config.ports.outbound) },
    { name: 'ZTGATE_HEALTH_PORT', value: String(config.ports.health) },
    { name: 'ZTGATE_ADMIN_PORT', value: String(config.ports.admin) },
    { name: 'ZTGATE_TOKEN_FILE', value: `${MOUNT_PATHS.token}/${TOKEN_FILE}` },
    { name: 'ZTGATE_TRUST_BUNDLE_FILE', value: `${MOUNT_PATHS.trustBundle}/${TRUST_BUNDLE_KEY}` },
  ];
  if (Object.keys(options.appProbes).length > 0) {
    env.push({ name: 'ZTGATE_APP_PROBES', value: JSON.stringify(options.appProbes) });
  }
  if (options.exitOnAppExit) env.push({ name: 'ZTGATE_EXIT_ON_APP_EXIT', value: 'true' });
  return env;
}

function healthProbe(config: SidecarConfig, path: string, timing: JsonRecord): JsonRecord {
  return { httpGet: { path, port: config.ports.health, scheme: 'HTTP' }, ...timing };
}

/**
 * The mTLS proxy: non-root, read-only root filesystem, no privilege escalation, no capabilities.
 * Native mode makes it a restartable init container: the kubelet then waits for its startup
 * probe before starting later init containers and the app, and stops it when the pod ends.
 * Classic mode cannot rely on that, so the proxy goes first among containers with a postStart
 * hook that blocks until the proxy is ready — the kubelet starts the next container only after
 * the hook returns (Istio's holdApplicationUntilProxyStarts).
 */
export function buildProxyContainer(config: SidecarConfig, options: ProxyOptions): JsonRecord {
  const container: Record<string, unknown> = {
    name: config.containerName,
    image: config.image,
    ports: [{ name: 'ztgate-health', containerPort: config.ports.health, protocol: 'TCP' }],
    env: proxyEnv(config, options),
    resources: structuredClone(config.resources),
    securityContext: {
      runAsUser: config.runAsUser,
      runAsGroup: config.runAsUser,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    startupProbe: healthProbe(config, HEALTH_PATHS.ready, {
      periodSeconds: 1,
      timeoutSeconds: 3,
      failureThreshold: 600,
    }),
    readinessProbe: healthProbe(config, HEALTH_PATHS.ready, {
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    }),
    livenessProbe: healthProbe(config, HEALTH_PATHS.live, {
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    }),
    volumeMounts: [
      { name: options.volumes.token, mountPath: MOUNT_PATHS.token, readOnly: true },
      { name: options.volumes.trustBundle, mountPath: MOUNT_PATHS.trustBundle, readOnly: true },
      { name: options.volumes.workdir, mountPath: MOUNT_PATHS.workdir },
    ],
  };
  if (config.native) {
    container['restartPolicy'] = 'Always';
  } else {
    container['lifecycle'] = {
      postStart: {
        exec: { command: ['ztgate-proxy', 'wait', `--health-port=${config.ports.health}`, '--timeout=120s'] },
      },
    };
  }
  return container;
}
