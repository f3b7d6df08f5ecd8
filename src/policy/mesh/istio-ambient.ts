import { ISTIO_INJECT_KEY, ISTIO_STATUS_ANNOTATION } from './istio.js';
import type { MeshKey, MeshProvider } from './provider.js';
import { parseGoBool } from './values.js';

/**
 * Istio ambient mode: no proxy in the pod. The node's ztunnel carries mTLS (HBONE, port 15008);
 * istio-cni installs the pod's redirect after scheduling and marks the pod with the annotation
 * `ambient.istio.io/redirection: enabled`. ztunnel's own traffic is recognised by a packet mark,
 * not by a uid inside the pod, so no uid or gid of the pod is exempt from capture.
 */

/** Namespace and pod label that enrols pods in ambient (`ambient`) or opts one out (`none`). */
export const AMBIENT_DATAPLANE_LABEL = 'istio.io/dataplane-mode';

/** The value that enrols. */
export const AMBIENT_MODE = 'ambient';

/** Annotation istio-cni writes once the pod's redirect is in place (through pods/status). */
export const AMBIENT_REDIRECTION_ANNOTATION = 'ambient.istio.io/redirection';

/** The HBONE port: what a NetworkPolicy sees arriving at an ambient pod, whatever the app port. */
export const HBONE_PORT = 15008;

/**
 * The address istio-cni SNATs the kubelet's probes to in ambient pods (Istio docs, "Ambient and
 * Kubernetes NetworkPolicy"): a default deny must admit it or every probe fails.
 */
export const AMBIENT_PROBE_SOURCE = '169.254.7.127/32';

/** The keys an ambient pod may carry, judged by value (see MeshKey). */
export const AMBIENT_KEYS: readonly MeshKey[] = Object.freeze([
  {
    // istio-cni's enablement selector: pod label NotIn [none] in an ambient namespace. Any value
    // but "ambient" is refused, so a future reading of other values cannot open a gap.
    key: AMBIENT_DATAPLANE_LABEL,
    effect: 'takes the pod out of the ambient mesh',
    judge: (value) =>
      value === AMBIENT_MODE ? undefined : `${JSON.stringify(value)} is not "${AMBIENT_MODE}"`,
  },
  {
    // istio-cni reads it with strconv.ParseBool: "1", "t", "TRUE" … switch inbound capture off.
    key: 'ambient.istio.io/bypass-inbound-capture',
    effect: "switches off ztunnel's inbound capture",
    judge: (value) =>
      parseGoBool(value) === false
        ? undefined
        : `${JSON.stringify(value)} is not a false value ("false", "0" …)`,
  },
  {
    // istio-cni skips ambient redirection for any pod carrying the sidecar status annotation.
    key: ISTIO_STATUS_ANNOTATION,
    effect: 'makes istio-cni skip the ambient redirect (it marks a sidecar pod)',
    judge: () => 'ambient pods carry no sidecar, so the annotation only switches capture off',
  },
  {
    // A sidecar in an ambient namespace replaces ztunnel's capture with one ztgate does not verify here.
    key: ISTIO_INJECT_KEY,
    effect: 'asks for an Istio sidecar instead of ambient capture',
    judge: (value) =>
      value === 'false' ? undefined : `${JSON.stringify(value)} mixes sidecar and ambient modes`,
  },
  {
    // Written by istio-cni after scheduling; on a new pod or a template it is forged.
    key: AMBIENT_REDIRECTION_ANNOTATION,
    effect: 'claims the ambient redirect is in place',
    judge: () => 'only istio-cni writes it, after the pod is scheduled',
  },
] satisfies MeshKey[]);

/** Istio ambient mode. */
export const ISTIO_AMBIENT: MeshProvider = Object.freeze({
  name: 'istio-ambient',
  sidecar: false,
  // Istio's "Ztunnel traffic redirection": ztunnel opens its listeners inside the pod's network
  // namespace on 15001 (outbound), 15006 (inbound plaintext) and 15008 (HBONE).
  reservedPorts: Object.freeze([15001, 15006, 15008]),
  proxyContainerName: undefined,
  redirectInitContainerNames: Object.freeze([]),
  defaultProxyImages: Object.freeze([]),
  defaultControlPlaneNamespace: 'istio-system',
  keys: AMBIENT_KEYS,
  // ztunnel, not the pod, talks to istiod.
  controlPlane: Object.freeze([]),
});
