import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The labels a request is counted under. */
export type MetricsRoute = 'validate' | 'mutate';

/** What /metrics exposes: per-app registry, never prom-client's global one. */
export interface AdmissionMetrics {
  readonly registry: Registry;
  /** Counts one answered request with its outcome (allow, deny, warn, error, invalid). */
  observeRequest(route: MetricsRoute, decision: string, seconds: number): void;
  /** Counts violations by rule. */
  observeViolations(rules: readonly string[]): void;
  /** Sets the serving certificate's expiry (ms since epoch) for the seconds-until-expiry gauge. */
  setCertificateExpiry(notAfterMs: number): void;
}

/** Creates the admission metrics on a fresh registry. */
export function createMetrics(): AdmissionMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'ztgate_admission_requests_total',
    help: 'Admission requests answered, by route and decision.',
    labelNames: ['route', 'decision'],
    registers: [registry],
  });
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
  let notAfterMs: number | undefined;
  new Gauge({
    name: 'ztgate_tls_certificate_expiry_seconds',
    help: 'Seconds until the serving certificate expires (negative once expired).',
    registers: [registry],
    collect() {
      if (notAfterMs !== undefined) this.set((notAfterMs - Date.now()) / 1000);
    },
  });
  return {
    registry,
    observeRequest(route, decision, seconds) {
      requests.inc({ route, decision });
      latency.observe({ route }, seconds);
    },
    observeViolations(rules) {
      for (const rule of rules) violations.inc({ rule });
    },
    setCertificateExpiry(value) {
      notAfterMs = value;
    },
  };
}
