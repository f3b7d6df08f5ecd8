/**
 * Cluster-wide policies: the platform team's guardrails (monitoring scrapes, backup agents),
 * Calico GlobalNetworkPolicy, Cilium CCNP and Istio AuthorizationPolicy in the mesh root
 * namespace. Their number does not grow with tenants, so `--scale` leaves it alone (see run.ts).
 */
import { TIERS, type GeneratedPolicy } from './gen-policies.js';

/** The mesh root namespace ztgate's default config names. */
export const ISTIO_ROOT_NAMESPACE = 'istio-system';

const ENVS = ['prod', 'staging', 'dev'] as const;

/** Builds the `index`-th cluster-wide allow-list policy; flavours rotate GNP, GNP, CCNP, Istio root. */
export function buildClusterWidePolicy(index: number): GeneratedPolicy {
  const tier = TIERS[index % TIERS.length] ?? 'web';
  const env = ENVS[index % ENVS.length] ?? 'prod';
  // Guardrails pick one team's tier: they cost every decision a selector match but cover few
  // workloads, so the per-service allow-lists stay what makes a workload compliant.
  const team = `team-${(index * 37) % 200}`;
  const name = `platform-${team}-${tier}-${index}`;
  switch (index % 4) {
    case 2:
      return {
        variant: 'cilium-clusterwide',
        object: {
          apiVersion: 'cilium.io/v2',
          kind: 'CiliumClusterwideNetworkPolicy',
          metadata: { name },
          spec: {
            endpointSelector: { matchLabels: { tier, team } },
            ingress: [
              {
                fromEndpoints: [
                  { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'monitoring', app: 'prometheus' } },
                ],
                toPorts: [{ ports: [{ port: '9090', protocol: 'TCP' }] }],
              },
            ],
          },
        },
      };
    case 3:
      return {
        variant: 'istio-root',
        object: {
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name, namespace: ISTIO_ROOT_NAMESPACE },
          spec: {
            selector: { matchLabels: { tier, team } },
            action: 'ALLOW',
            rules: [
              {
                from: [{ source: { principals: ['cluster.local/ns/monitoring/sa/prometheus'] } }],
                to: [{ operation: { ports: ['15020'], methods: ['GET'] } }],
              },
            ],
          },
        },
      };
    default:
      return {
        variant: 'calico-global',
        object: {
          apiVersion: 'projectcalico.org/v3',
          kind: 'GlobalNetworkPolicy',
          metadata: { name },
          spec: {
            selector: `tier == '${tier}' && team == '${team}' && has(app)`,
            namespaceSelector: `env == '${env}'`,
            types: ['Ingress'],
            ingress: [
              {
                action: 'Allow',
                protocol: 'TCP',
                source: {
                  selector: `app in {'backup-agent', 'prometheus'}`,
                  namespaceSelector: `kubernetes.io/metadata.name == 'platform'`,
                },
                destination: { ports: [9100 + index] },
              },
            ],
          },
        },
      };
  }
}
