import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { createDecisionReportBuilder, type DecisionReport } from '../admission/decision-report.js';
import { formatDecisionReport } from '../admission/report-text.js';
import { UsageError } from './usage-error.js';

/** Options of `ztgate report`. */
export interface ReportOptions {
  readonly output: 'text' | 'json';
}

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

/** Registers `ztgate report`: who was refused what, when, from a decision log. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Summarize a ztgate decision log: denials by namespace, rule and user, and the time range')
    .argument('[file]', 'decision log (JSON lines), or - for stdin', '-')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, options: ReportOptions) => {
      const report = await reportOf(file);
      process.stdout.write(
        options.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatDecisionReport(report),
      );
      process.exitCode = 0;
    });
}
