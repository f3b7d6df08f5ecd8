/**
 * The default deny's mesh companion, `ztgate-allow-mesh`: what the configured mesh needs to keep
 * working in a namespace that denies everything else. Sidecars call their control plane (istiod
 * on 15012 for configuration and certificates; Linkerd's identity on 8080, destination on 8086 and
 * policy on 8090); under ambient the pods call nothing themselves, but istio-cni SNATs the
 * kubelet's probes to 169.254.7.127, which the deny would drop (Istio docs, "Ambient and
 * Kubernetes NetworkPolicy"). Pure: the default-deny controller writes it, the fix shows it.
 */
import { MANAGED_BY_LABEL, type ZtgateConfig } from '../config.js';
import { AMBIENT_PROBE_SOURCE } from '../mesh/istio-ambient.js';
import { controlPlaneNamespace, meshProvider } from '../mesh/index.js';
import type { DesiredPolicy } from './default-deny.js';

/** The companion's name. */
export const MESH_COMPANION_NAME = 'ztgate-allow-mesh';

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** The companion for `namespace`, or undefined when the mesh needs none (builtin). */
export function buildMeshControlPlanePolicy(
  config: ZtgateConfig,
  namespace: string,
): DesiredPolicy | undefined {
  const policy = (spec: DesiredPolicy['spec']): DesiredPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: MESH_COMPANION_NAME, namespace, labels: { [MANAGED_BY_LABEL]: 'ztgate' } },
    spec,
  });
  if (config.mesh.provider === 'istio-ambient') {
    // Only the probes' SNAT source, and only that address: no pod or namespace is admitted.
    return policy({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: AMBIENT_PROBE_SOURCE } }] }],
    });
  }
  const endpoints = meshProvider(config).controlPlane;
  const controlPlane = controlPlaneNamespace(config);
  if (endpoints.length === 0 || controlPlane === undefined) return undefined;
  return policy({
    podSelector: {},
    policyTypes: ['Egress'],
    egress: endpoints.map((endpoint) => ({
      to: [
        {
          namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: controlPlane } },
          podSelector: { matchLabels: { ...endpoint.podLabels } },
        },
      ],
      ports: endpoint.ports.map((port) => ({ protocol: 'TCP', port })),
    })),
  });
}
