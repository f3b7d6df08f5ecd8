import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStateDir } from '../../src/adapters/state-dir/index.js';
import { createClusterView } from '../../src/policy/cluster-view.js';
import { parseConfig } from '../../src/adapters/config/load-config.js';
import { evaluate } from '../../src/policy/engine.js';
import { normalizePolicy } from '../../src/policy/policies/index.js';
import { buildSidecarPatch, injectPodTemplate } from '../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../src/policy/types.js';
import { BASE_VIEW, generateCluster, type GeneratedCluster } from './generate.js';
import { POLICY_VARIANTS } from './gen-policies.js';
import { buildPod } from './gen-pod.js';
import { applyMutation, generateReviews, type ReviewBody } from './gen-reviews.js';
import { BENCH_CONFIG_FILE } from './commands.js';
import { readFileSync } from 'node:fs';
import { createRng } from './prng.js';
import { writeStateDir } from './state-writer.js';

const POLICY_KINDS = new Set([
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'CiliumNetworkPolicy',
  'CiliumClusterwideNetworkPolicy',
  'AuthorizationPolicy',
]);

function countKinds(cluster: GeneratedCluster): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of cluster.objects) {
    const kind = POLICY_KINDS.has(o.kind ?? '') ? 'policy' : (o.kind ?? '');
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** The config the benchmark serves ztgate with (the builtin injector). */
const BENCH_CONFIG = parseConfig(readFileSync(BENCH_CONFIG_FILE, 'utf8'), BENCH_CONFIG_FILE);

const requestOf = (body: ReviewBody) => body.review.request as { namespace: string; object: KubeObject };

describe('generateCluster', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateCluster({ scale: 0.02, seed: 7 })).toEqual(generateCluster({ scale: 0.02, seed: 7 }));
    expect(generateCluster({ scale: 0.02, seed: 8 }).objects).not.toEqual(
      generateCluster({ scale: 0.02, seed: 7 }).objects,
    );
  });

  it.each([
    { scale: 0.01, namespaces: 20 },
    { scale: 0.05, namespaces: 100 },
    { scale: 1, namespaces: 2000 },
  ])('scale $scale holds the issue ratios ($namespaces namespaces)', ({ scale, namespaces }) => {
    const cluster = generateCluster({ scale, seed: 42 });
    const workloads = namespaces * BASE_VIEW.serviceAccountsPerNamespace;
    const policies = namespaces * BASE_VIEW.policiesPerNamespace + BASE_VIEW.clusterWidePolicies;
    expect(countKinds(cluster)).toEqual({
      Namespace: namespaces,
      ServiceAccount: workloads,
      Deployment: workloads,
      ReplicaSet: workloads,
      policy: policies + namespaces,
    });
    expect(cluster.counts).toMatchObject({
      namespaces,
      serviceAccounts: workloads,
      policies,
      defaultDenyPolicies: namespaces,
    });
    expect(Object.values(cluster.counts.byVariant).reduce((a, b) => a + b, 0)).toEqual(policies);
  });

  it('produces every policy shape of the four flavours', () => {
    const { byVariant } = generateCluster({ scale: 0.05, seed: 42 }).counts;
    expect(POLICY_VARIANTS.filter((v) => (byVariant[v] ?? 0) === 0)).toEqual([]);
  });

  it('keeps the smaller view as a prefix of the larger one (same namespaces, same objects)', () => {
    const small = generateCluster({ scale: 0.01, seed: 42, clusterWidePolicies: 0 });
    const large = generateCluster({ scale: 0.1, seed: 42, clusterWidePolicies: 0 });
    expect(large.objects.slice(0, small.objects.length)).toEqual(small.objects);
  });

  it('writes only policies ztgate normalizes without errors or allow-all findings', () => {
    const cluster = generateCluster({ scale: 0.05, seed: 42 });
    const policies = cluster.objects.filter((o) => POLICY_KINDS.has(o.kind ?? ''));
    const normalized = policies.map((o) => normalizePolicy(o, { istioRootNamespace: 'istio-system' }));
    expect(normalized.filter((p) => p === undefined)).toEqual([]);
    expect(
      normalized.flatMap((p) => [...(p?.errors ?? []), ...(p?.allowAll ?? []), ...(p?.allowAllEgress ?? [])]),
    ).toEqual([]);
  });
});

