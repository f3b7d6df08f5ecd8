/**
 * What the leader's background audit costs on the benchmark's cluster: a first full pass (every
 * namespace judged, every report and Event body built as the writes would send them), a periodic
 * full pass on an unchanged cluster (judged again, compared with the cached reports, nothing
 * built), and an incremental pass after a one-namespace change (that namespace's partition
 * rebuilt and the view relinked, as the watch cache does, then judged and compared).
 * CPU time of this process, and wall time; no API server, so no HTTP. The baseline, measured in
 * the same run after the periodic passes: `ztgate audit`'s scan of the same cluster.
 *
 *   node --import tsx test/bench/audit-pass.ts [--scale 1] [--passes 3] [--changes 50]
 */
import { stripObject } from '../../src/adapters/kube/strip-object.js';
import type { ViewSnapshot } from '../../src/adapters/view-source.js';
import { backgroundAuditController } from '../../src/controllers/index.js';
import type {
  ControllerContext,
  EnsureIntent,
  Intent,
  NamespaceSubject,
} from '../../src/controllers/index.js';
import { scanClusterView } from '../../src/policy/audit/scan.js';
import { createClusterView } from '../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { namespaceEnforcement } from '../../src/policy/desired/index.js';
import { normalizePolicy } from '../../src/policy/policies/index.js';
import type { ClusterView, KubeObject } from '../../src/policy/types.js';
import type { ViewLayer } from '../../src/policy/view-layer.js';
import {
  buildPartition,
  composePartitions,
  groupByPartition,
  partitionObjects,
  type GatheredPartition,
} from '../../src/policy/view-partitions.js';
import { generateCluster } from './generate.js';

const ROOT = DEFAULT_CONFIG.istioRootNamespace;
const CONFIG = DEFAULT_CONFIG;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** CPU (user + system) and wall milliseconds of `work`. */
function measure(work: () => void): { cpuMs: number; wallMs: number } {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  work();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
}

// What this leader term posted: the runtime sends a post once (see apply-intents.ts).
const posted = new Set<string>();

/** The runtime's side of a reconcile: compare with the cache, build what a write would send; returns the keys written. */
function apply(intents: readonly Intent[], cache: Map<string, KubeObject>, sent: KubeObject[]): string[] {
  const written: string[] = [];
  for (const intent of intents) {
    if (intent.action === 'post') {
      const id = `${intent.namespace}/${intent.name}`;
      if (posted.has(id)) continue;
      posted.add(id);
      const body = intent.body;
      if (body !== undefined) sent.push(body);
      continue;
    }
    if (intent.action !== 'ensure') continue;
    const key = `${intent.namespace ?? ''}/${intent.resource.kind}`;
    const cached = cache.get(key);
    if (cached !== undefined && intent.isUpToDate(cached)) continue;
    const body = (intent as EnsureIntent).create;
    if (body === undefined) continue;
    sent.push(body);
    cache.set(key, body);
    written.push(key);
  }
  return written;
}

/** What the reflector caches once the API server holds the reports written: each reduced to its digest. */
function reduceReports(cache: Map<string, KubeObject>, keys: Iterable<string> = cache.keys()): void {
  for (const key of [...keys]) {
    const body = cache.get(key) as KubeObject;
    cache.set(key, stripObject(body, body.apiVersion ?? '', body.kind ?? ''));
  }
}

/**
 * The generated cluster as it runs under the default provider (Istio): every namespace enrolled
 * (`istio-injection=enabled`, which ztgate's controller sets) and a mesh-wide STRICT
 * PeerAuthentication, so the findings are the workloads' own, not one mesh finding per object.
 */
function meshed(objects: readonly KubeObject[]): KubeObject[] {
  const enrolled = objects.map((object) => {
    if (object.kind !== 'Namespace') return object;
    const labels = {
      ...(object.metadata?.labels as Record<string, string> | undefined),
      'istio-injection': 'enabled',
    };
    return { ...object, metadata: { ...object.metadata, labels } };
  });
  const strict: KubeObject = {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: ROOT, uid: 'bench-strict' },
    spec: { mtls: { mode: 'STRICT' } },
  };
  return [...enrolled, strict];
}

