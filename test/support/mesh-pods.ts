/**
 * Pods as the meshes' injectors leave them, for verifier tests (and test injectors): Istio's
 * injection-template.yaml (classic, native sidecar, CNI mode) and Linkerd's proxy-injector patch
 * templates (_proxy.tpl, _proxy-init.tpl, _network-validator.tpl) with the charts' default values.
 * Env lists are trimmed to the entries that matter to ztgate; every other field is the template's.
 */
import type { KubeObject } from '../../src/policy/types.js';

type Json = Record<string, unknown>;

/** The Istio release image the tests use. */
export const ISTIO_IMAGE = 'docker.io/istio/proxyv2:1.24.0';

/** The Linkerd release image the tests use. */
export const LINKERD_IMAGE = 'cr.l5d.io/linkerd/proxy:edge-24.11.8';

const APP = { name: 'app', image: 'registry.example/app:1', ports: [{ containerPort: 8080 }] };

/** istio-iptables' arguments as the template renders them with the default values. */
export function istioIptablesArgs(extra: readonly string[] = []): string[] {
  return [
    'istio-iptables',
    '-p',
    '15001',
    '-z',
    '15006',
    '-u',
    '1337',
    '-m',
    'REDIRECT',
    '-i',
    '*',
    '-x',
    '',
    '-b',
    '*',
    '-d',
    '15090,15021,15020',
    '--log_output_level=default:info',
    ...extra,
  ];
}

/** Istio's redirect: istio-init as root with NET_ADMIN/NET_RAW, or istio-validation (CNI) as 1337. */
export function istioInit(cni = false): Json {
  return {
    name: cni ? 'istio-validation' : 'istio-init',
    image: ISTIO_IMAGE,
    args: istioIptablesArgs(cni ? ['--run-validation', '--skip-rule-apply'] : []),
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: cni
      ? {
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          readOnlyRootFilesystem: true,
          runAsGroup: 1337,
          runAsUser: 1337,
          runAsNonRoot: true,
        }
      : {
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
          readOnlyRootFilesystem: false,
          runAsGroup: 0,
          runAsNonRoot: false,
          runAsUser: 0,
        },
  };
}

/** Istio's proxy (`pilot-agent proxy sidecar`), restartable when native. */
export function istioProxy(native = false): Json {
  const proxyConfig = {
    binaryPath: '/usr/local/bin/envoy',
    configPath: './etc/istio/proxy',
    discoveryAddress: 'istiod.istio-system.svc:15012',
    drainDuration: '45s',
    proxyAdminPort: 15000,
    serviceCluster: 'istio-proxy',
    statNameLength: 189,
    statusPort: 15020,
    terminationDrainDuration: '5s',
  };
  return {
    name: 'istio-proxy',
    image: ISTIO_IMAGE,
    ...(native ? { restartPolicy: 'Always' } : {}),
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    args: [
      'proxy',
      'sidecar',
      '--domain',
      '$(POD_NAMESPACE).svc.cluster.local',
      '--proxyLogLevel=warning',
      '--proxyComponentLogLevel=misc:error',
      '--log_output_level=default:info',
    ],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'PROXY_CONFIG', value: `${JSON.stringify(proxyConfig)}\n` },
      { name: 'ISTIO_META_APP_CONTAINERS', value: 'app' },
      { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
    ],
    readinessProbe: {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 0,
      periodSeconds: 15,
      timeoutSeconds: 3,
      failureThreshold: 4,
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
    },
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
}

/** Options of an injected pod. */
export interface InjectedPodOptions {
  readonly native?: boolean;
  readonly cni?: boolean;
  readonly namespace?: string;
  readonly name?: string;
}

/** A Pod as Istio's sidecar injector leaves it (the app container keeps its place after the proxy). */
export function istioInjectedPod(options: InjectedPodOptions = {}): KubeObject {
  const { native = false, cni = false } = options;
  const annotations: Record<string, string> = {
    'istio.io/rev': 'default',
    'kubectl.kubernetes.io/default-container': 'app',
    'sidecar.istio.io/status': JSON.stringify({
      initContainers: [cni ? 'istio-validation' : 'istio-init'],
      containers: native ? [] : ['istio-proxy'],
      volumes: [
        'workload-socket',
        'istio-envoy',
        'istio-data',
        'istio-podinfo',
        'istio-token',
        'istiod-ca-cert',
      ],
      revision: 'default',
    }),
  };
  // What the template writes on every pod when the CNI plugin installs the redirect.
  if (cni) {
    Object.assign(annotations, {
      'sidecar.istio.io/interceptionMode': 'REDIRECT',
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '*',
      'traffic.sidecar.istio.io/includeInboundPorts': '*',
      'traffic.sidecar.istio.io/excludeInboundPorts': '15020',
    });
  }
  const init = istioInit(cni);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name ?? 'web',
      namespace: options.namespace ?? 'shop',
      labels: {
        app: 'web',
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': 'web',
        'service.istio.io/canonical-revision': 'latest',
      },
      annotations,
    },
    spec: {
      serviceAccountName: 'web',
      initContainers: native ? [init, istioProxy(true)] : [init],
      containers: native ? [APP] : [istioProxy(false), APP],
      volumes: [
        { name: 'workload-socket', emptyDir: {} },
        { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
        { name: 'istio-data', emptyDir: {} },
      ],
    },
  };
}

