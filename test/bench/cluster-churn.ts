/**
 * Pod churn through the API server while ztgate runs: pods created at a fixed rate in a few
 * namespaces, each deleted `lifetimeS` later (no kubelet runs: unscheduled pods are deleted at
 * once), with ztgate's Pod webhooks registered, so every pod is mutated and judged and then enters
 * and leaves ztgate's watch cache. ztgate's RSS is read every `sampleS`.
 *
 * Each pod is a bare pod with a ServiceAccount of its own while it lives (a pool per namespace,
 * reused only after the pod that last used it is gone): pods of one identity under different
 * owners are refused by `dedicated-service-account`, and a ReplicaSet owner is no option here, as
 * kube-controller-manager's ReplicaSet controller deletes the pods of a ReplicaSet scaled to 0.
 */
import type { KubeObject } from '../../src/policy/types.js';
import { objectPath, type KubeApi } from './kube-api.js';
import type { MemoryFigures } from './server-process.js';

/** What to churn. */
export interface ChurnOptions {
  /** Pods created (and deleted) per second. */
  readonly rate: number;
  readonly minutes: number;
  readonly namespaces: number;
  /** Seconds from a pod's scheduled creation to its deletion. */
  readonly lifetimeS: number;
  readonly sampleS: number;
}

/** One RSS reading, `atS` seconds into the churn. */
export interface RssSample extends MemoryFigures {
  readonly atS: number;
}

/** What the churn did and what ztgate's memory did meanwhile. */
export interface ChurnFigures {
  readonly created: number;
  readonly deleted: number;
  /** Created pods that came back with ztgate's sidecar (the mutating webhook ran). */
  readonly injected: number;
  readonly createPerS: number;
  readonly deletePerS: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** Most requests in flight at once (the API server falling behind shows here). */
  readonly maxInFlight: number;
  readonly samples: readonly RssSample[];
}

/** Requests in flight at most; a churn that reaches it is held back by the API server or ztgate. */
const MAX_IN_FLIGHT = 200;
const CHURN_LABEL = 'bench.ztgate.dev/churn';
/** A reused ServiceAccount's last pod has been gone this long (watch lag is milliseconds). */
const REUSE_MARGIN_S = 5;

/** The churn namespaces' names. */
export function churnNamespaces(options: ChurnOptions): string[] {
  return Array.from({ length: options.namespaces }, (_, k) => `bench-churn-${k}`);
}

/** ServiceAccounts per namespace: enough that none is reused while its last pod may be in the view. */
export function poolSize(options: ChurnOptions): number {
  return Math.ceil((options.rate * (options.lifetimeS + REUSE_MARGIN_S)) / options.namespaces);
}

/** The churn namespaces, their ServiceAccount pools and the allow-list that covers the pods (loaded with the cluster). */
export function churnObjects(options: ChurnOptions): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const namespace of churnNamespaces(options)) {
    const labels = { 'kubernetes.io/metadata.name': namespace, team: 'bench' };
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } });
    for (let j = 0; j < poolSize(options); j++)
      objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `churn-${j}`, namespace } });
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'churn', namespace },
      spec: {
        podSelector: { matchLabels: { [CHURN_LABEL]: 'true' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8080 }] }],
      },
    });
  }
  return objects;
}