function main(): void {
  const scale = option('scale', 1);
  const passes = option('passes', 3);
  const changes = option('changes', 50);
  const cluster = generateCluster({ scale, seed: 42 });
  const stored = meshed(cluster.objects).map((o) => stripObject(o, o.apiVersion ?? '', o.kind ?? ''));
  const groups = groupByPartition(stored, (policy) => normalizePolicy(policy, { istioRootNamespace: ROOT }));
  const partitions = new Map<string, ViewLayer>();
  for (const [partition, group] of groups) partitions.set(partition, buildPartition(group, ROOT));
  let revision = 1;
  const changedAt = new Map<string, number>();
  const snapshotOf = (view: ClusterView, at: number): ViewSnapshot => ({
    view,
    objectsIn: (namespace) => partitionObjects(view, namespace),
    changedAt: (namespace) => Math.min(at, changedAt.get(namespace) ?? 1),
  });
  const options = { istioRootNamespace: ROOT, serviceAccountsComplete: true };
  let snapshot = snapshotOf(composePartitions(partitions, { ...options, revision }), revision);

  let clock = Date.now();
  const audit = backgroundAuditController(CONFIG, { now: () => clock });
  const context: ControllerContext = {
    config: CONFIG,
    // The audit's only watches are the mesh injector's registrations: listed, and none found
    // (the generated cluster has no injector, so the cluster report holds that one finding).
    watched: () => ({ synced: () => true, get: () => undefined, objectsIn: () => [] }),
    view: () => snapshot,
    serves: () => true,
  };
  const subjects = new Map<string, NamespaceSubject>();
  for (const info of snapshot.view.namespaces()) {
    const object = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: info.name, labels: info.labels },
    };
    const enforcement = namespaceEnforcement(CONFIG, info.name, info.labels);
    subjects.set(info.name, { name: info.name, labels: info.labels, object, enforcement });
  }
  const cache = new Map<string, KubeObject>();
  const sent: KubeObject[] = [];
  const fullPass = (): void => {
    apply(audit.desiredCluster?.(context, { mode: 'enforce', reason: 'enforced' }) ?? [], cache, sent);
    for (const subject of subjects.values()) apply(audit.desired?.(subject, context) ?? [], cache, sent);
  };

  const first = measure(fullPass);
  const writes = cache.size;
  const events = sent.length - writes;
  const reduced = measure(() => reduceReports(cache));
  const unchanged = [...cache.values()];
  const periodic: { cpuMs: number; wallMs: number }[] = [];
  for (let index = 0; index < passes; index += 1) {
    clock += CONFIG.audit.intervalSeconds * 1000;
    periodic.push(measure(fullPass));
  }
  // The runtime's 60 s resync between full passes: nothing changed, nothing is judged again.
  const resync = measure(fullPass);
  if ([...cache.values()].some((report, index) => report !== unchanged[index]))
    throw new Error('a periodic pass rewrote a report');
  const baseline = measure(() => {
    const view = createClusterView(stored, { istioRootNamespace: ROOT, serviceAccountsComplete: true });
    scanClusterView(view, CONFIG);
  });

  // One namespace changes: a Deployment loses its ServiceAccount (a new finding, a rewritten report).
  const namespaces = [...subjects.keys()].filter((name) => groups.has(name));
  const publish: number[] = [];
  const judge: number[] = [];
  for (let index = 0; index < changes; index += 1) {
    const namespace = namespaces[(index * 37) % namespaces.length] as string;
    const group = groups.get(namespace) as GatheredPartition;
    const at = group.objects.findIndex((o) => o.kind === 'Deployment');
    const deployment = group.objects[at] as KubeObject;
    const spec = deployment['spec'] as { template: { spec: Record<string, unknown> } };
    const changed = {
      ...deployment,
      spec: {
        ...spec,
        template: { ...spec.template, spec: { ...spec.template.spec, serviceAccountName: `other-${index}` } },
      },
    };
    group.objects[at] = changed;
    publish.push(
      measure(() => {
        revision += 1;
        partitions.set(namespace, buildPartition(group, ROOT));
        changedAt.set(namespace, revision);
        snapshot = snapshotOf(composePartitions(partitions, { ...options, revision }), revision);
      }).cpuMs,
    );
    judge.push(
      measure(() => {
        const subject = subjects.get(namespace) as NamespaceSubject;
        reduceReports(cache, apply(audit.desired?.(subject, context) ?? [], cache, sent));
      }).cpuMs,
    );
  }
  const rewritten = [...cache.values()].filter((report, index) => report !== unchanged[index]).length;
  const findings = [...audit.status.findings()].reduce((sum, entry) => sum + entry.count, 0);
  const line = (label: string, m: { cpuMs: number; wallMs: number }) =>
    `${label}: ${(m.cpuMs / 1000).toFixed(2)} s CPU (${(m.wallMs / 1000).toFixed(2)} s wall)`;
  const cpu = periodic.map((m) => m.cpuMs);
  const typical = { cpuMs: median(cpu), wallMs: median(periodic.map((m) => m.wallMs)) };
  process.stdout.write(
    `${stored.length} objects, ${subjects.size} namespaces, ${findings} findings, ${writes} reports, ${events} Events\n` +
      `${line('first full pass (judge with no fix rendered yet, build every report and Event body)', first)}\n` +
      `${line('  then the watch cache reducing the new reports to their digests', reduced)}\n` +
      `${line(`periodic full pass, median of ${passes} (judge, compare, write nothing)`, typical)}; ` +
      `range ${(Math.min(...cpu) / 1000).toFixed(2)}-${(Math.max(...cpu) / 1000).toFixed(2)} s\n` +
      `${line('a resync between full passes (nothing judged again)', resync)}\n` +
      `${line('baseline: `ztgate audit` indexing and judging the same cluster', baseline)}; ` +
      `periodic pass / baseline ${(typical.cpuMs / baseline.cpuMs).toFixed(2)}\n` +
      `one-namespace change over ${changes}: publish median ${median(publish).toFixed(2)} ms CPU; ` +
      `audit median ${median(judge).toFixed(2)} ms, max ${Math.max(...judge).toFixed(2)} ms CPU; ` +
      `${rewritten} reports rewritten\n`,
  );
}

main();
