import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

// PLACEHOLDER — replaced by the issue that builds `ztgate serve`.
/** Registers `ztgate serve`. */
export function registerServeCommand(program: Command): void {
  program.command('serve').action(() => {
    throw new UsageError('serve: not built yet');
  });
}
