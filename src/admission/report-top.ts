import type { ReportEvent, ReportViolation } from './decision-report.js';

/** A workload (or any object) refused again and again: how often, for which rules, and the latest reasons. */
export interface RefusedObject {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly count: number;
  readonly rules: readonly string[];
  readonly lastTime: string | undefined;
  /** The violations of the latest refusal, each with its fix when the log holds one. */
  readonly violations: readonly ReportViolation[];
}

/**
 * The objects refused most often by real (not dry-run) requests, busiest first: what an auditor
 * looks at first. Ties go to the most recent refusal.
 */
export function topRefused(events: readonly ReportEvent[], limit: number): RefusedObject[] {
  const byObject = new Map<string, { count: number; rules: Set<string>; last: ReportEvent }>();
  for (const event of events) {
    if (event.decision !== 'deny' || event.dryRun) continue;
    const key = `${event.namespace}\u0000${event.kind}\u0000${event.name}`;
    const entry = byObject.get(key) ?? { count: 0, rules: new Set<string>(), last: event };
    entry.count += 1;
    for (const rule of event.rules) entry.rules.add(rule);
    if ((event.time ?? '') >= (entry.last.time ?? '')) entry.last = event;
    byObject.set(key, entry);
  }
  return [...byObject.values()]
    .sort((a, b) => b.count - a.count || (b.last.time ?? '').localeCompare(a.last.time ?? ''))
    .slice(0, limit)
    .map(({ count, rules, last }) => ({
      namespace: last.namespace,
      kind: last.kind,
      name: last.name,
      count,
      rules: [...rules],
      lastTime: last.time,
      violations: last.violations,
    }));
}
