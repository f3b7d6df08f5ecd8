/**
 * `npm run bench:all`: issue #17's three benches in sequence, in one run — `npm run bench`
 * (run.ts), `bench:apiserver` (apiserver.ts), `bench:cluster` (cluster.ts) — each in a process
 * group of its own, printing its own table as it goes; then one table of every target, their
 * judged rows concatenated (all-report.ts). Each bench writes its figures to .bench/all/<id>.json,
 * and `--json FILE` writes them all with the outcome of each bench.
 * Flags: --quick (each bench's smoke run), --strict, --skip LIST, --timeout-minutes N, --json FILE.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { controlPlaneAvailable, KUBE_BIN_DIR } from '../e2e/control-plane.js';
import {
  BENCHES,
  exitCodeOf,
  formatAllReport,
  targetsOf,
  type AllReport,
  type BenchId,
  type BenchOutcome,
} from './all-report.js';
import { optionsOrUsage } from './options.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORK = join('.bench', 'all');

const USAGE = `usage: npm run bench:all -- [options]
  --quick              each bench's smoke run (CI): fails only when something breaks
  --json FILE          also write every bench's figures and targets as one JSON document
  --strict             exit 1 on a missed target as well
  --skip LIST          leave out some of bench,apiserver,cluster (reported as skipped, not failed)
  --timeout-minutes N  stop a bench that runs longer (default 15; full run 120)
Exit status: 1 when a bench fails (errors, non-200s, wrong answers, a step that times out) or
cannot run (the control plane binaries missing) unless skipped; missed targets only with --strict.`;

interface AllOptions {
  readonly quick: boolean;
  readonly strict: boolean;
  readonly jsonFile: string | undefined;
  readonly skip: ReadonlySet<BenchId>;
  readonly timeoutMs: number;
}

function parseOptions(argv: readonly string[]): AllOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      json: { type: 'string' },
      skip: { type: 'string', default: '' },
      'timeout-minutes': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const ids: readonly string[] = BENCHES.map((b) => b.id);
  const skip = values.skip.split(',').filter((id) => id !== '');
  const unknown = skip.filter((id) => !ids.includes(id));
  if (unknown.length > 0) throw new Error(`--skip takes ${ids.join(', ')}; got ${unknown.join(', ')}`);
  const minutes = Number(values['timeout-minutes'] ?? (values.quick ? 15 : 120));
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('--timeout-minutes takes a positive number');
  return {
    quick: values.quick,
    strict: values.strict,
    jsonFile: values.json,
    skip: new Set(skip as BenchId[]),
    timeoutMs: minutes * 60_000,
  };
}

let interrupted: NodeJS.Signals | undefined;

/**
 * Runs a bench script in a process group of its own (so a timeout or Ctrl-C stops its servers
 * and control plane with it); stdout passes through, stderr too, keeping its last error line.
 */
function runScript(
  script: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ exitCode: number; lastLine: string | undefined }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, script), ...args], {
      stdio: ['ignore', 'inherit', 'pipe'],
      detached: true,
    });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    });
    const stop = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop('SIGTERM');
      setTimeout(() => stop('SIGKILL'), 15_000).unref();
    }, timeoutMs);
    const forward = (signal: NodeJS.Signals): void => {
      interrupted = signal;
      stop(signal);
    };
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', forward).off('SIGTERM', forward);
      const lines = tail.split('\n').filter((line) => line.trim() !== '');
      const lastLine = timedOut
        ? `stopped after ${timeoutMs / 60_000} minutes (--timeout-minutes)`
        : signal !== null
          ? `killed by ${signal}`
          : lines[lines.length - 1];
      resolve({ exitCode: code ?? 1, lastLine });
    });
  });
}

async function runBench(bench: (typeof BENCHES)[number], options: AllOptions): Promise<BenchOutcome> {
  if (options.skip.has(bench.id))
    return { bench: bench.id, ran: false, reason: 'left out by --skip', skipped: true };
  if (interrupted !== undefined)
    return {
      bench: bench.id,
      ran: false,
      reason: `the run was interrupted (${interrupted})`,
      skipped: false,
    };
  if (bench.controlPlane && !controlPlaneAvailable())
    return {
      bench: bench.id,
      ran: false,
      reason: `the control plane binaries are missing from ${KUBE_BIN_DIR} (bash test/e2e/setup-control-plane.sh builds them; --skip apiserver,cluster leaves these benches out)`,
      skipped: false,
    };
  const jsonFile = join(WORK, `${bench.id}.json`);
  rmSync(jsonFile, { force: true });
  process.stderr.write(`bench:all: ${bench.command}${options.quick ? ' -- --quick' : ''}\n`);
  const { exitCode, lastLine } = await runScript(
    bench.script,
    [...(options.quick ? ['--quick'] : []), '--json', jsonFile],
    options.timeoutMs,
  );
  if (!existsSync(jsonFile))
    return {
      bench: bench.id,
      ran: true,
      exitCode,
      failure: `no figures written; ${lastLine ?? ''}`,
      targets: [],
      report: undefined,
    };
  const report: unknown = JSON.parse(readFileSync(jsonFile, 'utf8'));
  try {
    const targets = targetsOf(bench.id, report);
    return {
      bench: bench.id,
      ran: true,
      exitCode,
      failure: exitCode === 0 ? undefined : lastLine,
      targets,
      report,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { bench: bench.id, ran: true, exitCode, failure: message, targets: [], report };
  }
}

async function main(): Promise<void> {
  const options = optionsOrUsage(parseOptions, USAGE);
  if (options === undefined) return;
  mkdirSync(WORK, { recursive: true });
  const benches: BenchOutcome[] = [];
  for (const bench of BENCHES) benches.push(await runBench(bench, options));
  const report: AllReport = {
    date: new Date().toISOString(),
    node: process.versions.node,
    cpus: availableParallelism(),
    quick: options.quick,
    benches,
  };
  process.stdout.write(`\n${formatAllReport(report, options.strict)}\n`);
  if (options.jsonFile !== undefined) writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = exitCodeOf(report, options.strict);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:all: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
