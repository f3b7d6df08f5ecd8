/**
 * The synthetic cluster view for the benchmark: namespaces with labels and a default deny,
 * dedicated ServiceAccounts, the Deployments that run as them, and allow-list policies of every
 * flavour. Each namespace draws from its own seeded stream, so the view at `--scale 10` holds the
 * view at 1× unchanged: the same review bodies are compliant in both.
 */
import type { KubeObject, Labels } from '../../src/policy/types.js';
import { buildClusterWidePolicy } from './gen-cluster-wide.js';
import { buildNamespacedPolicy, TIERS, type PolicyVariant } from './gen-policies.js';
import { createRng, mixSeed, stableUid, type Rng } from './prng.js';

/** The 1× view: 2,000 namespaces, 20,000 ServiceAccounts, 10,000 policies. */
export const BASE_VIEW = {
  namespaces: 2000,
  serviceAccountsPerNamespace: 10,
  policiesPerNamespace: 5,
  clusterWidePolicies: 40,
} as const;

/** What to generate. */
export interface GenerateOptions {
  /** Multiplies the namespace count (and so every namespaced object). */
  readonly scale: number;
  readonly seed: number;
  /** Platform-wide policies; fixed by default because they do not grow with tenants. */
  readonly clusterWidePolicies?: number;
}

/** A Deployment of the view, and whether an allow-list policy selects its pods. */
export interface WorkloadSpec {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly podLabels: Labels;
  readonly covered: boolean;
  readonly port: number;
  /** pod-template-hash of the Deployment's current ReplicaSet (`<name>-<hash>`). */
  readonly templateHash: string;
}

/** Object counts, by kind and by policy shape. */
export interface ClusterCounts {
  readonly namespaces: number;
  readonly serviceAccounts: number;
  readonly deployments: number;
  readonly replicaSets: number;
  readonly defaultDenyPolicies: number;
  readonly policies: number;
  readonly byVariant: Readonly<Partial<Record<PolicyVariant, number>>>;
}

/** A generated cluster: every object for the state folder, plus what the review generator needs. */
export interface GeneratedCluster {
  readonly objects: readonly KubeObject[];
  readonly workloads: readonly WorkloadSpec[];
  readonly counts: ClusterCounts;
}

const APPS = [
  'frontend',
  'checkout',
  'payments',
  'cart',
  'catalog',
  'search',
  'orders',
  'users',
  'auth',
  'inventory',
  'shipping',
  'reviews',
  'recommend',
  'ads',
  'email',
  'currency',
  'gateway',
  'ledger',
  'pricing',
  'notify',
] as const;
const ENVS = ['prod', 'staging', 'dev'] as const;

/** Name of the `index`-th generated namespace. */
export function namespaceName(index: number): string {
  return `tenant-${String(index).padStart(5, '0')}`;
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function defaultDeny(namespace: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'ztgate-default-deny',
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'ztgate' },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

function podTemplate(w: WorkloadSpec, labels: Labels): Record<string, unknown> {
  return {
    metadata: { labels },
    spec: {
      serviceAccountName: w.serviceAccount,
      containers: [
        { name: w.name, image: `registry.example.com/${w.name}:1.4.2`, ports: [{ containerPort: w.port }] },
      ],
    },
  };
}

/** The Deployment and its current ReplicaSet: the view resolves a pod's owner through both. */
function controllers(w: WorkloadSpec): KubeObject[] {
  const rsLabels = { ...w.podLabels, 'pod-template-hash': w.templateHash };
  const replicaSet = `${w.name}-${w.templateHash}`;
  const deploymentUid = stableUid(w.namespace, 'Deployment', w.name);
  // The Deployment controller's reference: its group, name and uid (ztgate verifies all three).
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: w.name,
    uid: deploymentUid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: w.name, namespace: w.namespace, uid: deploymentUid, labels: w.podLabels },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: w.podLabels.app } },
        template: podTemplate(w, w.podLabels),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: replicaSet,
        namespace: w.namespace,
        uid: stableUid(w.namespace, 'ReplicaSet', replicaSet),
        labels: rsLabels,
        ownerReferences: [owner],
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: w.podLabels.app, 'pod-template-hash': w.templateHash } },
        template: podTemplate(w, rsLabels),
      },
    },
  ];
}

interface Sink {
  readonly objects: KubeObject[];
  readonly workloads: WorkloadSpec[];
  readonly byVariant: Partial<Record<PolicyVariant, number>>;
}

function generateNamespace(index: number, seed: number, sink: Sink): void {
  const rng = createRng(mixSeed(seed, index));
  const namespace = namespaceName(index);
  const team = `team-${rng.int(0, 199)}`;
  const labels = { 'kubernetes.io/metadata.name': namespace, team, env: rng.pick(ENVS), tenant: namespace };
  sink.objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } });
  sink.objects.push(defaultDeny(namespace));
  const apps = shuffled(rng, APPS).slice(0, BASE_VIEW.serviceAccountsPerNamespace);
  const tiers = apps.map(() => rng.pick(TIERS));
  const covered = new Set<number>();
  for (let p = 0; p < BASE_VIEW.policiesPerNamespace; p++) {
    const target = (p * 2) % apps.length;
    covered.add(target);
    const app = apps[target] ?? 'frontend';
    const caller = apps[(target + 1) % apps.length] ?? 'gateway';
    const policy = buildNamespacedPolicy(
      { namespace, team, app, tier: tiers[target] ?? 'web', caller, port: 8080 + p },
      rng,
      `allow-${caller}-to-${app}`,
    );
    sink.objects.push(policy.object);
    sink.byVariant[policy.variant] = (sink.byVariant[policy.variant] ?? 0) + 1;
  }
  apps.forEach((app, k) => {
    const podLabels = { app, tier: tiers[k] ?? 'web', team, version: `v${rng.int(1, 9)}` };
    const w: WorkloadSpec = {
      namespace,
      name: app,
      serviceAccount: app,
      podLabels,
      covered: covered.has(k),
      port: 8080 + k,
      templateHash: rng.hex(10),
    };
    sink.objects.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: app, namespace, labels: { app, team, 'ztgate.dev/service': app } },
    });
    sink.objects.push(...controllers(w));
    sink.workloads.push(w);
  });
}

/** Generates the whole cluster view, deterministically from `seed`. */
export function generateCluster(options: GenerateOptions): GeneratedCluster {
  const namespaces = Math.max(1, Math.round(BASE_VIEW.namespaces * options.scale));
  const clusterWide = options.clusterWidePolicies ?? BASE_VIEW.clusterWidePolicies;
  const sink: Sink = { objects: [], workloads: [], byVariant: {} };
  for (let i = 0; i < namespaces; i++) generateNamespace(i, options.seed, sink);
  for (let c = 0; c < clusterWide; c++) {
    const policy = buildClusterWidePolicy(c);
    sink.objects.push(policy.object);
    sink.byVariant[policy.variant] = (sink.byVariant[policy.variant] ?? 0) + 1;
  }
  const perNamespace = BASE_VIEW.serviceAccountsPerNamespace;
  return {
    objects: sink.objects,
    workloads: sink.workloads,
    counts: {
      namespaces,
      serviceAccounts: namespaces * perNamespace,
      deployments: namespaces * perNamespace,
      replicaSets: namespaces * perNamespace,
      defaultDenyPolicies: namespaces,
      policies: namespaces * BASE_VIEW.policiesPerNamespace + clusterWide,
      byVariant: sink.byVariant,
    },
  };
}
