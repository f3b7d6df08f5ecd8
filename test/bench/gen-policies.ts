/**
 * Policy objects of the four flavours with the selectors platform teams really write: K8s
 * matchLabels/matchExpressions, Calico selector expressions and serviceAccounts sources, Cilium
 * endpoint selectors, Istio principals. Every one is a scoped allow-list (named sources, ports),
 * never allow-all, so a compliant workload's decision walks the whole path and ends in an allow.
 */
import type { KubeObject } from '../../src/policy/types.js';
import type { Rng } from './prng.js';

/** The generated policy shapes; tests check every one is present. */
export const POLICY_VARIANTS = [
  'k8s-match-labels',
  'k8s-match-expressions',
  'calico-selector',
  'calico-service-accounts',
  'calico-global',
  'cilium',
  'cilium-clusterwide',
  'istio',
  'istio-root',
] as const;

/** One of the generated policy shapes. */
export type PolicyVariant = (typeof POLICY_VARIANTS)[number];

/** The workload a namespaced policy protects and the one it lets in. */
export interface PolicyTarget {
  readonly namespace: string;
  readonly team: string;
  readonly app: string;
  readonly tier: string;
  readonly caller: string;
  readonly port: number;
}

/** A generated policy with its shape. */
export interface GeneratedPolicy {
  readonly variant: PolicyVariant;
  readonly object: KubeObject;
}

/** Tiers the workloads and cluster-wide policies use. */
export const TIERS = ['web', 'api', 'db', 'cache', 'worker'] as const;

const NAMESPACED: readonly (readonly [PolicyVariant, number])[] = [
  ['k8s-match-labels', 0.2],
  ['k8s-match-expressions', 0.2],
  ['calico-selector', 0.15],
  ['calico-service-accounts', 0.15],
  ['cilium', 0.15],
  ['istio', 0.15],
];

function meta(name: string, namespace?: string): Record<string, unknown> {
  return namespace === undefined ? { name } : { name, namespace };
}

function otherTier(rng: Rng, tier: string): string {
  return rng.pick(TIERS.filter((t) => t !== tier));
}

const BUILDERS: Record<string, (t: PolicyTarget, rng: Rng, name: string) => KubeObject> = {
  'k8s-match-labels': (t, _rng, name) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name, t.namespace),
    spec: {
      podSelector: { matchLabels: { app: t.app } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { app: t.caller } } }],
          ports: [{ protocol: 'TCP', port: t.port }],
        },
      ],
    },
  }),
  'k8s-match-expressions': (t, rng, name) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name, t.namespace),
    spec: {
      podSelector: {
        matchExpressions: [
          { key: 'app', operator: 'In', values: [t.app] },
          { key: 'tier', operator: 'In', values: [t.tier, otherTier(rng, t.tier)] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { team: t.team } },
              podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [t.caller] }] },
            },
          ],
          ports: [{ protocol: 'TCP', port: t.port }],
        },
      ],
      egress: [
        { to: [{ podSelector: { matchLabels: { tier: 'db' } } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      ],
    },
  }),
  'calico-selector': (t, rng, name) => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: meta(name, t.namespace),
    spec: {
      selector: `app == '${t.app}' && tier in {'${t.tier}', '${otherTier(rng, t.tier)}'}`,
      types: ['Ingress'],
      ingress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { selector: `app == '${t.caller}' && !has(canary)` },
          destination: { ports: [t.port] },
        },
      ],
    },
  }),
  'calico-service-accounts': (t, _rng, name) => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: meta(name, t.namespace),
    spec: {
      selector: `app == '${t.app}'`,
      types: ['Ingress'],
      ingress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { serviceAccounts: { names: [t.caller] }, namespaceSelector: `team == '${t.team}'` },
          destination: { ports: [t.port] },
        },
      ],
    },
  }),
  cilium: (t, _rng, name) => ({
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: meta(name, t.namespace),
    spec: {
      endpointSelector: { matchLabels: { app: t.app } },
      ingress: [
        {
          fromEndpoints: [{ matchLabels: { app: t.caller, 'k8s:io.kubernetes.pod.namespace': t.namespace } }],
          toPorts: [{ ports: [{ port: String(t.port), protocol: 'TCP' }] }],
        },
      ],
    },
  }),
  istio: (t, _rng, name) => ({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: meta(name, t.namespace),
    spec: {
      selector: { matchLabels: { app: t.app } },
      action: 'ALLOW',
      rules: [
        {
          from: [{ source: { principals: [`cluster.local/ns/${t.namespace}/sa/${t.caller}`] } }],
          to: [{ operation: { ports: [String(t.port)], methods: ['GET', 'POST'] } }],
        },
      ],
    },
  }),
};

/** Builds one namespaced allow-list policy protecting `target`, its flavour drawn from `rng`. */
export function buildNamespacedPolicy(target: PolicyTarget, rng: Rng, name: string): GeneratedPolicy {
  let roll = rng.next();
  let variant: PolicyVariant = 'k8s-match-labels';
  for (const [candidate, weight] of NAMESPACED) {
    variant = candidate;
    if ((roll -= weight) < 0) break;
  }
  const build = BUILDERS[variant];
  if (build === undefined) throw new Error(`no builder for ${variant}`);
  return { variant, object: build(target, rng, name) };
}
