import type { DecisionCounts, DecisionReport, ReportCount, ReportEvent } from './decision-report.js';
import { topRefused } from './report-top.js';

/** How many refused objects and latest events the text shows; `-o json` has them all. */
const TOP = 10;
const LATEST = 20;

function table(title: string, rows: readonly ReportCount[]): string[] {
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map((row) => String(row.count).length));
  return ['', `${title}:`, ...rows.map((row) => `  ${String(row.count).padStart(width)}  ${row.key}`)];
}

function counts(label: string, c: DecisionCounts): string {
  return `${label}: ${c.decisions} (allowed ${c.allowed}, warned ${c.warned}, denied ${c.denied})`;
}

function linesRead(report: DecisionReport): string {
  const { read, decisions, otherLogLines, notJson, firstNotJson } = report.lines;
  const skipped = read - decisions;
  if (skipped === 0) return `lines: ${read} read, all decisions`;
  const parts = [
    ...(otherLogLines > 0 ? [`${otherLogLines} other ztgate log line${otherLogLines === 1 ? '' : 's'}`] : []),
    ...(notJson > 0 ? [`${notJson} not JSON, the first at line ${firstNotJson ?? '?'}`] : []),
  ];
  return `lines: ${read} read, ${decisions} decisions, ${skipped} skipped (${parts.join('; ')})`;
}

function eventLine(event: ReportEvent): string {
  const what = `${event.operation} ${event.kind} ${event.namespace}/${event.name}`;
  const dryRun = event.dryRun ? ' (dry run)' : '';
  return `  ${event.time ?? '(no time)'}  ${event.user}  ${what}${dryRun}: ${event.rules.join(', ')}`;
}

function latest(title: string, events: readonly ReportEvent[]): string[] {
  if (events.length === 0) return [];
  const shown = events.slice(-LATEST);
  const earlier = events.length - shown.length;
  const more = earlier > 0 ? ` (the last ${shown.length}; ${earlier} earlier: -o json lists them all)` : '';
  return ['', `${title}${more}:`, ...shown.map(eventLine)];
}

function topLines(report: DecisionReport): string[] {
  const top = topRefused(report.events, TOP);
  if (top.length === 0) return [];
  const width = Math.max(...top.map((entry) => String(entry.count).length));
  return [
    '',
    'Most refused:',
    ...top.map(
      (entry) =>
        `  ${String(entry.count).padStart(width)}  ${entry.kind} ${entry.namespace}/${entry.name}: ${entry.rules.join(', ')}`,
    ),
  ];
}

/** Renders a decision report as the plain text `ztgate report` prints by default. */
export function formatDecisionReport(report: DecisionReport): string {
  const range =
    report.from === undefined
      ? 'no decisions in the log'
      : `from ${report.from} to ${report.to ?? report.from}`;
  const replicas =
    report.replicas.length === 0
      ? ''
      : `, ${report.replicas.length} replica${report.replicas.length === 1 ? '' : 's'} (${report.replicas.map((r) => `${r.key} ${r.count}`).join(', ')})`;
  const lines = [
    `ztgate decision report: ${range}${replicas}`,
    counts('decisions', report),
    ...(report.dryRun.decisions > 0 ? [counts('dry-run decisions, counted apart', report.dryRun)] : []),
    linesRead(report),
    ...table('Denials by namespace', report.denials.byNamespace),
    ...table('Denials by rule', report.denials.byRule),
    ...table('Denials by user', report.denials.byUser),
    ...table('Audit-mode warnings by namespace', report.warnings.byNamespace),
    ...table('Audit-mode warnings by rule', report.warnings.byRule),
    ...table('Audit-mode warnings by user', report.warnings.byUser),
    ...topLines(report),
    ...latest(
      'Denials',
      report.events.filter((event) => event.decision === 'deny'),
    ),
    ...latest(
      'Warnings',
      report.events.filter((event) => event.decision === 'warn'),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