/** The n-th churn pod: its namespace round-robin, its ServiceAccount the pool's next. */
export function churnPod(options: ChurnOptions, n: number): KubeObject {
  const namespace = `bench-churn-${n % options.namespaces}`;
  const sa = `churn-${Math.floor(n / options.namespaces) % poolSize(options)}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `churn-${n}`, namespace, labels: { [CHURN_LABEL]: 'true', app: 'churn' } },
    spec: {
      serviceAccountName: sa,
      // The bench's control plane runs no token controller (cluster.ts): no token to mount.
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'app',
          image: 'registry.example/bench/churn:1',
          ports: [{ containerPort: 8080 }],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

function containerNames(body: Record<string, unknown> | undefined): string[] {
  const spec = body?.['spec'] as { containers?: { name?: string }[] } | undefined;
  return (spec?.containers ?? []).map((c) => c.name ?? '');
}

/** Creates and deletes pods at `options.rate` for `options.minutes`, reading `memory()` meanwhile. */
export async function runChurn(
  api: KubeApi,
  memory: () => Promise<MemoryFigures>,
  options: ChurnOptions & { sidecarName: string },
  log: (line: string) => void,
): Promise<ChurnFigures> {
  const intervalMs = 1000 / options.rate;
  const durationMs = options.minutes * 60_000;
  const samples: RssSample[] = [];
  const errorSamples: string[] = [];
  const deletions: { atMs: number; pod: KubeObject }[] = [];
  const counts = { created: 0, deleted: 0, injected: 0, errors: 0, inFlight: 0, maxInFlight: 0 };
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const fail = (what: string, error: unknown): void => {
    counts.errors += 1;
    if (errorSamples.length < 5)
      errorSamples.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  };
  const track = (work: Promise<void>): void => {
    counts.inFlight += 1;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    void work.finally(() => (counts.inFlight -= 1));
  };
  const create = async (n: number): Promise<void> => {
    const pod = churnPod(options, n);
    try {
      const answer = await api.send('POST', objectPath(pod), pod);
      counts.created += 1;
      if (containerNames(answer.body).includes(options.sidecarName)) counts.injected += 1;
      deletions.push({ atMs: n * intervalMs + options.lifetimeS * 1000, pod });
    } catch (error) {
      fail(`create ${pod.metadata?.namespace}/${pod.metadata?.name}`, error);
    }
  };
  const remove = async (pod: KubeObject): Promise<void> => {
    try {
      await api.send('DELETE', objectPath(pod, true));
      counts.deleted += 1;
    } catch (error) {
      fail(`delete ${pod.metadata?.namespace}/${pod.metadata?.name}`, error);
    }
  };
  const sample = async (): Promise<void> => {
    const atS = elapsed() / 1000;
    const figures = await memory().catch((error: unknown) => fail('reading RSS', error));
    if (figures === undefined) return;
    samples.push({ atS, ...figures });
    const last = samples[samples.length - 1] as RssSample;
    if (samples.length % 6 === 1)
      log(
        `churn ${atS.toFixed(0)} s: RSS ${last.rssMiB.toFixed(0)} MiB, ${counts.created} created, ${counts.deleted} deleted, ${counts.errors} errors`,
      );
  };
  await sample();
  const sampler = setInterval(() => void sample(), options.sampleS * 1000);
  let next = 0;
  try {
    while (elapsed() < durationMs) {
      while (next * intervalMs <= elapsed() && counts.inFlight < MAX_IN_FLIGHT) track(create(next++));
      while ((deletions[0]?.atMs ?? Infinity) <= elapsed() && counts.inFlight < MAX_IN_FLIGHT)
        track(remove((deletions.shift() as { pod: KubeObject }).pod));
      await new Promise((done) => setTimeout(done, 5));
    }
  } finally {
    clearInterval(sampler);
  }
  await sample();
  const seconds = elapsed() / 1000;
  const figures = {
    created: counts.created,
    deleted: counts.deleted,
    injected: counts.injected,
    createPerS: counts.created / seconds,
    // Deletions start one lifetime in.
    deletePerS: counts.deleted / Math.max(1, seconds - options.lifetimeS),
    maxInFlight: counts.maxInFlight,
  };
  // Drain: the pods still alive are deleted at once (not counted in the rates or in maxInFlight).
  while (counts.inFlight > 0) await new Promise((done) => setTimeout(done, 20));
  for (const { pod } of deletions.splice(0)) track(remove(pod));
  while (counts.inFlight > 0) await new Promise((done) => setTimeout(done, 20));
  return { ...figures, errors: counts.errors, errorSamples, samples };
}
