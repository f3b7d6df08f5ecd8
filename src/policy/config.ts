/**
 * ztgate's configuration as the core sees it: a frozen, already validated object.
 * Loading and validating a YAML file is the config adapter's job (src/adapters/config).
 */

/** Resource requests/limits for an injected container. */
export interface ResourceSettings {
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
}

/**
 * ztgate's own injector (config section `sidecar:`), used with `mesh.provider: builtin` only.
 * `trustDomain` is the mesh's trust domain for every provider (SPIFFE IDs, principals in fixes).
 */
export interface SidecarConfig {
  /** The admin's proxy image; no default ("" unless set): ztgate ships no proxy. */
  readonly image: string;
  readonly containerName: string;
  /** The admin's redirect init image; no default. */
  readonly initImage: string;
  readonly initContainerName: string;
  /** Native sidecar (Kubernetes ≥ 1.28): the proxy as an init container with restartPolicy Always. */
  readonly native: boolean;
  readonly ports: {
    readonly inbound: number;
    readonly outbound: number;
    readonly health: number;
    readonly admin: number;
  };
  readonly resources: ResourceSettings;
  readonly trustDomain: string;
  /** Projected ServiceAccount token for the proxy. */
  readonly token: { readonly audience: string; readonly expirationSeconds: number };
  /** ConfigMap holding the trust bundle (ca.crt), mounted read-only. */
  readonly trustBundleConfigMap: string;
  /**
   * Whether the leader copies that ConfigMap from ztgate's namespace into every enforced namespace
   * (the pods mount it from their own namespace, as Istio's istio-ca-root-cert).
   */
  readonly distributeTrustBundle: boolean;
  /** Admin-only exclusions from traffic capture. */
  readonly exclude: {
    readonly inboundPorts: readonly number[];
    readonly outboundPorts: readonly number[];
    readonly outboundCIDRs: readonly string[];
  };
  /** The proxy runs as this uid (non-root). */
  readonly runAsUser: number;
}

/**
 * An admin-approved capture exclusion (`mesh.exceptions[]`): in `namespace`, for the workload
 * whose top-level owner is named `workload` (every workload of the namespace when empty), each
 * listed annotation with exactly this value is not a bypass. It lives in ztgate's config, never
 * on the workload, and only capture-exclusion keys qualify (never an opt-out).
 */
