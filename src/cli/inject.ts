import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

// PLACEHOLDER — replaced by the issue that builds `ztgate inject`.
/** Registers `ztgate inject`. */
export function registerInjectCommand(program: Command): void {
  program.command('inject').action(() => {
    throw new UsageError('inject: not built yet');
  });
}
