import { MANAGED_BY_LABEL, type ZtgateConfig } from '../config.js';
import { controlPlaneNamespace, meshProvider } from '../mesh/index.js';
import { AMBIENT_PROBE_SOURCE } from '../mesh/istio-ambient.js';
import type { DesiredPolicy } from './default-deny.js';

/** The name of the companion that lets the mesh work under ztgate's default deny. */
export const MESH_COMPANION_POLICY_NAME = 'ztgate-allow-mesh';

/** The namespace label the API server sets from Kubernetes 1.21 on (1.20: label it by hand). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Sidecar meshes: every proxy calls its control plane — istiod on 15012 (configuration and
 * workload certificates), Linkerd's identity on 8080 and destination on 8086 (discovery) and
 * 8090 (policy). Under a default deny without this, no proxy gets a certificate and every
 * pod stays unready. Egress only, to the control plane's own pods in its own namespace.
 */
function controlPlaneEgress(config: ZtgateConfig): Record<string, unknown> | undefined {
  const endpoints = meshProvider(config).controlPlane;
  const home = controlPlaneNamespace(config);
  if (endpoints.length === 0 || home === undefined) return undefined;
  return {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: endpoints.map((endpoint) => ({
      to: [
        {
          namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: home } },
          podSelector: { matchLabels: { ...endpoint.podLabels } },
        },
      ],
      ports: endpoint.ports.map((port) => ({ protocol: 'TCP', port })),
    })),
  };
}

/**
 * Ambient: the proxy is the node's ztunnel, which talks to istiod itself, but istio-cni SNATs the
 * kubelet's probes to 169.254.7.127, which a default deny drops (Istio docs, "Ambient and
 * Kubernetes NetworkPolicy"). That one link-local address, nothing else: application traffic
 * arrives on HBONE port 15008 and belongs in each app's own allow-list, never namespace-wide.
 */
function ambientProbes(): Record<string, unknown> {
  return {
    podSelector: {},
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ ipBlock: { cidr: AMBIENT_PROBE_SOURCE } }] }],
  };
}

/**
 * The default deny's mesh companion in a namespace, or undefined when the configured mesh needs
 * none (the builtin injector, whose proxy's needs are the admin's). Like the DNS allowance it is
 * created before the deny and removed after it, and protected like both.
 */
export function buildMeshCompanionPolicy(config: ZtgateConfig, namespace: string): DesiredPolicy | undefined {
  const spec = config.mesh.provider === 'istio-ambient' ? ambientProbes() : controlPlaneEgress(config);
  if (spec === undefined) return undefined;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: MESH_COMPANION_POLICY_NAME,
      namespace,
      labels: { [MANAGED_BY_LABEL]: 'ztgate' },
    },
    spec,
  };
}
