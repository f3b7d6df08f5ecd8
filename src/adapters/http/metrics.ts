import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionOutcome } from '../../admission/build-response.js';
import type { ViewStats } from '../view-source.js';

/** The labels a request is counted under. */
export type MetricsRoute = 'validate' | 'mutate';

/**
 * The `decision` label: the three outcomes of a judged request, plus `error` (an internal fault:
 * /validate denied with code 500, /mutate answered without a patch) and `invalid` (not a JSON
 * AdmissionReview v1: answered 400 or 415 before any handler ran).
 */
export type MetricsDecision = DecisionOutcome | 'error' | 'invalid';

/** Every value of the `decision` label, each exported from start-up (at 0) so rates exist. */
export const METRICS_DECISIONS: readonly MetricsDecision[] = ['allow', 'deny', 'warn', 'error', 'invalid'];

const ROUTES: readonly MetricsRoute[] = ['validate', 'mutate'];

/** What the state gauges read at scrape time; each is optional (a state folder has no leader). */
export interface MetricsSources {
  readonly viewStats?: () => ViewStats | undefined;
  readonly isLeader?: () => boolean;
}

/** What /metrics exposes: per-app registry, never prom-client's global one. */
export interface AdmissionMetrics {
  readonly registry: Registry;
  /** Counts one answered request with its outcome; `invalid` ones are counted, not timed. */
  observeRequest(route: MetricsRoute, decision: MetricsDecision, seconds: number): void;
  /** Counts violations by rule. */
  observeViolations(rules: readonly string[]): void;
  /** Counts one refused (4xx) request by route and error code, instead of a log line each. */
  observeInvalid(route: MetricsRoute | 'other', code: string): void;
  /** Sets the serving certificate's expiry (ms since epoch). */
  setCertificateExpiry(notAfterMs: number): void;
}

/** Creates the admission metrics on a fresh registry, with Node.js process metrics. */
export function createMetrics(sources: MetricsSources = {}): AdmissionMetrics {
  const registry = new Registry();
  // process_* and nodejs_*: RSS, heap, CPU, event-loop lag, GC, open handles.
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'ztgate_admission_requests_total',
    help: 'Admission requests answered, by route and decision (allow, deny, warn, error, invalid).',
    labelNames: ['route', 'decision'],
    registers: [registry],
  });
  for (const route of ROUTES) for (const decision of METRICS_DECISIONS) requests.inc({ route, decision }, 0);
  const violations = new Counter({
    name: 'ztgate_violations_total',
    help: 'Violations found, by rule.',
    labelNames: ['rule'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'ztgate_admission_duration_seconds',
    help: 'Time to answer an admission request, by route.',
    labelNames: ['route'],
    // Webhook timeouts default to 10s; most answers take well under a millisecond.
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const invalid = new Counter({
    name: 'ztgate_invalid_requests_total',
    help: 'Requests refused as malformed (4xx), by route and error code; not logged one by one.',
    labelNames: ['route', 'code'],
    registers: [registry],
  });
  const certificate = registerCertificateGauges(registry);
  registerStateGauges(registry, sources);
  return {
    registry,
    observeRequest(route, decision, seconds) {
      requests.inc({ route, decision });
      if (decision !== 'invalid') latency.observe({ route }, seconds);
    },
    observeViolations(rules) {
      for (const rule of rules) violations.inc({ rule });
    },
    observeInvalid(route, code) {
      // Codes are ztgate's and Fastify's own constants, so the label set stays small.
      invalid.inc({ route, code: /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'OTHER' });
    },
    setCertificateExpiry: certificate.set,
  };
}

function registerCertificateGauges(registry: Registry): { set(notAfterMs: number): void } {
  let notAfterMs: number | undefined;
  new Gauge({
    name: 'ztgate_tls_certificate_expiry_timestamp_seconds',
    help: 'When the serving certificate expires (Unix time).',
    registers: [registry],
    collect() {
      if (notAfterMs !== undefined) this.set(notAfterMs / 1000);
    },
  });
  new Gauge({
    name: 'ztgate_tls_certificate_expiry_seconds',
    help: 'DEPRECATED (removed in 0.3): seconds until the serving certificate expires; use ztgate_tls_certificate_expiry_timestamp_seconds - time().',
    registers: [registry],
    collect() {
      if (notAfterMs !== undefined) this.set((notAfterMs - Date.now()) / 1000);
    },
  });
  return {
    set(value) {
      notAfterMs = value;
    },
  };
}

/** The view's freshness and size, and leadership: read from their owners at each scrape. */
function registerStateGauges(registry: Registry, sources: MetricsSources): void {
  const { viewStats, isLeader } = sources;
  if (viewStats !== undefined) registerViewGauges(registry, viewStats);
  if (isLeader !== undefined) {
    new Gauge({
      name: 'ztgate_leader',
      help: '1 while this replica holds the leader Lease (only the leader writes), else 0.',
      registers: [registry],
      collect() {
        this.set(isLeader() ? 1 : 0);
      },
    });
  }
}

function registerViewGauges(registry: Registry, viewStats: () => ViewStats | undefined): void {
  new Gauge({
    name: 'ztgate_view_synced_timestamp_seconds',
    help: 'Last time the cluster view was known to match the API server (Unix time): now while every watch is healthy.',
    registers: [registry],
    collect() {
      const synced = viewStats()?.syncedAtMs;
      if (synced !== undefined) this.set(synced / 1000);
    },
  });
  new Gauge({
    name: 'ztgate_view_objects',
    help: 'Objects in the cluster view, by API group and kind.',
    labelNames: ['group', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { group, kind, count } of viewStats()?.objects ?? []) this.set({ group, kind }, count);
    },
  });
  // A counter fed from the reflectors' totals at scrape time (they only grow).
  const seen = new Map<string, number>();
  new Counter({
    name: 'ztgate_view_relists_total',
    help: 'Relists of a watched resource after its first list (a broken watch or an expired resourceVersion), by API group and kind.',
    labelNames: ['group', 'kind'],
    registers: [registry],
    collect() {
      for (const { group, kind, count } of viewStats()?.relists ?? []) {
        const key = `${group}/${kind}`;
        this.inc({ group, kind }, Math.max(0, count - (seen.get(key) ?? 0)));
        seen.set(key, Math.max(count, seen.get(key) ?? 0));
      }
    },
  });
}
