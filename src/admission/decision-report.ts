import { DECISION_MESSAGE } from './decision-record.js';
import { parseLogLine } from './log-line.js';

/** One count in a report table. */
export interface ReportCount {
  readonly key: string;
  readonly count: number;
}

/** Counts of one kind of decision by namespace, rule and user, busiest first. */
export interface ReportBreakdown {
  readonly byNamespace: readonly ReportCount[];
  readonly byRule: readonly ReportCount[];
  readonly byUser: readonly ReportCount[];
}

/** One violation as the decision log records it (`fix` since ztgate logs it). */
export interface ReportViolation {
  readonly rule: string;
  readonly path: string;
  readonly message: string;
  readonly fix?: string;
}

/** One refused (deny) or warned (audit mode) request: who, what, when, why. */
export interface ReportEvent {
  readonly time: string | undefined;
  readonly decision: 'deny' | 'warn';
  /** The replica that answered (kubectl's --prefix, else pino's hostname: the pod name). */
  readonly replica: string | undefined;
  readonly user: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly operation: string;
  readonly dryRun: boolean;
  readonly rules: readonly string[];
  readonly violations: readonly ReportViolation[];
}

/** Decisions by outcome. */
export interface DecisionCounts {
  readonly decisions: number;
  readonly allowed: number;
  readonly warned: number;
  readonly denied: number;
}

/** What the lines of the input were. */
export interface LineCounts {
  /** Non-empty lines read. */
  readonly read: number;
  readonly decisions: number;
  /** JSON lines that are not decisions (ztgate's other log lines). */
  readonly otherLogLines: number;
  /** Lines that are not JSON objects, even with kubectl's prefix and timestamp taken off. */
  readonly notJson: number;
  /** 1-based number of the first such line. */
  readonly firstNotJson: number | undefined;
}

/** The aggregation `ztgate report` prints. Dry-run requests are counted apart, never in the breakdowns. */
export interface DecisionReport extends DecisionCounts {
  readonly dryRun: DecisionCounts;
  /** ISO timestamps of the first and last decision line (undefined when the log has none). */
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly denials: ReportBreakdown;
  /** Audit-mode warnings: admitted, but enforcing would refuse them. */
  readonly warnings: ReportBreakdown;
  /** Decisions per replica, when the log says which one answered. */
  readonly replicas: readonly ReportCount[];
  /** Every refused and warned request, dry runs included (flagged), by time (log order for equal times). */
  readonly events: readonly ReportEvent[];
  readonly lines: LineCounts;
}

type Line = Record<string, unknown>;

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function record(line: Line, key: string): Line {
  const value = line[key];
  return value !== null && typeof value === 'object' ? (value as Line) : {};
}

function bump(table: Map<string, number>, key: string): void {
  table.set(key, (table.get(key) ?? 0) + 1);
}