/** Linkerd's proxy as _proxy.tpl renders it with the chart's defaults (no args, env-driven). */
export function linkerdProxy(native = false, defaultPolicy = 'all-authenticated'): Json {
  return {
    name: 'linkerd-proxy',
    image: LINKERD_IMAGE,
    ...(native ? { restartPolicy: 'Always' } : {}),
    env: [
      { name: '_pod_name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: '_pod_ns', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'LINKERD2_PROXY_LOG', value: 'warn,linkerd=info,hickory=error' },
      {
        name: 'LINKERD2_PROXY_DESTINATION_SVC_ADDR',
        value: 'linkerd-dst-headless.linkerd.svc.cluster.local.:8086',
      },
      { name: 'LINKERD2_PROXY_POLICY_SVC_ADDR', value: 'linkerd-policy.linkerd.svc.cluster.local.:8090' },
      { name: 'LINKERD2_PROXY_INBOUND_DEFAULT_POLICY', value: defaultPolicy },
      { name: 'LINKERD2_PROXY_INBOUND_LISTEN_ADDR', value: '[::]:4143' },
      { name: 'LINKERD2_PROXY_IDENTITY_DIR', value: '/var/run/linkerd/identity/end-entity' },
      {
        name: 'LINKERD2_PROXY_IDENTITY_SVC_ADDR',
        value: 'linkerd-identity-headless.linkerd.svc.cluster.local.:8080',
      },
    ],
    livenessProbe: { httpGet: { path: '/live', port: 4191 }, initialDelaySeconds: 10, timeoutSeconds: 1 },
    ports: [
      { containerPort: 4143, name: 'linkerd-proxy' },
      { containerPort: 4191, name: 'linkerd-admin' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 4191 }, initialDelaySeconds: 2, timeoutSeconds: 1 },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 2102,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [
      { mountPath: '/var/run/linkerd/identity/end-entity', name: 'linkerd-identity-end-entity' },
    ],
  };
}

/** linkerd2-proxy-init's arguments with the chart's defaults (nft mode, Galera ports ignored). */
export function linkerdInitArgs(): string[] {
  return [
    '--firewall-bin-path',
    'iptables-nft',
    '--firewall-save-bin-path',
    'iptables-nft-save',
    '--incoming-proxy-port',
    '4143',
    '--outgoing-proxy-port',
    '4140',
    '--proxy-uid',
    '2102',
    '--inbound-ports-to-ignore',
    '4190,4191,4567,4568',
    '--outbound-ports-to-ignore',
    '4567,4568',
  ];
}

/** Linkerd's redirect: linkerd-init (NET_ADMIN/NET_RAW, non-root) or the CNI's network validator. */
export function linkerdInit(cni = false): Json {
  if (cni) {
    return {
      name: 'linkerd-network-validator',
      image: LINKERD_IMAGE,
      command: ['/usr/lib/linkerd/linkerd2-network-validator'],
      args: [
        '--log-format',
        'plain',
        '--log-level',
        'debug',
        '--connect-addr',
        '[fd00::1]:20001',
        '--listen-addr',
        '[::]:4140',
        '--timeout',
        '10s',
      ],
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsGroup: 65534,
        runAsNonRoot: true,
        runAsUser: 65534,
        seccompProfile: { type: 'RuntimeDefault' },
      },
    };
  }
  return {
    name: 'linkerd-init',
    image: LINKERD_IMAGE,
    command: ['/usr/lib/linkerd/linkerd2-proxy-init'],
    args: linkerdInitArgs(),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'] },
      privileged: false,
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      readOnlyRootFilesystem: true,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ mountPath: '/run', name: 'linkerd-proxy-init-xtables-lock' }],
  };
}

/** A Pod as Linkerd's proxy injector leaves it (with the namespace's annotations copied). */
export function linkerdInjectedPod(options: InjectedPodOptions = {}): KubeObject {
  const { native = false, cni = false } = options;
  const init = linkerdInit(cni);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name ?? 'web',
      namespace: options.namespace ?? 'shop',
      labels: { app: 'web', 'linkerd.io/control-plane-ns': 'linkerd', 'linkerd.io/workload-ns': 'shop' },
      annotations: {
        'linkerd.io/created-by': 'linkerd/proxy-injector edge-24.11.8',
        'linkerd.io/inject': 'enabled',
        'linkerd.io/proxy-version': 'edge-24.11.8',
        'linkerd.io/trust-root-sha256': 'a'.repeat(64),
        'config.linkerd.io/default-inbound-policy': 'all-authenticated',
      },
    },
    spec: {
      serviceAccountName: 'web',
      initContainers: native ? [init, linkerdProxy(true)] : [init],
      containers: native ? [APP] : [linkerdProxy(false), APP],
      volumes: [
        { name: 'linkerd-proxy-init-xtables-lock', emptyDir: {} },
        { name: 'linkerd-identity-end-entity', emptyDir: { medium: 'Memory' } },
      ],
    },
  };
}
