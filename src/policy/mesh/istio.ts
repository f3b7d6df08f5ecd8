import { judgeImageValue } from './image-pattern.js';
import type { MeshKey, MeshProvider } from './provider.js';
import { isIstioInjectOn, isPortSubset, parseGoBool, parsePortList } from './values.js';

/**
 * Istio in sidecar mode. Facts from Istio's injection template (manifests/charts/istio-control/
 * istio-discovery/files/injection-template.yaml) and istio-iptables: the proxy `istio-proxy` runs
 * as uid and gid 1337, and the redirect exempts both (`-u 1337 -g 1337`); `istio-init` installs
 * the redirect, or `istio-validation` checks the CNI plugin's redirect (it also runs as 1337).
 */
export const ISTIO_PROXY_UID = 1337;

/** Istio's proxy gid; istio-iptables exempts it as well as the uid. */
export const ISTIO_PROXY_GID = 1337;

/** Namespace label of the default revision's injector (`enabled`; `disabled` switches every webhook off). */
export const ISTIO_INJECTION_LABEL = 'istio-injection';

/** Namespace label selecting a revision's injector; ignored while `istio-injection` is set. */
export const ISTIO_REV_LABEL = 'istio.io/rev';

/** Pod label (and legacy annotation) that opts a pod in or out of injection. */
export const ISTIO_INJECT_KEY = 'sidecar.istio.io/inject';

/** Pod annotation the injector writes on every pod it injected (a JSON status). */
export const ISTIO_STATUS_ANNOTATION = 'sidecar.istio.io/status';

/** Istio's own ports the redirect never captures inbound: Envoy's Prometheus, health, agent status. */
export const ISTIO_EXCLUDED_INBOUND_PORTS: readonly number[] = [15090, 15021, 15020];

/** The proxy's outbound and inbound capture ports (istio-iptables `-p`, `-z`). */
export const ISTIO_CAPTURE_PORTS = { outbound: 15001, inbound: 15006 } as const;

/** istiod's xDS and CA port (TLS), which every sidecar calls. */
export const ISTIOD_XDS_PORT = 15012;

// Injection templates a pod may pick with `inject.istio.io/templates`; others (grpc-agent,
// grpc-simple: proxyless gRPC, no Envoy, no redirect; or any custom one) change what runs.
const SIDECAR_TEMPLATES = ['sidecar'];

const exactly =
  (wanted: string, why: string) =>
  (value: string): string | undefined =>
    value === wanted ? undefined : `${JSON.stringify(value)} ${why} (Istio writes "${wanted}")`;

const empty =
  (why: string) =>
  (value: string): string | undefined =>
    value === '' ? undefined : `${JSON.stringify(value)} ${why}`;

const never = (why: string) => (): string => why;

