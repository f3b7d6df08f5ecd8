import { MANAGED_BY_LABEL, type ZtgateConfig } from '../config.js';
import type { KubeObject, ObjectMeta } from '../types.js';
import { buildMeshControlPlanePolicy } from './mesh-control-plane.js';

/** The metadata of an object ztgate creates: its name, namespace and labels (managed-by among them). */
export interface DesiredMetadata extends ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A NetworkPolicy ztgate wants in a namespace. */
export interface DesiredPolicy extends KubeObject {
  readonly apiVersion: 'networking.k8s.io/v1';
  readonly kind: 'NetworkPolicy';
  readonly metadata: DesiredMetadata;
  readonly spec: Readonly<Record<string, unknown>>;
}

/** The namespace label the API server sets from Kubernetes 1.21 on. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function networkPolicy(namespace: string, name: string, spec: DesiredPolicy['spec']): DesiredPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: 'ztgate' } },
    spec,
  };
}

/** The narrow DNS egress allowance that comes with the default deny (pods still resolve names). */
function dnsAllowance(namespace: string, config: ZtgateConfig): DesiredPolicy {
  const { dns } = config.defaultDeny;
  return networkPolicy(namespace, dns.policyName, {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: dns.namespace } },
            podSelector: { matchLabels: { ...dns.podSelector } },
          },
        ],
        ports: dns.ports.map((entry) => ({ protocol: entry.protocol, port: entry.port })),
      },
    ],
  });
}

/**
 * The policies of a namespace's default deny: the deny itself (every pod, both directions, no
 * rules) first, then its companions (the DNS allowance when enabled; what the configured mesh
 * needs under a deny, see mesh-control-plane.ts). The reconciler writes them, the fix of
 * `namespace-default-deny` shows them, and `ztgate audit` lists them as what enforcing would create.
 */
export function buildDesiredPolicies(config: ZtgateConfig, namespace: string): DesiredPolicy[] {
  const deny = networkPolicy(namespace, config.defaultDeny.policyName, {
    podSelector: {},
    policyTypes: ['Ingress', 'Egress'],
  });
  const mesh = buildMeshControlPlanePolicy(config, namespace);
  return [
    deny,
    ...(config.defaultDeny.dns.enabled ? [dnsAllowance(namespace, config)] : []),
    ...(mesh === undefined ? [] : [mesh]),
  ];
}