describe('generateReviews', () => {
  const cluster = generateCluster({ scale: 0.05, seed: 42 });
  const reviews = generateReviews(cluster, { pods: 60, deployments: 10, networkPolicies: 10 }, 42);
  const view = createClusterView(cluster.objects, {
    istioRootNamespace: 'istio-system',
    serviceAccountsComplete: true,
  });

  it('is deterministic and gives every body a distinct uid', () => {
    expect(generateReviews(cluster, { pods: 60, deployments: 10, networkPolicies: 10 }, 42)).toEqual(reviews);
    const all = [...reviews.pods, ...reviews.deployments, ...reviews.networkPolicies];
    expect(new Set(all.map((b) => b.uid)).size).toEqual(80);
    expect(all.map((b) => b.kind).filter((k, i, a) => a.indexOf(k) === i)).toEqual([
      'Pod',
      'Deployment',
      'NetworkPolicy',
    ]);
  });

  it('sizes pods at 4–8 KB', () => {
    const sizes = reviews.pods.map((b) => JSON.stringify(requestOf(b).object).length);
    expect(sizes.filter((s) => s < 4096 || s > 8192)).toEqual([]);
  });

  it.each([
    ['Pod', reviews.pods],
    ['Deployment', reviews.deployments],
    ['NetworkPolicy', reviews.networkPolicies],
  ] as const)(
    'builds %s bodies ztgate allows once mutated (the whole decision path runs)',
    (_kind, bodies) => {
      const denied = bodies.flatMap((body) => {
        const { namespace, object } = requestOf(body);
        const injected =
          body.kind === 'Pod'
            ? requestOf(applyMutation(body, buildSidecarPatch(object, BENCH_CONFIG.sidecar, { namespace })))
                .object
            : body.kind === 'Deployment'
              ? injectPodTemplate(object, BENCH_CONFIG.sidecar, namespace)
              : object;
        const decision = evaluate({ operation: 'CREATE', object: injected, namespace }, view, BENCH_CONFIG);
        return decision.allowed ? [] : [{ uid: body.uid, rules: decision.violations.map((v) => v.rule) }];
      });
      expect(denied).toEqual([]);
    },
  );

  it('would be denied for a workload no allow-list covers, so the allow above is earned', () => {
    // Without the platform guardrails, which may happen to select it too.
    const bare = generateCluster({ scale: 0.05, seed: 42, clusterWidePolicies: 0 });
    const bareView = createClusterView(bare.objects, {
      istioRootNamespace: 'istio-system',
      serviceAccountsComplete: true,
    });
    const uncovered = bare.workloads.find((w) => !w.covered);
    if (uncovered === undefined) throw new Error('every workload is covered');
    const pod = buildPod(uncovered, createRng(1), 5000);
    const decision = evaluate(
      { operation: 'CREATE', object: pod, namespace: uncovered.namespace },
      bareView,
      BENCH_CONFIG,
    );
    expect(decision.violations.map((v) => v.rule)).toContain('allow-list-policy');
  });
});

describe('writeStateDir', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(['json', 'yaml'] as const)(
    'writes %s the state-dir loader reads back unchanged',
    async (format) => {
      const dir = await mkdtemp(join(tmpdir(), 'ztgate-bench-'));
      dirs.push(dir);
      const cluster = generateCluster({ scale: 0.01, seed: 3 });
      await writeStateDir(dir, cluster.objects, format);
      expect(await loadStateDir(dir)).toEqual(cluster.objects);
    },
  );
});
