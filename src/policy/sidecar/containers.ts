/** The mTLS proxy container ztgate adds (the init container is in init-container.ts). */
import type { SidecarConfig } from '../config.js';
import {
  HEALTH_PATHS,
  MOUNT_PATHS,
  TOKEN_FILE,
  TRUST_BUNDLE_KEY,
  VOLUME_BASE_NAMES,
  hasPreferredNames,
  type VolumeNames,
} from './names.js';
import type { JsonRecord } from './read.js';
import { memoByConfig } from './shared-parts.js';
import { noApiTokenMount } from './volumes.js';

/** What the proxy needs to know about the pod it joins. */
export interface ProxyOptions {
  readonly spiffeId: string;
  readonly volumes: VolumeNames;
  /** Original app probes by proxy path (see probes.ts); omitted from env when empty. */
  readonly appProbes: Readonly<Record<string, JsonRecord>>;
  /** Classic mode only: the pod runs to completion, so the proxy must exit with the app. */
  readonly exitOnAppExit: boolean;
}

/** The proxy's pod-independent parts, in the order they appear in the container. */
interface ProxyParts {
  readonly ports: readonly JsonRecord[];
  /** Every env entry after ZTGATE_SPIFFE_ID and before the optional ones. */
  readonly env: readonly JsonRecord[];
  readonly resources: unknown;
  readonly securityContext: JsonRecord;
  readonly startupProbe: JsonRecord;
  readonly readinessProbe: JsonRecord;
  readonly livenessProbe: JsonRecord;
  /** The mounts when the pod took ztgate's preferred volume names (the usual case). */
  readonly defaultMounts: readonly JsonRecord[];
  /** restartPolicy (native) or the postStart hook (classic). */
  readonly tail: JsonRecord;
}

function volumeMounts(volumes: VolumeNames): JsonRecord[] {
  return [
    { name: volumes.token, mountPath: MOUNT_PATHS.token, readOnly: true },
    { name: volumes.trustBundle, mountPath: MOUNT_PATHS.trustBundle, readOnly: true },
    { name: volumes.workdir, mountPath: MOUNT_PATHS.workdir },
    noApiTokenMount(volumes),
  ];
}

function healthProbe(config: SidecarConfig, path: string, timing: JsonRecord): JsonRecord {
  return { httpGet: { path, port: config.ports.health, scheme: 'HTTP' }, ...timing };
}

function freshProxyParts(config: SidecarConfig): ProxyParts {
  return {
    ports: [{ name: 'ztgate-health', containerPort: config.ports.health, protocol: 'TCP' }],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      {
        name: 'POD_NAMESPACE',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      },
      { name: 'ZTGATE_TRUST_DOMAIN', value: config.trustDomain },
      { name: 'ZTGATE_INBOUND_PORT', value: String(config.ports.inbound) },
      { name: 'ZTGATE_OUTBOUND_PORT', value: String(config.ports.outbound) },
      { name: 'ZTGATE_HEALTH_PORT', value: String(config.ports.health) },
      { name: 'ZTGATE_ADMIN_PORT', value: String(config.ports.admin) },
      { name: 'ZTGATE_TOKEN_FILE', value: `${MOUNT_PATHS.token}/${TOKEN_FILE}` },
      { name: 'ZTGATE_TRUST_BUNDLE_FILE', value: `${MOUNT_PATHS.trustBundle}/${TRUST_BUNDLE_KEY}` },
    ],
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
    defaultMounts: volumeMounts(VOLUME_BASE_NAMES),
    tail: config.native
      ? { restartPolicy: 'Always' }
      : {
          lifecycle: {
            postStart: {
              exec: {
                command: ['ztgate-proxy', 'wait', `--health-port=${config.ports.health}`, '--timeout=120s'],
              },
            },
          },
        },
  };
}

const proxyPartsOf = memoByConfig(freshProxyParts);

function proxyEnv(parts: ProxyParts, options: ProxyOptions): JsonRecord[] {
  const env: JsonRecord[] = [{ name: 'ZTGATE_SPIFFE_ID', value: options.spiffeId }, ...parts.env];
  if (Object.keys(options.appProbes).length > 0) {
    env.push({ name: 'ZTGATE_APP_PROBES', value: JSON.stringify(options.appProbes) });
  }
  if (options.exitOnAppExit) env.push({ name: 'ZTGATE_EXIT_ON_APP_EXIT', value: 'true' });
  return env;
}

/**
 * The mTLS proxy: non-root, read-only root filesystem, no privilege escalation, no capabilities.
 * Native mode makes it a restartable init container: the kubelet then waits for its startup
 * probe before starting later init containers and the app, and stops it when the pod ends.
 * Classic mode cannot rely on that, so the proxy goes first among containers with a postStart
 * hook that blocks until the proxy is ready — the kubelet starts the next container only after
 * the hook returns (Istio's holdApplicationUntilProxyStarts). Only the env (identity, probes)
 * and, on a name clash, the mounts are built per pod; the rest is shared per config.
 */
export function buildProxyContainer(config: SidecarConfig, options: ProxyOptions): JsonRecord {
  const parts = proxyPartsOf(config);
  return {
    name: config.containerName,
    image: config.image,
    ports: parts.ports,
    env: proxyEnv(parts, options),
    resources: parts.resources,
    securityContext: parts.securityContext,
    startupProbe: parts.startupProbe,
    readinessProbe: parts.readinessProbe,
    livenessProbe: parts.livenessProbe,
    volumeMounts: hasPreferredNames(options.volumes) ? parts.defaultMounts : volumeMounts(options.volumes),
    ...parts.tail,
  };
}
