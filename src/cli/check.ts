import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

// PLACEHOLDER — replaced by the issue that builds `ztgate check`.
/** Registers `ztgate check`. */
export function registerCheckCommand(program: Command): void {
  program.command('check').action(() => {
    throw new UsageError('check: not built yet');
  });
}
