import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

// PLACEHOLDER — replaced by the issue that builds `ztgate certs`.
/** Registers `ztgate certs`. */
export function registerCertsCommand(program: Command): void {
  program.command('certs').action(() => {
    throw new UsageError('certs: not built yet');
  });
}
