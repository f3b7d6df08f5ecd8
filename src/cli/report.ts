import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import {
  createDecisionReportBuilder,
  whyNoDecisions,
  type DecisionReport,
} from '../admission/decision-report.js';
import { formatDecisionReport } from '../admission/report-text.js';
import { renderReportHtml } from './output/report-html.js';
import { UsageError } from './usage-error.js';

/** Options of `ztgate report`. */
export interface ReportOptions {
  readonly output: 'text' | 'json' | 'html';
}

/** The command that reads every replica's whole log (the Deployment's pods carry this label). */
export const LOGS_COMMAND =
  'kubectl logs -n ztgate-system -l app.kubernetes.io/name=ztgate --prefix --tail=-1';

// readline handles files and stdin alike, CRLF included.
async function* readLines(file: string): AsyncGenerator<string> {
  const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) yield line;
}

/** Reads the log line by line into the report: memory grows with the denials, not with the log. */
async function reportOf(file: string): Promise<DecisionReport> {
  const builder = createDecisionReportBuilder();
  try {
    for await (const line of readLines(file)) builder.add(line);
  } catch (error) {
    throw new UsageError(`report: cannot read ${file}: ${(error as Error).message}`);
  }
  return builder.finish();
}

function render(report: DecisionReport, output: ReportOptions['output'], file: string): string {
  if (output === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (output === 'html') return renderReportHtml(report, file === '-' ? 'standard input' : file);
  return formatDecisionReport(report);
}

/** Registers `ztgate report`: who was refused what, when, from a decision log. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'Summarize ztgate decision logs (all replicas; kubectl logs --prefix/--timestamps lines too): ' +
        'denials and audit-mode warnings by namespace, rule and user, over time',
    )
    .argument('[file]', `decision log (JSON lines), or - for stdin, e.g. from: ${LOGS_COMMAND}`, '-')
    .addOption(
      new Option('-o, --output <format>', 'output format (html: one self-contained page)')
        .choices(['text', 'json', 'html'])
        .default('text'),
    )
    .action(async (file: string, options: ReportOptions) => {
      const report = await reportOf(file);
      const why = whyNoDecisions(report);
      // A report of nothing must not pass for a quiet cluster.
      if (why !== undefined)
        throw new UsageError(
          `report: no admission decisions in ${file === '-' ? 'standard input' : file}: ${why}; read ztgate's log with: ${LOGS_COMMAND}`,
        );
      process.stdout.write(render(report, options.output, file));
      process.exitCode = 0;
    });
}
