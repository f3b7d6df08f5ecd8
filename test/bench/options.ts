/** Command-line options of `npm run bench`, with the full and `--quick` defaults. */
import { parseArgs } from 'node:util';

/** Where the ztgate under test comes from: the built CLI (bin/ztgate.js → dist) or src through tsx. */
export type ServerSource = 'dist' | 'src' | 'auto';

/** Everything one bench run needs to know. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly jsonFile: string | undefined;
  readonly rounds: number;
  /** Milliseconds of each fixed-rate and max-throughput measurement. */
  readonly durationMs: number;
  /** Milliseconds of each one-connection sequential measurement. */
  readonly sequentialMs: number;
  readonly rates: readonly number[];
  /** Scale of the 1× view (1 = 2,000 namespaces); the large view is `bigFactor` times that. */
  readonly scale: number;
  readonly bigFactor: number;
  readonly seed: number;
  /** Requests in flight for the max-throughput measurement. */
  readonly connections: number;
  readonly server: ServerSource;
  readonly format: 'yaml' | 'json';
  /** Exit 1 when a target is missed too (default: only when something breaks). */
  readonly strict: boolean;
  readonly workDir: string;
  /** Folder for V8 CPU profiles of the ztgate servers (node --cpu-prof); none when undefined. */
  readonly cpuProfDir: string | undefined;
  /**
   * Busy work (µs per request) of the budget session: the ceiling with this much handler work
   * shows what per-request cost a throughput ratio allows on this machine; 0 = no budget session.
   */
  readonly budgetUs: number;
  /** Paired max-throughput bursts per route and round (ztgate and the ceiling side by side); 0 = none. */
  readonly pairs: number;
  /** Milliseconds of each paired burst. */
  readonly burstMs: number;
}

/** The usage text. */
export const USAGE = `usage: npm run bench -- [options]
  --quick              smoke run under a minute (views 0.05× and 0.5×, short runs, one rate, one round)
  --json FILE          also write the figures as JSON
  --rounds N           ztgate/ceiling alternations (default 3; quick 1)
  --duration MS        each fixed-rate and max-throughput run (default 5000; quick 1200)
  --sequential MS      each one-connection run (default 5000; quick 1000)
  --rates LIST         fixed rates in req/s (default 500,1000,2000; quick 1000)
  --scale S            1× view size, 1 = 2,000 namespaces (default 1; quick 0.05)
  --big-factor F       the large view is F times the 1× view (default 10)
  --seed N             generator seed (default 42)
  --connections N      in-flight requests at max throughput (default 16)
  --server SRC         dist | src | auto (default auto: dist when built and fresh, else src via tsx)
  --format FMT         state folder documents: json | yaml (default json)
  --strict             exit 1 on a missed target as well
  --cpu-prof DIR       write a V8 CPU profile of each ztgate server to DIR (node --cpu-prof)
  --pairs N            paired bursts per route and round: ztgate and the ceiling side by side,
                       taking turns at max throughput; the throughput target is judged on
                       their median ratio (default 6; quick 2; 0 = judge the sessions' max runs)
  --burst MS           each paired burst (default 2500; quick 600)
  --budget-us N        also run the ceiling with N µs of busy work per request, at max throughput,
                       to show the per-request work a ratio allows here (default 25; quick 0 = off)
Exit status: 1 when something breaks (a server fails to start, errors, non-200s, wrong
answers, denials of compliant bodies); missed targets are reported, not failed, unless --strict.`;

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number, got ${raw}`);
  return value;
}

/** Parses argv (after the script name); throws with a message on bad input. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      sequential: { type: 'string' },
      rates: { type: 'string' },
      scale: { type: 'string' },
      'big-factor': { type: 'string' },
      seed: { type: 'string' },
      connections: { type: 'string' },
      server: { type: 'string', default: 'auto' },
      format: { type: 'string', default: 'json' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'budget-us': { type: 'string' },
      pairs: { type: 'string' },
      burst: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick;
  const server = values.server;
  if (server !== 'dist' && server !== 'src' && server !== 'auto')
    throw new Error(`--server must be dist, src or auto`);
  const format = values.format;
  if (format !== 'json' && format !== 'yaml') throw new Error(`--format must be json or yaml`);
  const rates = (values.rates ?? (quick ? '1000' : '500,1000,2000'))
    .split(',')
    .map((r) => positiveNumber('rates', r.trim(), 0));
  return {
    quick,
    jsonFile: values.json,
    rounds: Math.round(positiveNumber('rounds', values.rounds, quick ? 1 : 3)),
    durationMs: positiveNumber('duration', values.duration, quick ? 1200 : 5000),
    sequentialMs: positiveNumber('sequential', values.sequential, quick ? 1000 : 5000),
    rates,
    scale: positiveNumber('scale', values.scale, quick ? 0.05 : 1),
    bigFactor: positiveNumber('big-factor', values['big-factor'], 10),
    seed: Math.round(positiveNumber('seed', values.seed, 42)),
    connections: Math.round(positiveNumber('connections', values.connections, 16)),
    server,
    format,
    strict: values.strict,
    workDir: '.bench',
    cpuProfDir: values['cpu-prof'],
    budgetUs:
      values['budget-us'] === '0' ? 0 : positiveNumber('budget-us', values['budget-us'], quick ? 0 : 25),
    pairs: values.pairs === '0' ? 0 : Math.round(positiveNumber('pairs', values.pairs, quick ? 2 : 6)),
    burstMs: positiveNumber('burst', values.burst, quick ? 600 : 2500),
  };
}

/**
 * A bench's options from argv, or undefined when there is nothing to run: `--help` prints the
 * usage; bad input prints the error and the usage and sets exit status 2.
 */
export function optionsOrUsage<T>(
  parse: (argv: readonly string[]) => T | 'help',
  usage: string,
): T | undefined {
  try {
    const options = parse(process.argv.slice(2));
    if (options !== 'help') return options;
    process.stdout.write(`${usage}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exitCode = 2;
  }
  return undefined;
}
