import type { CheckReport, CheckResult } from '../check-run.js';

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `${prefix}${line}`))
    .join('\n');
}

function describe(result: CheckResult): string {
  const where = result.namespace === null ? result.name : `${result.namespace}/${result.name}`;
  return `${result.kind} ${where}`;
}

/**
 * Text form: `ALLOWED|DENIED <Kind> <ns>/<name>`, one `[rule] path: message` line per violation
 * (prefixed `warning:` when audit mode allowed it anyway), then each fix as indented YAML.
 */
export function formatCheckText(report: CheckReport): string {
  const blocks = report.results.map((result) => {
    const lines = [`${result.allowed ? 'ALLOWED' : 'DENIED'} ${describe(result)}`];
    const prefix = result.allowed ? '  warning: ' : '  ';
    for (const v of result.violations) lines.push(`${prefix}[${v.rule}] ${v.path}: ${v.message}`);
    for (const v of result.violations) {
      if (v.fix === '') continue;
      lines.push(`  fix for [${v.rule}] ${v.path}:`, indent(v.fix, '    '));
    }
    return lines.join('\n');
  });
  const denied = report.results.filter((result) => !result.allowed).length;
  let summary = `${report.results.length} judged: ${report.results.length - denied} allowed, ${denied} denied`;
  if (report.notJudged.length > 0) {
    summary += `; ${report.notJudged.length} not judged (view input: ${[...new Set(report.notJudged)].join(', ')})`;
  }
  return [...blocks, summary].join('\n\n') + '\n';
}

/** JSON form: `{"results":[…]}`, the shape the README documents. */
export function formatCheckJson(report: CheckReport): string {
  return `${JSON.stringify({ results: report.results }, null, 2)}\n`;
}
