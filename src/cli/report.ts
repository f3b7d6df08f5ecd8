import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

// PLACEHOLDER — replaced by the issue that builds `ztgate report`.
/** Registers `ztgate report`. */
export function registerReportCommand(program: Command): void {
  program.command('report').action(() => {
    throw new UsageError('report: not built yet');
  });
}
