import { DECISION_MESSAGE } from './decision-record.js';

/** One count in a report table. */
export interface ReportCount {
  readonly key: string;
  readonly count: number;
}

/** One refused request: who was refused what, when. */
export interface ReportDenial {
  readonly time: string | undefined;
  readonly user: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly operation: string;
  readonly dryRun: boolean;
  readonly rules: readonly string[];
}

/** The aggregation `ztgate report` prints. */
export interface DecisionReport {
  readonly decisions: number;
  readonly allowed: number;
  readonly warned: number;
  readonly denied: number;
  /** ISO timestamps of the first and last decision line (undefined when the log has none). */
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly byNamespace: readonly ReportCount[];
  readonly byRule: readonly ReportCount[];
  readonly byUser: readonly ReportCount[];
  readonly denials: readonly ReportDenial[];
  /** Lines that were not decision records (other log lines, or not JSON). */
  readonly otherLines: number;
}

type Line = Record<string, unknown>;

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function field(line: Line, key: string): Line {
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

function parseLine(raw: string): Line | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Line) : undefined;
  } catch {
    return undefined;
  }
}

function toDenial(line: Line, time: string | undefined): ReportDenial {
  const violations = Array.isArray(line['violations']) ? (line['violations'] as unknown[]) : [];
  const rules = violations.map((violation) =>
    text(
      violation !== null && typeof violation === 'object' ? (violation as Line)['rule'] : undefined,
      '(unknown)',
    ),
  );
  const reason = typeof line['error'] === 'string' ? '(internal error)' : '(no violation: see log)';
  return {
    time,
    user: text(field(line, 'user')['username'], '(unknown)'),
    namespace: text(line['namespace'], '(cluster)'),
    kind: text(field(line, 'kind')['kind'], '(unknown)'),
    name: text(line['name'], '(unnamed)'),
    operation: text(line['operation'], '(unknown)'),
    dryRun: line['dryRun'] === true,
    rules: rules.length > 0 ? [...new Set(rules)] : [reason],
  };
}

// pino writes epoch milliseconds; accept ISO strings too (pino.stdTimeFunctions.isoTime).
function timeOf(line: Line): number {
  const time = line['time'];
  return typeof time === 'number' ? time : Date.parse(String(time));
}

/** Aggregates decision log lines one at a time, so a log of any length is read as a stream. */
export interface DecisionReportBuilder {
  /** Takes one raw line of the log. */
  add(raw: string): void;
  /** The report of every line added so far. */
  finish(): DecisionReport;
}

/** A builder for `ztgate report`: counts and denials by namespace, rule and user. */
export function createDecisionReportBuilder(): DecisionReportBuilder {
  const counts = { decisions: 0, allowed: 0, warned: 0, denied: 0, otherLines: 0 };
  const byNamespace = new Map<string, number>();
  const byRule = new Map<string, number>();
  const byUser = new Map<string, number>();
  const denials: ReportDenial[] = [];
  let first: number | undefined;
  let last: number | undefined;
  return {
    add(raw) {
      if (raw.trim() === '') return;
      const line = parseLine(raw);
      if (line === undefined || line['msg'] !== DECISION_MESSAGE) {
        counts.otherLines += 1;
        return;
      }
      counts.decisions += 1;
      const at = timeOf(line);
      if (Number.isFinite(at)) {
        first = first === undefined ? at : Math.min(first, at);
        last = last === undefined ? at : Math.max(last, at);
      }
      if (line['decision'] === 'allow') counts.allowed += 1;
      if (line['decision'] === 'warn') counts.warned += 1;
      if (line['decision'] !== 'deny') return;
      counts.denied += 1;
      const denial = toDenial(line, Number.isFinite(at) ? new Date(at).toISOString() : undefined);
      denials.push(denial);
      bump(byNamespace, denial.namespace);
      bump(byUser, denial.user);
      for (const rule of denial.rules) bump(byRule, rule);
    },
    finish() {
      const iso = (ms: number | undefined): string | undefined =>
        ms === undefined ? undefined : new Date(ms).toISOString();
      return {
        ...counts,
        from: iso(first),
        to: iso(last),
        byNamespace: sorted(byNamespace),
        byRule: sorted(byRule),
        byUser: sorted(byUser),
        denials: [...denials],
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