export interface MeshException {
  readonly namespace: string;
  /** The top-level owner's name (Deployment, StatefulSet, CronJob … or the bare Pod); "" for all. */
  readonly workload: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The mesh that carries mTLS (config section `mesh:`). */
export interface MeshConfig {
  /** istio (sidecar mode), istio-ambient, linkerd, or builtin (ztgate's injector, admin's images). */
  readonly provider: 'istio' | 'istio-ambient' | 'linkerd' | 'builtin';
  /** Istio revision (`istio.io/rev`); empty: the default revision (`istio-injection=enabled`). */
  readonly revision: string;
  /**
   * Allowed images of the mesh's own containers (proxy, redirect init, CNI validation) as
   * registry/repository patterns; empty: the provider's defaults (see mesh/image-pattern.ts).
   */
  readonly proxyImages: readonly string[];
  /** The mesh control plane's namespace (istiod, Linkerd's identity and destination); "": the provider's default. */
  readonly controlPlaneNamespace: string;
  /** Whether ztgate's controller creates a STRICT PeerAuthentication where it enforces (Istio providers). */
  readonly createStrictPeerAuthentication: boolean;
  readonly exceptions: readonly MeshException[];
}

/** One hostPath an admin allows in one namespace (`podSecurity.allowedHostPaths`). */
export interface AllowedHostPath {
  readonly namespace: string;
  /** An absolute host path; it allows itself and what lies below it, by whole path segments. */
  readonly pathPrefix: string;
  /** When true, every mount of such a volume must be `readOnly: true`. */
  readonly readOnly: boolean;
}

/** One hostPort an admin allows in one namespace (`podSecurity.allowedHostPorts`). */
export interface AllowedHostPort {
  readonly namespace: string;
  readonly port: number;
}

/**
 * Exceptions to the Pod Security Standards baseline controls (config section `podSecurity:`).
 * They are admin config only: nothing a workload writes can grant one.
 */
export interface PodSecurityConfig {
  readonly allowedHostPaths: readonly AllowedHostPath[];
  readonly allowedHostPorts: readonly AllowedHostPort[];
}

/** The namespace default-deny settings (config section `defaultDeny:`). */
export interface DefaultDenyConfig {
  /** Whether the reconciler creates the policies; when false ztgate only requires them. */
  readonly create: boolean;
  readonly policyName: string;
  readonly dns: {
    readonly enabled: boolean;
    readonly policyName: string;
    /** Labels selecting the DNS pods in kube-system (matchLabels). */
    readonly podSelector: Readonly<Record<string, string>>;
    readonly namespace: string;
    readonly ports: readonly { readonly port: number; readonly protocol: 'UDP' | 'TCP' }[];
  };
}

/** The whole configuration. */
export interface ZtgateConfig {
  /** enforce: deny on violations; audit: allow with warnings. */
  readonly mode: 'enforce' | 'audit';
  /** Namespaces ztgate never judges or mutates (the control plane and ztgate itself). */
  readonly exemptNamespaces: readonly string[];
  /** ztgate's own namespace (always exempt). */
  readonly namespace: string;
  /** Istio mesh root namespace: AuthorizationPolicies there apply mesh-wide. */
  readonly istioRootNamespace: string;
  /** Groups (and users) allowed to weaken or delete ztgate-protected policies. */
  readonly admins: { readonly groups: readonly string[]; readonly users: readonly string[] };
  readonly defaultDeny: DefaultDenyConfig;
  readonly mesh: MeshConfig;
  readonly sidecar: SidecarConfig;
  readonly podSecurity: PodSecurityConfig;
  /** Cluster-mode view freshness: readiness drops when the view is older than this with a broken watch. */
  readonly view: { readonly staleAfterSeconds: number };
  /** The leader's controllers (default deny, trust bundle). */
  readonly controllers: {
    /** Send every controller write with `?dryRun=All`: the API server checks it and persists nothing. */
    readonly dryRun: boolean;
  };
  /** The leader's background audit: PolicyReports, Events and metrics kept current. */
  readonly audit: {
    /** Whether `serve` runs it (cluster mode). */
    readonly background: boolean;
    /** A full pass over every namespace this often; changes are judged as they come. */
    readonly intervalSeconds: number;
  };
  /** The HTTPS server's limits and shutdown (config section `server:`). */
  readonly server: ServerConfig;
}

/**
 * Timeouts, the connection cap and the shutdown drain of `ztgate serve`. The API server gives up
 * on a webhook after its timeoutSeconds (at most 30), so no request needs longer than that.
 */
export interface ServerConfig {
  /** After SIGTERM, /readyz fails at once and admissions are still answered this long. */
  readonly drainDelaySeconds: number;
  /** Headers and body of one request (an HTTP/2 stream, a TLS handshake) must arrive within this. */
  readonly requestTimeoutSeconds: number;
  /**
   * A connection or HTTP/2 session without a request is closed after this. Longer than the API
   * server's own idle timeout (90 s in client-go), so the client, not ztgate, closes an idle
   * keep-alive: a POST sent on a connection the server is closing fails without a retry.
   */
  readonly idleTimeoutSeconds: number;
  /** Connections one process holds at most; more are refused at once. */
  readonly maxConnections: number;
  /**
   * An HTTP/2 session is sent a GOAWAY after this, an HTTP/1.1 keep-alive is closed after its
   * next answer: clients reconnect through the Service, and a restarted replica gets load again.
   */
  readonly maxSessionAgeSeconds: number;
}

/** Namespace label an admin sets for gradual rollout: `ztgate.dev/mode: audit`. */
export const MODE_LABEL = 'ztgate.dev/mode';

/** Namespace label the webhook registrations' namespaceSelectors skip: `ztgate.dev/exempt: 'true'`. */
export const EXEMPT_LABEL = 'ztgate.dev/exempt';

/** Label ztgate puts on the objects it manages. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/** Deep-freezes a value so no adapter or rule can mutate shared config or view data. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/** The defaults: what ztgate does with no config file. */
export const DEFAULT_CONFIG: ZtgateConfig = deepFreeze({
  mode: 'enforce',
  exemptNamespaces: ['kube-system', 'kube-public', 'kube-node-lease', 'ztgate-system'],
  namespace: 'ztgate-system',
  istioRootNamespace: 'istio-system',
  admins: { groups: ['system:masters'], users: [] },
  defaultDeny: {
    create: true,
    policyName: 'ztgate-default-deny',
    dns: {
      enabled: true,
      policyName: 'ztgate-allow-dns',
      podSelector: { 'k8s-app': 'kube-dns' },
      namespace: 'kube-system',
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
  },
  mesh: {
    provider: 'istio',
    revision: '',
    proxyImages: [],
    controlPlaneNamespace: '',
    createStrictPeerAuthentication: true,
    exceptions: [],
  },
  sidecar: {
    // ztgate ships no proxy: `mesh.provider: builtin` needs both images set by the admin.
    image: '',
    containerName: 'ztgate-proxy',
    initImage: '',
    initContainerName: 'ztgate-init',
    native: false,
    ports: { inbound: 15006, outbound: 15001, health: 15021, admin: 15000 },
    resources: {
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    },
    trustDomain: 'cluster.local',
    token: { audience: 'ztgate-mtls', expirationSeconds: 3600 },
    trustBundleConfigMap: 'ztgate-trust-bundle',
    distributeTrustBundle: true,
    exclude: { inboundPorts: [], outboundPorts: [], outboundCIDRs: [] },
    runAsUser: 1337,
  },
  podSecurity: { allowedHostPaths: [], allowedHostPorts: [] },
  view: { staleAfterSeconds: 300 },
  controllers: { dryRun: false },
  audit: { background: true, intervalSeconds: 300 },
  server: {
    drainDelaySeconds: 5,
    requestTimeoutSeconds: 10,
    idleTimeoutSeconds: 120,
    maxConnections: 512,
    maxSessionAgeSeconds: 300,
  },
});

/** Whether a namespace is exempt: configured, or ztgate's own. Nothing in a workload can make it so. */
export function isExemptNamespace(config: ZtgateConfig, namespace: string): boolean {
  return namespace === config.namespace || config.exemptNamespaces.includes(namespace);
}
