import { Option, type Command } from 'commander';
import { InputError } from '../adapters/state-dir/index.js';
import type { ZtgateConfig } from '../policy/config.js';
import { configHasAdmins } from './check-namespaces.js';
import { runCheck, type CheckReport } from './check-run.js';
import { formatCheckJson, formatCheckText } from './output/check-output.js';
import { readConfig } from './read-config.js';
import { UsageError } from './usage-error.js';

interface CheckOptions {
  readonly filename: readonly string[];
  readonly state?: string;
  readonly output: 'text' | 'json';
  readonly config?: string;
  readonly namespace: string;
  readonly asAdmin?: boolean;
  readonly strict?: boolean;
  readonly skipUnknown?: boolean;
}

async function judge(options: CheckOptions, config: ZtgateConfig): Promise<CheckReport> {
  try {
    return await runCheck({
      files: options.filename,
      stateDir: options.state,
      namespace: options.namespace,
      config,
      asAdmin: options.asAdmin === true,
      strict: options.strict === true,
      load: { skipUnknown: options.skipUnknown === true },
    });
  } catch (error) {
    // Unreadable input is bad usage (exit 2), not a denial.
    if (error instanceof InputError) throw new UsageError(error.message);
    throw error;
  }
}

/** Registers `ztgate check`: the webhook's verdicts on manifests, before `kubectl apply`. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description(
      'Judge manifests as the webhook would: exit 0 all allowed, 1 any denied, 2 unreadable or empty input',
    )
    .requiredOption(
      '-f, --filename <paths...>',
      'files, folders (.yaml/.yml/.json, recursive) or - for stdin',
    )
    .option(
      '--state <dir>',
      'folder of YAML/JSON holding the cluster view (namespaces, ServiceAccounts, policies, workloads)',
    )
    .option('--config <file>', 'ztgate config file (mode, exempt namespaces, default deny)')
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .option(
      '--as-admin',
      'judge as a ztgate admin of the config (protected namespace labels and policies); default: a developer',
    )
    .option(
      '--strict',
      'fail on unknowns too: what neither -f nor --state shows (a ServiceAccount, an allow-list) counts as missing',
    )
    .option(
      '--skip-unknown',
      'leave out files and documents that are not Kubernetes objects (tsconfig.json, Helm values)',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: CheckOptions) => {
      const config = await readConfig(options.config);
      if (options.asAdmin === true && !configHasAdmins(config))
        throw new UsageError('--as-admin: the ztgate config names no admins (admins.groups, admins.users)');
      const report = await judge(options, config);
      if (report.skipped.length > 0)
        process.stderr.write(
          `ztgate check: --skip-unknown left out ${report.skipped.length} (not Kubernetes objects): ${report.skipped.join(', ')}\n`,
        );
      const text = options.output === 'json' ? formatCheckJson(report) : formatCheckText(report);
      process.stdout.write(text);
      process.exitCode = report.results.every((result) => result.allowed) ? 0 : 1;
    });
}
