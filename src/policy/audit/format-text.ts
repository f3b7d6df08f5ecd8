import type { AuditScan } from './scan.js';

function pad(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Renders the findings of an audit as a text table with a one-line summary. */
export function formatAuditText(scan: AuditScan): string {
  const { namespaces, workloads, policies } = scan.scanned;
  const summary = `scanned ${namespaces} namespaces, ${workloads} workloads, ${policies} policies: ${scan.findings.length} findings`;
  if (scan.findings.length === 0) return `${summary}\n`;
  const rows = [
    ['NAMESPACE', 'RESOURCE', 'RULE', 'PATH', 'MESSAGE'],
    ...scan.findings.map((finding) => [
      finding.resource.namespace ?? '-',
      `${finding.resource.kind}/${finding.resource.name}`,
      finding.rule,
      finding.path || '-',
      finding.message.split('\n')[0] ?? '',
    ]),
  ];
  return `${pad(rows).join('\n')}\n\n${summary}\n`;
}
