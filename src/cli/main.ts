import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from './audit.js';
import { registerCertsCommand } from './certs.js';
import { registerCheckCommand } from './check.js';
import { registerInjectCommand } from './inject.js';
import { registerReportCommand } from './report.js';
import { registerServeCommand } from './serve.js';
import { UsageError } from './usage-error.js';

/** Exit codes shared by every command: 0 ok, 1 denied/findings, 2 bad usage or unreadable input. */
export const EXIT = { ok: 0, denied: 1, usage: 2 } as const;

/** Builds the `ztgate` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('ztgate')
    .description('Zero-trust admission webhook for Kubernetes')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerCheckCommand(program);
  registerInjectCommand(program);
  registerServeCommand(program);
  registerCertsCommand(program);
  registerAuditCommand(program);
  registerReportCommand(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is bad usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`ztgate: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  const code = process.exitCode;
  return typeof code === 'number' ? code : EXIT.ok;
}
