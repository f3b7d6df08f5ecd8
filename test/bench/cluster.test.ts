import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/policy/types.js';
import { churnObjects, churnPod, poolSize, type ChurnOptions, type RssSample } from './cluster-churn.js';
import { countWrites, loadable, ownedBy, planLoad } from './cluster-load.js';
import {
  checkTargets,
  extrapolate,
  OBJECTS_AT_1X,
  rssFloorGrowth,
  rssGrowth,
  type ClusterBenchFigures,
} from './cluster-report.js';
import { generateCluster } from './generate.js';
import { objectPath, pluralOf } from './kube-api.js';

const kindsOf = (objects: readonly KubeObject[]): string[] =>
  [...new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`))].sort();

describe('bench:cluster loading', () => {
  const cluster = generateCluster({ scale: 0.01, seed: 42 });
  const plan = planLoad(cluster.objects);

  it('loads every generated object once, in stages: namespaces, then the rest, ReplicaSets last', () => {
    const stages = [plan.namespaces, plan.objects, plan.replicaSets];
    const generatedNamespaces = cluster.objects.filter((o) => o.kind === 'Namespace').length;
    // istio-system holds the cluster-wide Istio policies and is created bare.
    expect(plan.namespaces.map((n) => n.metadata?.name)).toContain('istio-system');
    expect(stages.flat()).toHaveLength(cluster.objects.length + plan.namespaces.length - generatedNamespaces);
    expect(kindsOf(plan.namespaces)).toEqual(['v1/Namespace']);
    expect(kindsOf(plan.replicaSets)).toEqual(['apps/v1/ReplicaSet']);
    expect(kindsOf(plan.objects)).not.toContain('apps/v1/ReplicaSet');
  });

  it("stores Calico's v3 policies as Calico's CRDs do and serves every custom kind with its scope", () => {
    expect(kindsOf(plan.objects).filter((k) => k.includes('projectcalico'))).toEqual([
      'crd.projectcalico.org/v1/GlobalNetworkPolicy',
      'crd.projectcalico.org/v1/NetworkPolicy',
    ]);
    const served = plan.crds.map((crd) => {
      const spec = crd['spec'] as { group: string; scope: string; names: { kind: string } };
      return `${spec.group}/${spec.names.kind} ${spec.scope}`;
    });
    expect(served.sort()).toEqual([
      'cilium.io/CiliumClusterwideNetworkPolicy Cluster',
      'cilium.io/CiliumNetworkPolicy Namespaced',
      'crd.projectcalico.org/GlobalNetworkPolicy Cluster',
      'crd.projectcalico.org/NetworkPolicy Namespaced',
      'security.istio.io/AuthorizationPolicy Namespaced',
    ]);
  });

  it('runs no pod: workloads at 0 replicas, Deployments paused, no uid of its own', () => {
    const deployment = cluster.objects.find((o) => o.kind === 'Deployment') as KubeObject;
    const loaded = loadable(deployment);
    expect(loaded['spec']).toMatchObject({ replicas: 0, paused: true });
    expect(loaded.metadata?.uid).toBeUndefined();
    expect(plan.replicaSets.every((rs) => (rs['spec'] as { replicas: number }).replicas === 0)).toBe(true);
  });

  it("points a ReplicaSet's owner reference at the Deployment the API server created, and refuses a stale one", () => {
    const rs = plan.replicaSets[0] as KubeObject;
    const owner = rs.metadata?.ownerReferences?.[0];
    const key = `Deployment/${rs.metadata?.namespace}/${owner?.name}`;
    const owned = ownedBy(rs, new Map([[key, 'real-uid']]));
    expect(owned.metadata?.ownerReferences?.[0]).toEqual({ ...owner, uid: 'real-uid' });
    expect(() => ownedBy(rs, new Map())).toThrow(/no Deployment/);
  });

  it('names REST paths as the API server serves them', () => {
    expect(['Namespace', 'NetworkPolicy', 'CiliumClusterwideNetworkPolicy'].map(pluralOf)).toEqual([
      'namespaces',
      'networkpolicies',
      'ciliumclusterwidenetworkpolicies',
    ]);
    const rs = plan.replicaSets[0] as KubeObject;
    expect(objectPath(rs, true)).toBe(
      `/apis/apps/v1/namespaces/${rs.metadata?.namespace}/replicasets/${rs.metadata?.name}`,
    );
    expect(objectPath({ apiVersion: 'v1', kind: 'Namespace' })).toBe('/api/v1/namespaces');
  });

  it("counts the API server's writes from its request counter, not its reads", () => {
    const metrics = [
      'apiserver_request_total{code="201",component="apiserver",resource="pods",verb="POST",version="v1"} 40',
      'apiserver_request_total{code="200",component="apiserver",resource="pods",verb="PUT",version="v1"} 2',
      'apiserver_request_total{code="200",component="apiserver",resource="pods",verb="PATCH",version="v1"} 3',
      'apiserver_request_total{code="200",component="apiserver",resource="pods",verb="DELETE",version="v1"} 5',
      'apiserver_request_total{code="200",component="apiserver",resource="pods",verb="LIST",version="v1"} 700',
      'apiserver_request_total{code="0",component="apiserver",resource="pods",verb="WATCH",version="v1"} 9',
      'apiserver_request_duration_seconds_count{verb="POST"} 40',
    ].join('\n');
    expect(countWrites(metrics)).toBe(50);
  });
});

describe('bench:cluster churn', () => {
  const options: ChurnOptions = { rate: 20, minutes: 1, namespaces: 4, lifetimeS: 10, sampleS: 10 };

  it('reuses a ServiceAccount only after its last pod has been deleted for a few seconds', () => {
    const lastUse = new Map<string, number>();
    for (let n = 0; n < 2000; n++) {
      const pod = churnPod(options, n);
      const key = `${pod.metadata?.namespace}/${(pod['spec'] as { serviceAccountName: string }).serviceAccountName}`;
      const previous = lastUse.get(key);
      if (previous !== undefined)
        expect((n - previous) / options.rate).toBeGreaterThanOrEqual(options.lifetimeS + 5);
      lastUse.set(key, n);
    }
  });

  it("creates each namespace's ServiceAccount pool and an allow-list covering its pods", () => {
    const objects = churnObjects(options);
    expect(objects.filter((o) => o.kind === 'Namespace')).toHaveLength(4);
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toHaveLength(4 * poolSize(options));
    const pod = churnPod(options, 7);
    const policy = objects.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata?.namespace === pod.metadata?.namespace,
    );
    const selector = (policy?.['spec'] as { podSelector: { matchLabels: Record<string, string> } })
      .podSelector;
    expect(pod.metadata?.labels).toMatchObject(selector.matchLabels);
  });
});

describe('bench:cluster report', () => {
  const sample = (atS: number, rssMiB: number): RssSample => ({ atS, rssMiB, peakMiB: rssMiB });

  it('compares the reading at minute 1 with the last one', () => {
    const samples = [sample(0, 300), sample(30, 330), sample(60.2, 320), sample(300, 336), sample(600, 328)];
    expect(rssGrowth(samples, 10)).toEqual({
      refAtS: 60.2,
      refMiB: 320,
      endAtS: 600,
      endMiB: 328,
      maxMiB: 336,
      growthPct: 2.5,
    });
  });

  it('compares the lowest readings of the first and last thirds: a garbage wave is not growth, a leak is', () => {
    // V8 collects old-space garbage in waves (under churn at 1× the old generation grew by about
    // 340 MiB over 90 s, freed by one collection): the last reading may sit on a wave's crest.
    const wave = [0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600].map((atS) =>
      sample(atS, atS === 600 ? 498 : atS === 360 ? 725 : atS === 0 ? 527 : 385 + atS / 100),
    );
    expect(rssFloorGrowth(wave, 10)).toEqual({
      firstWindowS: [60, 240],
      lastWindowS: [420, 600],
      firstMiB: 385.6,
      lastMiB: 389.2,
      growthPct: expect.closeTo(0.93, 2),
    });
    expect(rssGrowth(wave, 10).growthPct).toBeCloseTo(29.16, 1);
    // Kept memory raises every reading, the lowest included.
    const leak = wave.map((s) => ({ ...s, rssMiB: s.rssMiB + s.atS / 10 }));
    expect(rssFloorGrowth(leak, 10).growthPct).toBeGreaterThan(10);
  });

  it('compares from half-way in a churn shorter than two minutes', () => {
    const samples = [sample(0, 100), sample(10, 110), sample(20, 120), sample(30, 120), sample(40, 132)];
    expect(rssGrowth(samples, 40 / 60)).toMatchObject({ refAtS: 20, refMiB: 120, growthPct: 10 });
  });

  it('extrapolates linearly from the empty cluster to 1×', () => {
    // 1,000 objects of which 100 are the bench's: 0.1 MiB an object above the empty 50 MiB.
    expect(extrapolate(50, 150, 1_000, 900)).toBeCloseTo(50 + 0.1 * (OBJECTS_AT_1X + 100));
    expect(extrapolate(50, 150, OBJECTS_AT_1X, OBJECTS_AT_1X)).toBeCloseTo(150);
  });

  const figures = (scale: number, minutes: number, endMiB: number): ClusterBenchFigures => ({
    date: 'd',
    scale,
    namespaces: 2000 * scale,
    generated: OBJECTS_AT_1X * scale,
    loadAverage: [1, 1, 1],
    load: { objects: OBJECTS_AT_1X * scale + 316, createS: 1, settleS: 1, objectsPerS: 1 },
    lists: { runsS: [4, 5, 6], medianS: 5, objects: OBJECTS_AT_1X * scale + 316 },
    empty: {
      readyS: 1,
      readyMiB: 100,
      settledMiB: 100,
      peakMiB: 100,
      reconcileS: 1,
      quietMiB: 100,
      quietS: 0,
    },
    loaded: {
      readyS: 1 + 10 * scale,
      readyMiB: 300,
      settledMiB: 100 + 600 * scale,
      peakMiB: 700,
      reconcileS: 1,
      quietMiB: 100 + 450 * scale,
      quietS: 60,
    },
    publish: { addedMs: [60], removedMs: [70], medianMs: 65, maxMs: 70 },
    churn: {
      created: 100,
      deleted: 100,
      injected: 100,
      createPerS: 20,
      deletePerS: 20,
      errors: 0,
      errorSamples: [],
      maxInFlight: 10,
      samples: [sample(0, 500), sample(60, 500), sample(minutes * 60, endMiB)],
    },
    webhookCallsPerPod: { mutate: 1, validate: 1 },
  });

  it('judges the cluster-mode targets at 1× and RSS under at least 5 minutes of churn', () => {
    const rows = checkTargets(figures(1, 10, 560));
    expect(rows.map((r) => [r.name, r.value, r.pass, r.note])).toEqual([
      ['cluster mode: RSS at 1× after load, controllers settled', 700, false, undefined],
      [
        'cluster mode: RSS at 1× after 60 s more of quiet',
        550,
        undefined,
        'measured; ztgate on the empty cluster 100 MiB, the peak (VmHWM) 700 MiB',
      ],
      ['cluster mode: start → ready at 1×', 11, false, undefined],
      [
        "cluster mode: start → ready over the API server's lists alone, at 1×",
        6,
        undefined,
        `lists alone 4.00, 5.00, 6.00 s, ${OBJECTS_AT_1X + 316} objects, as ztgate lists them`,
      ],
      [
        'cluster mode: RSS growth under churn, lowest reading of the first → last third',
        12,
        false,
        '10.0 min of churn; lowest at 7.0–10.0 min',
      ],
      [
        'cluster mode: RSS under churn, one reading at 1.0 min → end',
        12,
        undefined,
        '10.0 min of churn; highest reading 560 MiB',
      ],
      ['cluster mode: webhook calls per pod under churn (most called route)', 1, true, undefined],
      [
        'cluster mode: publish after a one-namespace change, median',
        65,
        undefined,
        'max 70 ms over 2 changes',
      ],
    ]);
    // ztgate's own share of start-up: ready against the API server's lists alone, in the same run.
    expect(rows[3]?.compared).toEqual({ figure: 11, baseline: 5, against: 'lists alone', unit: 's' });
    expect(rows[4]?.compared).toEqual({
      figure: 560,
      baseline: 500,
      against: 'lowest at 1.0–4.0 min',
      unit: 'MiB',
    });
    expect(rows[5]?.compared).toEqual({ figure: 560, baseline: 500, against: 'RSS at 1.0 min', unit: 'MiB' });
  });

  it('carries a 0.1× or larger run to 1× and says so; judges neither a smaller run nor a short churn', () => {
    const [rss, quiet, ready] = checkTargets(figures(0.5, 10, 500));
    expect(rss?.note).toBe('extrapolated to 1× from 0.5×');
    expect(rss?.value).toBeCloseTo(extrapolate(100, 400, OBJECTS_AT_1X * 0.5 + 316, OBJECTS_AT_1X * 0.5));
    expect(quiet?.value).toBeCloseTo(extrapolate(100, 325, OBJECTS_AT_1X * 0.5 + 316, OBJECTS_AT_1X * 0.5));
    expect(quiet?.note).toMatch(/^extrapolated to 1× from 0.5×; /);
    expect(ready?.pass).toBe(false);
    const small = checkTargets(figures(0.02, 1, 520));
    const judged = small.filter((r) => r.target !== '');
    expect(judged.slice(0, 3).map((r) => r.pass)).toEqual([undefined, undefined, undefined]);
    expect(small[0]?.value).toBeNaN();
    expect(small[1]?.value).toBeNaN();
    expect(judged[2]?.note).toBe(
      '1.0 min of churn, under the 5 min that show a trend; lowest at 0.8–1.0 min',
    );
  });
});