/** The keys an Istio sidecar pod may carry, judged by value (see MeshKey). */
export const ISTIO_KEYS: readonly MeshKey[] = Object.freeze([
  {
    key: ISTIO_INJECT_KEY,
    effect: 'skips the sidecar injection',
    // An empty value falls back to the namespace default in every release.
    judge: (value) =>
      value === '' || isIstioInjectOn(value)
        ? undefined
        : `${JSON.stringify(value)} is not read as "inject" by every Istio release (only true, y, yes or on are)`,
  },
  {
    key: 'traffic.sidecar.istio.io/includeInboundPorts',
    effect: 'narrows inbound capture to the listed ports',
    judge: exactly('*', 'leaves every other inbound port uncaptured'),
  },
  {
    key: 'traffic.sidecar.istio.io/excludeInboundPorts',
    effect: 'lets inbound connections on the listed ports skip the proxy',
    judge: (value) =>
      isPortSubset(value, ISTIO_EXCLUDED_INBOUND_PORTS)
        ? undefined
        : `${JSON.stringify(value)} excludes ports beyond Istio's own ${ISTIO_EXCLUDED_INBOUND_PORTS.join(', ')}`,
    exception: 'ports',
  },
  {
    key: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
    effect: 'narrows outbound capture to the listed ranges',
    judge: exactly('*', 'leaves every other destination uncaptured'),
  },
  {
    key: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
    effect: 'lets outbound connections to the listed ranges skip the proxy',
    judge: empty('sends traffic to these ranges around the proxy'),
    exception: 'cidrs',
  },
  {
    // Additive: these ports are captured even where an IP range is excluded.
    key: 'traffic.sidecar.istio.io/includeOutboundPorts',
    effect: 'adds outbound ports to capture',
    judge: (value) =>
      parsePortList(value) === undefined ? `${JSON.stringify(value)} is no port list` : undefined,
  },
  {
    key: 'traffic.sidecar.istio.io/excludeOutboundPorts',
    effect: 'lets outbound connections to the listed ports skip the proxy',
    judge: empty('sends traffic to these ports around the proxy'),
    exception: 'ports',
  },
  {
    key: 'traffic.sidecar.istio.io/excludeInterfaces',
    effect: 'lets traffic on the listed interfaces skip the proxy',
    judge: empty('sends traffic on these interfaces around the proxy'),
    exception: 'interfaces',
  },
  {
    key: 'sidecar.istio.io/interceptionMode',
    effect: 'changes how traffic is redirected to the proxy',
    // NONE installs no redirect; TPROXY makes the proxy run as root with NET_ADMIN.
    judge: exactly('REDIRECT', 'is not the redirect ztgate verifies'),
  },
  {
    key: 'status.sidecar.istio.io/port',
    effect: 'moves the agent status port, which the redirect excludes from inbound capture',
    judge: exactly('15020', 'would exclude another port from inbound capture'),
  },
  {
    key: 'proxy.istio.io/config',
    effect:
      'overrides the proxy configuration (interception mode, bootstrap, control plane address, metadata passed to the redirect)',
    judge: never('a per-pod proxy configuration can switch off the redirect or point the proxy elsewhere'),
  },
  {
    key: 'sidecar.istio.io/bootstrapOverride',
    effect: "replaces Envoy's bootstrap configuration",
    judge: never('a custom bootstrap can drop mTLS and the control plane'),
  },
  {
    key: 'sidecar.istio.io/discoveryAddress',
    effect: 'points the proxy at another control plane',
    judge: never('the proxy would take its configuration from elsewhere'),
  },
  {
    key: 'sidecar.istio.io/controlPlaneAuthPolicy',
    effect: 'sets the control plane connection security',
    judge: exactly('MUTUAL_TLS', 'weakens the control plane connection'),
  },
  {
    key: 'sidecar.istio.io/proxyImage',
    effect: 'replaces the proxy image (Istio uses it for istio-init too)',
    judge: judgeImageValue,
    proxyImage: true,
  },
  {
    key: 'sidecar.istio.io/userVolume',
    prefix: true,
    effect: 'mounts volumes of the pod author into the proxy',
    judge: never('the proxy could be given another bootstrap, certificate or binary'),
  },
  {
    key: 'inject.istio.io/templates',
    effect: 'picks another injection template',
    judge: (value) =>
      value.split(',').every((name) => SIDECAR_TEMPLATES.includes(name.trim()))
        ? undefined
        : `${JSON.stringify(value)} names a template other than "sidecar" (proxyless or custom templates run no Envoy redirect)`,
  },
  {
    key: 'sidecar.istio.io/capNetBindService',
    effect: 'runs the proxy as root',
    judge: (value) =>
      parseGoBool(value) === false ? undefined : `${JSON.stringify(value)} makes the proxy run as uid 0`,
  },
  {
    // Read by client proxies: anything but "istio" makes callers send plaintext to this pod.
    key: 'security.istio.io/tlsMode',
    effect: 'tells callers whether to use mTLS with this pod',
    judge: exactly('istio', 'tells callers to skip mTLS'),
  },
  {
    // Written by the injector on the pods it injects; on a template it makes the injector treat
    // the pods as injected already, and a forged `proxy.istio.io/overrides` is replayed over the
    // injected containers.
    key: ISTIO_STATUS_ANNOTATION,
    effect: "marks a pod as injected already (written by Istio's injector on pods)",
    judge: (_value, context) =>
      context.onPod ? undefined : 'only the injector writes it, on the pods it injected',
  },
  {
    key: 'proxy.istio.io/overrides',
    effect: "replays container overrides over the injected containers (written by Istio's injector on pods)",
    judge: (_value, context) =>
      context.onPod ? undefined : 'only the injector writes it, on the pods it injected',
  },
] satisfies MeshKey[]);

/** Istio sidecar mode. */
export const ISTIO: MeshProvider = Object.freeze({
  name: 'istio',
  sidecar: true,
  // "Ports used by Istio" (istio.io, Application Requirements): 15000 Envoy admin, 15001 outbound,
  // 15004 debug, 15006 inbound, 15008 HBONE mTLS tunnel, 15020 merged Prometheus telemetry,
  // 15021 health checks (excluded from inbound capture), 15053 DNS (with DNS capture), 15090
  // Envoy Prometheus telemetry.
  reservedPorts: Object.freeze([15000, 15001, 15004, 15006, 15008, 15020, 15021, 15053, 15090]),
  proxyContainerName: 'istio-proxy',
  redirectInitContainerNames: Object.freeze(['istio-init', 'istio-validation']),
  // Istio's release hubs; a mirror is the admin's to list (see mesh/image-pattern.ts).
  defaultProxyImages: Object.freeze(['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2']),
  defaultControlPlaneNamespace: 'istio-system',
  keys: ISTIO_KEYS,
  controlPlane: Object.freeze([
    {
      what: 'istiod (configuration and workload certificates)',
      podLabels: { app: 'istiod' },
      ports: [ISTIOD_XDS_PORT],
    },
  ]),
});
