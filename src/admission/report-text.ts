import type { DecisionReport, ReportCount } from './decision-report.js';

function table(title: string, rows: readonly ReportCount[]): string[] {
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map((row) => String(row.count).length));
  return ['', `${title}:`, ...rows.map((row) => `  ${String(row.count).padStart(width)}  ${row.key}`)];
}

/** Renders a decision report as the plain text `ztgate report` prints by default. */
export function formatDecisionReport(report: DecisionReport): string {
  const range =
    report.from === undefined
      ? 'no decisions in the log'
      : `from ${report.from} to ${report.to ?? report.from}`;
  const lines = [
    `ztgate decision report: ${range}`,
    `decisions: ${report.decisions} (allowed ${report.allowed}, warned ${report.warned}, denied ${report.denied})`,
    ...table('Denials by namespace', report.byNamespace),
    ...table('Denials by rule', report.byRule),
    ...table('Denials by user', report.byUser),
  ];
  if (report.denials.length > 0) {
    lines.push('', 'Denials:');
    for (const denial of report.denials) {
      const what = `${denial.operation} ${denial.kind} ${denial.namespace}/${denial.name}`;
      const dryRun = denial.dryRun ? ' (dry run)' : '';
      lines.push(
        `  ${denial.time ?? '(no time)'}  ${denial.user}  ${what}${dryRun}: ${denial.rules.join(', ')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
