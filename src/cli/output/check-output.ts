import { indentFix } from '../../policy/fix/index.js';
import type { CheckFinding } from '../check-offline.js';
import type { CheckReport, CheckResult } from '../check-run.js';

function describe(result: CheckResult): string {
  const where = result.namespace === null ? result.name : `${result.namespace}/${result.name}`;
  return `${result.kind} ${where}`;
}

function findingLine(prefix: string, finding: CheckFinding): string {
  return `  ${prefix}[${finding.rule}] ${finding.path}: ${finding.message}`;
}

/** Each fix once, under the first finding that gives it, indented with `---` left at column 0. */
function fixLines(findings: readonly CheckFinding[]): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const finding of findings) {
    if (finding.fix.trim() === '' || seen.has(finding.fix)) continue;
    seen.add(finding.fix);
    lines.push(`  fix for [${finding.rule}] ${finding.path}:`, indentFix(finding.fix, '    '));
  }
  return lines;
}

function block(result: CheckResult): string {
  const lines = [`${result.allowed ? 'ALLOWED' : 'DENIED'} ${describe(result)}`];
  // Audit mode (or a namespace check does not judge) allowed it: the findings are warnings.
  const prefix = result.allowed && result.violations.length > 0 ? 'warning: ' : '';
  for (const finding of result.violations) lines.push(findingLine(prefix, finding));
  for (const finding of result.unknown) lines.push(findingLine('unknown: ', finding));
  if (result.violations.length === 0 && result.unknown.length === 0) {
    for (const warning of result.warnings) lines.push(`  ${warning}`);
  }
  lines.push(...fixLines([...result.violations, ...result.unknown]));
  return lines.join('\n');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function summaryOf(report: CheckReport): string {
  const { results } = report;
  const denied = results.filter((result) => !result.allowed).length;
  let summary = `${results.length} judged: ${results.length - denied} allowed, ${denied} denied`;
  const unknown = results.reduce((count, result) => count + result.unknown.length, 0);
  if (unknown > 0) {
    summary += `; ${plural(unknown, 'unknown finding')} (not shown by -f or --state: warnings, failures with --strict)`;
  }
  if (report.notJudged.length > 0) {
    summary += `; ${report.notJudged.length} not judged (view input: ${[...new Set(report.notJudged)].join(', ')})`;
  }
  return summary;
}

/**
 * Text form: `ALLOWED|DENIED <Kind> <ns>/<name>`, one `[rule] path: message` line per finding
 * (prefixed `warning:` when audit mode allowed it anyway, `unknown:` when -f and --state do not
 * show what it rests on), each fix as indented YAML, the notes (what ztgate itself will create),
 * and a summary.
 */
export function formatCheckText(report: CheckReport): string {
  const blocks = report.results.map(block);
  const notes = [...new Set(report.results.flatMap((result) => result.notes))].map((note) => `note: ${note}`);
  if (notes.length > 0) blocks.push(notes.join('\n'));
  return [...blocks, summaryOf(report)].join('\n\n') + '\n';
}

/** JSON form: `{"results":[…]}`, the shape the README documents. */
export function formatCheckJson(report: CheckReport): string {
  return `${JSON.stringify({ results: report.results }, null, 2)}\n`;
}
