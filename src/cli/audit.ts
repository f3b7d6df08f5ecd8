import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

// PLACEHOLDER — replaced by the issue that builds `ztgate audit`.
/** Registers `ztgate audit`. */
export function registerAuditCommand(program: Command): void {
  program.command('audit').action(() => {
    throw new UsageError('audit: not built yet');
  });
}
