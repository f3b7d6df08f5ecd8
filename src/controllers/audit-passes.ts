import { digestOfLines } from '../adapters/kube/report-digest.js';
import type { ViewSnapshot } from '../adapters/view-source.js';
import { resultsContentLines } from '../policy/audit/policy-report.js';
import type { AuditResult } from '../policy/audit/scan.js';
import type { KubeObject } from '../policy/types.js';

/** What the audit remembers of a namespace: enough to know it is current, never the report itself. */
export interface Judged {
  /** The view's changedAt for the namespace when it was judged. */
  readonly at: number;
  /** What was judged beside the view (the mesh injector's state for the cluster-scoped key), or ''. */
  readonly inputs: string;
  readonly pass: number;
  /** When (seconds): the report's timestamps, so a rebuilt report is the same report. */
  readonly seconds: number;
  /** The digest of the report's content (reportContentLines), compared with the cached report's. */
  readonly digest: string;
  /** Findings (fail results) by rule. */
  readonly findings: ReadonlyMap<string, number>;
  /** The names of the Events its refused workloads get. */
  readonly events: readonly string[];
}

/**
 * What judging one key yields: its results, and the report and Event bodies, built only when a
 * write sends them. `namespace` is undefined for the cluster-scoped policies (key '').
 */
export interface Judging {
  readonly namespace: string | undefined;
  readonly results: readonly AuditResult[];
  /** Pass results counted in the report's summary but left out of `results`. */
  readonly unlistedPasses: number;
  report(): KubeObject;
  readonly events: ReadonlyMap<string, () => KubeObject>;
}

/** A judging with what the memory keeps of it. */
export interface Judgement extends Judging {
  readonly judged: Judged;
}

/** What the metrics read: findings by namespace ('' for cluster-scoped policies) and rule, and the last full pass. */
export interface AuditStatus {
  findings(): Iterable<{ readonly namespace: string; readonly rule: string; readonly count: number }>;
  lastFullPass(): { readonly endedAt: number; readonly durationSeconds: number } | undefined;
}

/** The audit's memory of what it judged, and its full passes. */
export interface AuditPasses {
  /**
   * The judgement of `key` for this view: remembered when the view says its inputs did not change,
   * nor the `inputs` read beside the view, and it belongs to the current pass; else `judge` runs
   * now and is remembered.
   */
  current(
    key: string,
    snapshot: ViewSnapshot,
    judge: (seconds: number) => Judging,
    inputs?: string,
  ): { readonly entry: Judged; judgement(): Judgement };
  /** Starts a full pass over `live` when the last one started an interval ago; forgets what left. */
  startIfDue(live: ReadonlySet<string>, keep: string): void;
  /** `key` was judged in this pass, or is not to be judged (exempt). */
  done(key: string): void;
  forget(key: string): void;
  readonly status: AuditStatus;
}

function countFindings(results: readonly AuditResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { result, rule } of results)
    if (result === 'fail') counts.set(rule, (counts.get(rule) ?? 0) + 1);
  return counts;
}

/**
 * Creates the audit's memory. A full pass judges every namespace again, whatever the view says,
 * every `intervalMs` (the first at once); in between a namespace is judged again only when the
 * view's changedAt says one of its inputs changed. The memory keeps digests and counts, not
 * results: a report body is rebuilt (same inputs, same timestamps) only for a write.
 */
export function createAuditPasses(options: {
  readonly now: () => number;
  readonly intervalMs: number;
}): AuditPasses {
  const { now, intervalMs } = options;
  const memo = new Map<string, Judged>();
  let passId = 0;
  let lastStart = Number.NEGATIVE_INFINITY;
  let pass: { readonly id: number; readonly startedAt: number; readonly pending: Set<string> } | undefined;
  let lastFull: { endedAt: number; durationSeconds: number } | undefined;
  const currentPass = (): number => pass?.id ?? passId;

  function finish(): void {
    if (pass === undefined || pass.pending.size > 0) return;
    const endedAt = now();
    lastFull = { endedAt, durationSeconds: (endedAt - pass.startedAt) / 1000 };
    pass = undefined;
  }

  function judgementOf(at: number, inputs: string, seconds: number, judging: Judging): Judgement {
    const { namespace, results, unlistedPasses, events } = judging;
    const digest = digestOfLines(resultsContentLines(namespace, results, unlistedPasses));
    const findings = countFindings(results);
    const judged = { at, inputs, pass: currentPass(), seconds, digest, findings, events: [...events.keys()] };
    return { ...judging, judged };
  }

  return {
    current(key, snapshot, judge, inputs = '') {
      const at = snapshot.changedAt(key);
      const entry = memo.get(key);
      if (entry !== undefined && entry.at === at && entry.inputs === inputs && entry.pass >= currentPass()) {
        let again: Judgement | undefined;
        const judgement = (): Judgement => {
          again ??= judgementOf(at, inputs, entry.seconds, judge(entry.seconds));
          // Never expected (judging is deterministic), but remember what gets written, or it is rewritten every pass.
          if (again.judged.digest !== entry.digest) memo.set(key, again.judged);
          return again;
        };
        return { entry, judgement };
      }
      const seconds = Math.floor(now() / 1000);
      const fresh = judgementOf(at, inputs, seconds, judge(seconds));
      memo.set(key, fresh.judged);
      return { entry: fresh.judged, judgement: () => fresh };
    },
    startIfDue(live, keep) {
      for (const key of memo.keys()) if (key !== keep && !live.has(key)) memo.delete(key);
      if (pass === undefined && now() - lastStart >= intervalMs) {
        passId += 1;
        lastStart = now();
        pass = { id: passId, startedAt: lastStart, pending: new Set(live) };
      } else if (pass !== undefined) {
        for (const key of pass.pending) if (!live.has(key)) pass.pending.delete(key);
      }
      finish();
    },
    done(key) {
      pass?.pending.delete(key);
      finish();
    },
    forget(key) {
      memo.delete(key);
      pass?.pending.delete(key);
      finish();
    },
    status: {
      *findings() {
        for (const [namespace, entry] of memo)
          for (const [rule, count] of entry.findings) yield { namespace, rule, count };
      },
      lastFullPass: () => lastFull,
    },
  };
}
