/**
 * AdmissionReview v1 request bodies: Pods from ReplicaSets (CREATE, a compliant workload's
 * ServiceAccount so the decision walks every rule), Deployments and NetworkPolicies applied by a
 * developer. The /validate bodies are the /mutate bodies with ztgate's patch applied, as the API
 * server sends them after the mutating phase.
 */
import { createRequire } from 'node:module';
import type { KubeObject } from '../../src/policy/types.js';
import type { GeneratedCluster, WorkloadSpec } from './generate.js';
import { buildPod, buildPodSpec, padToSize } from './gen-pod.js';
import { createRng, type Rng } from './prng.js';

// jsonpatch ships no types; only apply_patch is used.
const jsonpatch = createRequire(import.meta.url)('jsonpatch') as {
  apply_patch(document: unknown, patch: unknown): unknown;
};

/** One AdmissionReview request body with the uid the response must echo. */
export interface ReviewBody {
  readonly uid: string;
  readonly kind: 'Pod' | 'Deployment' | 'NetworkPolicy';
  readonly review: KubeObject;
}

/** How many bodies of each kind. */
export interface ReviewCounts {
  readonly pods: number;
  readonly deployments: number;
  readonly networkPolicies: number;
}

/** The bodies, by kind. */
export interface GeneratedReviews {
  readonly pods: readonly ReviewBody[];
  readonly deployments: readonly ReviewBody[];
  readonly networkPolicies: readonly ReviewBody[];
}

const RESOURCES = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
} as const;

function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** The CREATE AdmissionReview of `object` by `user`, with a fresh uid drawn from `rng`. */
export function toReview(
  rng: Rng,
  kind: ReviewBody['kind'],
  object: KubeObject,
  user: KubeObject,
): ReviewBody {
  const uid = uuid(rng);
  const r = RESOURCES[kind];
  const gvk = { group: r.group, version: r.version, kind };
  const gvr = { group: r.group, version: r.version, resource: r.resource };
  const metadata = object.metadata ?? {};
  const request = {
    uid,
    kind: gvk,
    resource: gvr,
    requestKind: gvk,
    requestResource: gvr,
    name: metadata.name ?? '',
    namespace: metadata.namespace ?? '',
    operation: 'CREATE',
    userInfo: user,
    object,
    oldObject: null,
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  };
  return { uid, kind, review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request } };
}

const CONTROLLER = {
  username: 'system:serviceaccount:kube-system:replicaset-controller',
  uid: '6e0c5a5e-0000-4000-a000-000000000001',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};

function developer(rng: Rng): KubeObject {
  return { username: `dev${rng.int(1, 50)}@example.com`, groups: ['developers', 'system:authenticated'] };
}

function deploymentObject(w: WorkloadSpec, rng: Rng): KubeObject {
  const spec = buildPodSpec(w, rng);
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, namespace: w.namespace, labels: w.podLabels },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: w.podLabels.app } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: w.podLabels }, spec },
    },
  };
  padToSize(object, (spec.containers as Record<string, unknown>[])[0] ?? {}, rng.int(4500, 7000), rng);
  return object;
}

function networkPolicyObject(w: WorkloadSpec, rng: Rng, index: number): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `allow-ingress-gw-to-${w.name}-${index}`, namespace: w.namespace },
    spec: {
      podSelector: { matchLabels: { app: w.podLabels.app } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } },
              podSelector: { matchLabels: { app: 'ingress-gateway' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: w.port + rng.int(0, 3) }],
        },
      ],
    },
  };
}

/** Generates review bodies for compliant (policy-covered) workloads of `cluster`, spread over its namespaces. */
export function generateReviews(
  cluster: GeneratedCluster,
  counts: ReviewCounts,
  seed: number,
): GeneratedReviews {
  const rng = createRng(seed ^ 0x5eed);
  const compliant = cluster.workloads.filter((w) => w.covered);
  if (compliant.length === 0) throw new Error('the generated view has no policy-covered workload');
  const pick = (i: number, n: number): WorkloadSpec =>
    compliant[Math.floor((i * compliant.length) / Math.max(n, 1))] as WorkloadSpec;
  const pods = Array.from({ length: counts.pods }, (_, i) =>
    toReview(rng, 'Pod', buildPod(pick(i, counts.pods), rng, rng.int(4400, 7600)), CONTROLLER),
  );
  const deployments = Array.from({ length: counts.deployments }, (_, i) =>
    toReview(rng, 'Deployment', deploymentObject(pick(i, counts.deployments), rng), developer(rng)),
  );
  const networkPolicies = Array.from({ length: counts.networkPolicies }, (_, i) =>
    toReview(
      rng,
      'NetworkPolicy',
      networkPolicyObject(pick(i, counts.networkPolicies), rng, i),
      developer(rng),
    ),
  );
  return { pods, deployments, networkPolicies };
}

/** The body the API server sends to validating webhooks: the object with the mutating patch applied. */
export function applyMutation(body: ReviewBody, patch: readonly unknown[]): ReviewBody {
  const request = body.review.request as Record<string, unknown>;
  const object = patch.length === 0 ? request.object : jsonpatch.apply_patch(request.object, patch);
  return { ...body, review: { ...body.review, request: { ...request, object } } };
}
