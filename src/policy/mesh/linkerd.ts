import { judgeImageValue } from './image-pattern.js';
import type { MeshKey, MeshProvider } from './provider.js';

/**
 * Linkerd. Facts from Linkerd's proxy-injector patch templates and linkerd2-proxy-init: the proxy
 * `linkerd-proxy` runs as uid 2102 and the redirect exempts that uid (`--proxy-uid 2102`; no gid
 * rule); `linkerd-init` installs the redirect, or `linkerd-network-validator` checks the CNI
 * plugin's redirect.
 */
export const LINKERD_PROXY_UID = 2102;

/** Namespace and pod annotation: `enabled` (or `ingress`) injects, anything else does not. */
export const LINKERD_INJECT_ANNOTATION = 'linkerd.io/inject';

/** Namespace and pod annotation: what the proxy admits when no policy names the caller. */
export const LINKERD_DEFAULT_POLICY_ANNOTATION = 'config.linkerd.io/default-inbound-policy';

/** Default inbound policies that require a mesh identity (or deny outright). */
export const LINKERD_STRICT_POLICIES: readonly string[] = [
  'all-authenticated',
  'cluster-authenticated',
  'deny',
];

/** What ztgate sets on the namespaces it enrols. */
export const LINKERD_ENROLLED_POLICY = 'all-authenticated';

/** Ports the redirect leaves alone inbound: the proxy's control (4190) and admin (4191) ports. */
export const LINKERD_EXCLUDED_INBOUND_PORTS: readonly number[] = [4190, 4191];

// The values the injector acts on (pkg/inject/report.go): anything else is "invalid" and skips
// injection; `ingress` injects a proxy in ingress mode, still with mTLS.
const INJECT_VALUES = ['enabled', 'ingress'];

const empty =
  (why: string) =>
  (value: string): string | undefined =>
    value.trim() === '' ? undefined : `${JSON.stringify(value)} ${why}`;

/** The keys a Linkerd pod may carry, judged by value (see MeshKey). */
export const LINKERD_KEYS: readonly MeshKey[] = Object.freeze([
  {
    key: LINKERD_INJECT_ANNOTATION,
    effect: 'skips the proxy injection',
    judge: (value) =>
      INJECT_VALUES.includes(value)
        ? undefined
        : `${JSON.stringify(value)} is neither "enabled" nor "ingress"`,
  },
  {
    key: 'config.linkerd.io/skip-inbound-ports',
    effect: 'lets inbound connections on the listed ports skip the proxy',
    judge: empty('sends inbound traffic on these ports around the proxy'),
    exception: 'ports',
  },
  {
    key: 'config.linkerd.io/skip-outbound-ports',
    effect: 'lets outbound connections to the listed ports skip the proxy',
    judge: empty('sends outbound traffic to these ports around the proxy'),
    exception: 'ports',
  },
  {
    key: 'config.linkerd.io/skip-subnets',
    effect: 'lets traffic to the listed subnets skip the proxy',
    judge: empty('sends traffic to these subnets around the proxy'),
    exception: 'cidrs',
  },
  {
    // The injector copies the namespace's value onto each pod; a weaker one admits plaintext.
    key: LINKERD_DEFAULT_POLICY_ANNOTATION,
    effect: 'sets what the proxy admits from callers no policy names',
    judge: (value) =>
      LINKERD_STRICT_POLICIES.includes(value)
        ? undefined
        : `${JSON.stringify(value)} admits callers without a mesh identity (use ${LINKERD_STRICT_POLICIES.join(', ')})`,
  },
  {
    key: 'config.linkerd.io/proxy-image',
    effect: 'replaces the proxy image',
    judge: judgeImageValue,
    proxyImage: true,
  },
  {
    key: 'config.linkerd.io/proxy-uid',
    effect: 'moves the proxy (and the uid the redirect exempts) to another uid',
    judge: (value) =>
      value.trim() === String(LINKERD_PROXY_UID)
        ? undefined
        : `${JSON.stringify(value)} is not ${LINKERD_PROXY_UID}`,
  },
  {
    key: 'config.linkerd.io/proxy-gid',
    effect: 'makes the redirect exempt a group id as well',
    judge: () => 'any process of that group would skip the proxy',
  },
  {
    // The injector skips a pod that counts as injected already: a version annotation, or Istio's
    // status annotation. Both are written on pods; on a template they only skip injection.
    key: 'linkerd.io/proxy-version',
    effect: "marks a pod as injected already (written by Linkerd's injector on pods)",
    judge: (_value, context) =>
      context.onPod ? undefined : 'on a template it makes the injector skip its pods',
  },
  {
    key: 'sidecar.istio.io/status',
    effect: "marks a pod as injected by Istio, which Linkerd's injector skips",
    judge: () => 'Linkerd would leave the pod without its proxy',
  },
  {
    key: 'config.linkerd.io/proxy-additional-env',
    effect: 'adds environment variables to the proxy (its default policy and identity settings among them)',
    judge: () => 'the pod author would configure the proxy',
  },
] satisfies MeshKey[]);

/** Linkerd. */
export const LINKERD: MeshProvider = Object.freeze({
  name: 'linkerd',
  sidecar: true,
  // linkerd2-proxy's listeners (chart values proxy.ports; the proxy logs them at start): 4140
  // outbound (127.0.0.1), 4143 inbound, 4190 control/tap, 4191 admin (metrics, health; skipped by
  // the inbound redirect so the kubelet can probe it).
  reservedPorts: Object.freeze([4140, 4143, 4190, 4191]),
  proxyContainerName: 'linkerd-proxy',
  redirectInitContainerNames: Object.freeze(['linkerd-init', 'linkerd-network-validator']),
  // The proxy image also runs linkerd-init and the validator; proxy-init is the older init image.
  defaultProxyImages: Object.freeze(['cr.l5d.io/linkerd/proxy', 'cr.l5d.io/linkerd/proxy-init']),
  defaultControlPlaneNamespace: 'linkerd',
  keys: LINKERD_KEYS,
  controlPlane: Object.freeze([
    {
      what: 'linkerd-identity (workload certificates)',
      podLabels: { 'linkerd.io/control-plane-component': 'identity' },
      ports: [8080],
    },
    {
      what: 'linkerd-destination (discovery on 8086, policy on 8090)',
      podLabels: { 'linkerd.io/control-plane-component': 'destination' },
      ports: [8086, 8090],
    },
  ]),
});
