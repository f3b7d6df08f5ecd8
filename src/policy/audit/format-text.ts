import type { AuditResource, AuditScan } from './scan.js';

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

/** "1 namespace", "2 namespaces", "1 policy", "3 policies". */
function count(value: number, word: string): string {
  if (value === 1) return `1 ${word}`;
  return `${value} ${word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`}`;
}

const names = (resources: readonly AuditResource[]): string =>
  resources.length === 0 ? '-' : resources.map((resource) => `${resource.kind}/${resource.name}`).join(', ');

/** The review before switching: per namespace not enforced yet, what enforcing creates and refuses. */
function formatNotEnforced(scan: AuditScan): string {
  if (scan.notEnforced.length === 0) return '';
  const rows = [
    ['NOT ENFORCED', 'BECAUSE', 'ENFORCING WOULD CREATE', 'AND REFUSE'],
    ...scan.notEnforced.map((review) => [
      review.namespace,
      review.reason,
      names(review.wouldCreate),
      names(review.wouldRefuse),
    ]),
  ];
  return `${pad(rows).join('\n')}\n\n`;
}

/**
 * Renders an audit as text: the namespaces not enforced yet (what switching creates and refuses),
 * the findings table, and a one-line summary.
 */
export function formatAuditText(scan: AuditScan): string {
  const { namespaces, workloads, policies } = scan.scanned;
  const pending =
    scan.notEnforced.length === 0 ? '' : `; ${count(scan.notEnforced.length, 'namespace')} not enforced`;
  const scanned = [count(namespaces, 'namespace'), count(workloads, 'workload'), count(policies, 'policy')];
  const summary = `scanned ${scanned.join(', ')}: ${count(scan.findings.length, 'finding')}${pending}`;
  if (scan.findings.length === 0) return `${formatNotEnforced(scan)}${summary}\n`;
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
  return `${formatNotEnforced(scan)}${pad(rows).join('\n')}\n\n${summary}\n`;
}