function sorted(table: Map<string, number>): ReportCount[] {
  return [...table]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function violationsOf(line: Line): ReportViolation[] {
  const list = Array.isArray(line['violations']) ? (line['violations'] as unknown[]) : [];
  return list.map((entry) => {
    const item = entry !== null && typeof entry === 'object' ? (entry as Line) : {};
    const fix = typeof item['fix'] === 'string' && item['fix'] !== '' ? { fix: item['fix'] } : {};
    return {
      rule: text(item['rule'], '(unknown)'),
      path: text(item['path'], ''),
      message: text(item['message'], ''),
      ...fix,
    };
  });
}

function toEvent(line: Line, time: string | undefined, replica: string | undefined): ReportEvent {
  const violations = violationsOf(line);
  const reason = typeof line['error'] === 'string' ? '(internal error)' : '(no violation: see log)';
  const rules = [...new Set(violations.map((violation) => violation.rule))];
  return {
    time,
    decision: line['decision'] === 'warn' ? 'warn' : 'deny',
    replica,
    user: text(record(line, 'user')['username'], '(unknown)'),
    namespace: text(line['namespace'], '(cluster)'),
    kind: text(record(line, 'kind')['kind'], '(unknown)'),
    name: text(line['name'], '(unnamed)'),
    operation: text(line['operation'], '(unknown)'),
    dryRun: line['dryRun'] === true,
    rules: rules.length > 0 ? rules : [reason],
    violations,
  };
}

// pino writes epoch milliseconds; accept ISO strings too (pino.stdTimeFunctions.isoTime).
function timeOf(line: Line, stampMs: number | undefined): number {
  const time = line['time'];
  const parsed = typeof time === 'number' ? time : Date.parse(String(time));
  return Number.isFinite(parsed) ? parsed : (stampMs ?? Number.NaN);
}

/** Counts by namespace, rule and user, built one event at a time. */
function createBreakdown() {
  const tables = {
    namespace: new Map<string, number>(),
    rule: new Map<string, number>(),
    user: new Map<string, number>(),
  };
  return {
    add(event: ReportEvent): void {
      bump(tables.namespace, event.namespace);
      bump(tables.user, event.user);
      for (const rule of event.rules) bump(tables.rule, rule);
    },
    finish: (): ReportBreakdown => ({
      byNamespace: sorted(tables.namespace),
      byRule: sorted(tables.rule),
      byUser: sorted(tables.user),
    }),
  };
}

function emptyCounts(): { decisions: number; allowed: number; warned: number; denied: number } {
  return { decisions: 0, allowed: 0, warned: 0, denied: 0 };
}

/** Aggregates decision log lines one at a time, so a log of any length is read as a stream. */
export interface DecisionReportBuilder {
  /** Takes one raw line of the log. */
  add(raw: string): void;
  /** The report of every line added so far. */
  finish(): DecisionReport;
}

/**
 * A builder for `ztgate report`: decisions of every replica (kubectl's `--prefix` and
 * `--timestamps` lines too), denials and audit-mode warnings by namespace, rule and user, dry
 * runs counted apart, and every line that is not a decision counted.
 */
export function createDecisionReportBuilder(): DecisionReportBuilder {
  const real = emptyCounts();
  const dry = emptyCounts();
  const lines = {
    read: 0,
    decisions: 0,
    otherLogLines: 0,
    notJson: 0,
    firstNotJson: undefined as number | undefined,
  };
  const denials = createBreakdown();
  const warnings = createBreakdown();
  const replicas = new Map<string, number>();
  const events: ReportEvent[] = [];
  let lineNumber = 0;
  let first: number | undefined;
  let last: number | undefined;
  return {
    add(raw) {
      lineNumber += 1;
      if (raw.trim() === '') return;
      lines.read += 1;
      const parsed = parseLogLine(raw);
      const line = parsed.json;
      if (line === undefined) {
        lines.notJson += 1;
        lines.firstNotJson ??= lineNumber;
        return;
      }
      if (line['msg'] !== DECISION_MESSAGE) {
        lines.otherLogLines += 1;
        return;
      }
      lines.decisions += 1;
      const at = timeOf(line, parsed.stampMs);
      if (Number.isFinite(at)) {
        first = first === undefined ? at : Math.min(first, at);
        last = last === undefined ? at : Math.max(last, at);
      }
      const replica = parsed.pod ?? (typeof line['hostname'] === 'string' ? line['hostname'] : undefined);
      if (replica !== undefined) bump(replicas, replica);
      const counts = line['dryRun'] === true ? dry : real;
      counts.decisions += 1;
      const decision = line['decision'];
      if (decision === 'allow') counts.allowed += 1;
      if (decision === 'warn') counts.warned += 1;
      if (decision === 'deny') counts.denied += 1;
      if (decision !== 'deny' && decision !== 'warn') return;
      const event = toEvent(line, Number.isFinite(at) ? new Date(at).toISOString() : undefined, replica);
      events.push(event);
      if (event.dryRun) return;
      (decision === 'deny' ? denials : warnings).add(event);
    },
    finish() {
      const iso = (ms: number | undefined): string | undefined =>
        ms === undefined ? undefined : new Date(ms).toISOString();
      return {
        ...real,
        dryRun: { ...dry },
        from: iso(first),
        to: iso(last),
        denials: denials.finish(),
        warnings: warnings.finish(),
        replicas: sorted(replicas),
        // kubectl logs prints one pod's lines, then the next pod's: events go by time (stable).
        events: [...events].sort((a, b) => (a.time ?? '').localeCompare(b.time ?? '')),
        lines: { ...lines },
      };
    },
  };
}

/** Aggregates decision log lines (pino JSON, one per line) into denials by namespace, rule and user. */
export function buildDecisionReport(lines: Iterable<string>): DecisionReport {
  const builder = createDecisionReportBuilder();
  for (const raw of lines) builder.add(raw);
  return builder.finish();
}

function plural(count: number, what: string): string {
  return `${count} ${what}${count === 1 ? '' : 's'}`;
}

/** Why a report holds nothing to show, or undefined when it holds decisions. */
export function whyNoDecisions(report: DecisionReport): string | undefined {
  if (report.lines.decisions > 0) return undefined;
  const { read, otherLogLines, notJson } = report.lines;
  if (read === 0) return 'it is empty';
  const parts = [
    ...(otherLogLines > 0 ? [plural(otherLogLines, 'other ztgate log line')] : []),
    ...(notJson > 0 ? [`${plural(notJson, 'line')} that ${notJson === 1 ? 'is' : 'are'} not JSON`] : []),
  ];
  const lines = read === 1 ? 'its only line is not' : `none of its ${read} lines is`;
  return `${lines} an admission decision (${parts.join(', ')})`;
}
