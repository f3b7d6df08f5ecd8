/**
 * `npm run fuzz`: hostile AdmissionReviews (cases.ts) over real TLS, HTTP/1.1 and HTTP/2, to a
 * real `ztgate serve` process, judged by the oracles (oracles.ts) while a separate process probes
 * /healthz for event-loop stalls. Seeded and reproducible: `--seed S --only ID` resends one case.
 *
 *   npm run fuzz -- [--bodies 100000] [--seed 1] [--concurrency 12] [--quick] [--server auto|dist|src]
 *                   [--json FILE] [--only ID]
 *
 * Exit 0 when every oracle held; 1 otherwise (problems, a crash, or a stall that replays).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBenchCerts } from '../bench/bench-certs.js';
import { resolveServerSource } from '../bench/commands.js';
import { startServer, type RunningServer } from '../bench/server-process.js';
import { BASES } from './bases.js';
import { buildCase, CATEGORIES, planBatch, type CasePlan, type FuzzCase } from './cases.js';
import { judge, type Verdict } from './oracles.js';
import type { ProbeReport, Stall } from './probe.js';
import { createFuzzClient, TOO_SLOW_TOTAL_MS, type FuzzClient } from './send.js';

const BATCH = 1000;
const STALL_MS = 100;
/** Every this many cases one body trickles for longer than the server's request timeout. */
const TOO_SLOW_EVERY = 997;
/**
 * The fuzz server's request timeout (s): the shipped default. At 5 s, a full run on a shared
 * machine (load average 9 on 2 cores) had 3 MiB bodies that took longer than that to arrive cut
 * by the timeout, which the oracles count as dropped.
 */
const REQUEST_TIMEOUT_S = 10;

interface Options {
  readonly bodies: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly server: 'auto' | 'dist' | 'src';
  readonly json: string | undefined;
  readonly only: number | undefined;
  readonly work: string;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      bodies: { type: 'string' },
      seed: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '12' },
      quick: { type: 'boolean', default: false },
      server: { type: 'string', default: 'auto' },
      json: { type: 'string' },
      only: { type: 'string' },
      work: { type: 'string', default: '.fuzz' },
    },
  });
  const server = values.server;
  if (server !== 'auto' && server !== 'dist' && server !== 'src')
    throw new Error('--server: auto, dist or src');
  return {
    bodies: Number(values.bodies ?? (values.quick ? 1500 : 100_000)),
    seed: Number(values.seed),
    concurrency: Number(values.concurrency),
    server,
    json: values.json,
    only: values.only === undefined ? undefined : Number(values.only),
    work: values.work,
  };
}

function log(line: string): void {
  process.stderr.write(`fuzz: ${line}\n`);
}

/** The plan of case `id` for a seed (batches of BATCH; every TOO_SLOW_EVERY-th trickles too long). */
function planOf(seed: number, id: number, cache: Map<number, CasePlan[]>): CasePlan {
  const batch = Math.floor(id / BATCH);
  let plans = cache.get(batch);
  if (plans === undefined) {
    cache.clear();
    plans = planBatch(seed, batch, BATCH);
    cache.set(batch, plans);
  }
  const plan = plans[id % BATCH] as CasePlan;
  return id % TOO_SLOW_EVERY === TOO_SLOW_EVERY - 1
    ? { ...plan, framing: 'too-slow', category: 'none' }
    : plan;
}

interface Tally {
  sent: number;
  bytes: number;
  byCategory: Record<string, number>;
  byTransport: Record<string, number>;
  byFraming: Record<string, number>;
  answers: Record<string, number>;
  problems: Record<string, number>;
  examples: { id: number; verdict: Verdict; category: string; base: string; detail: string }[];
  /** Wrongful allows by base, category and field (indexes and sizes left out), with a count. */
  wrongful: Record<string, number>;
}

function newTally(): Tally {
  return {
    sent: 0,
    bytes: 0,
    byCategory: {},
    byTransport: {},
    byFraming: {},
    answers: {},
    problems: {},
    examples: [],
    wrongful: {},
  };
}

const bump = (table: Record<string, number>, key: string): void => {
  table[key] = (table[key] ?? 0) + 1;
};

function record(tally: Tally, fuzzCase: FuzzCase, verdict: Verdict): void {
  tally.sent += 1;
  tally.bytes += fuzzCase.body.length;
  bump(tally.byCategory, fuzzCase.category);
  bump(tally.byTransport, fuzzCase.transport);
  bump(tally.byFraming, fuzzCase.framing);
  switch (verdict.kind) {
    case 'review':
      bump(tally.answers, verdict.allowed ? 'review allowed' : 'review denied');
      break;
    case 'client-error':
      bump(tally.answers, `${verdict.status} ${verdict.code}`);
      break;
    case 'cut':
      bump(tally.answers, 'cut (too slow / too large)');
      break;
    case 'problem':
      bump(tally.problems, verdict.oracle);
      if (verdict.oracle === 'wrongful-allow') {
        const field = fuzzCase.detail.replace(/\[\d+\]/g, '[]').replace(/ (=|nested) .*$/, '');
        bump(tally.wrongful, `${fuzzCase.base} · ${fuzzCase.category} · ${field}`);
      }
      if (
        tally.examples.filter((e) => e.verdict.kind === 'problem' && e.verdict.oracle === verdict.oracle)
          .length < 10
      ) {
        tally.examples.push({
          id: fuzzCase.id,
          verdict,
          category: fuzzCase.category,
          base: fuzzCase.base,
          detail: fuzzCase.detail.slice(0, 160),
        });
      }
  }
}

/** The probe process and the stalls it saw so far. */
interface Probe {
  collect(): Promise<ProbeReport>;
  stop(): void;
}

function startProbe(port: number, caFile: string): Probe {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./probe.ts', import.meta.url)),
    ['--port', String(port), '--ca', caFile, '--threshold', String(STALL_MS)],
    { execArgv: ['--import', 'tsx'] },
  );
  return {
    collect: () =>
      new Promise((resolve) => {
        child.once('message', (report) => resolve(report as ProbeReport));
        child.send('report');
      }),
    stop: () => child.connected && child.send('stop'),
  };
}

async function serverArgs(options: Options, certs: { certFile: string; keyFile: string }): Promise<string[]> {
  const source = await resolveServerSource(options.server);
  const entry = source === 'dist' ? ['bin/ztgate.js'] : ['--import', 'tsx', 'test/bench/ztgate-src.ts'];
  const config = join(options.work, 'config.yaml');
  await writeFile(config, `server:\n  requestTimeoutSeconds: ${REQUEST_TIMEOUT_S}\n  drainDelaySeconds: 0\n`);
  log(`server: ${source === 'dist' ? 'dist (bin/ztgate.js)' : 'src via tsx'}`);
  return [
    ...entry,
    'serve',
    '--state',
    'manifests/demo',
    '--config',
    config,
    '--port',
    '{port}',
    '--host',
    '127.0.0.1',
    '--tls-cert',
    certs.certFile,
    '--tls-key',
    certs.keyFile,
  ];
}

/** Sends each base unperturbed; the fuzz means nothing if the verdicts are not the expected ones. */
async function checkBases(client: FuzzClient): Promise<void> {
  for (const [index, base] of BASES.entries()) {
    const fuzzCase = buildCase(-1, {
      base: index,
      category: 'none',
      pick: 0,
      size: 0,
      variant: 0,
      value: null,
      transport: 'h1',
      framing: 'whole',
    });
    const verdict = judge(fuzzCase, await client.send(fuzzCase, 10_000));
    const denied = base.route === '/validate' && base.deniedBy.length > 0;
    if (verdict.kind !== 'review' || verdict.allowed === denied) {
      throw new Error(
        `base ${base.name}: expected ${denied ? 'a denial' : 'an allow'}, got ${JSON.stringify(verdict)}`,
      );
    }
  }
}

/** Which cases were in flight during each stall. */
function suspectsOf(stalls: readonly Stall[], spans: Float64Array, count: number): number[] {
  const suspects = new Set<number>();
  for (const stall of stalls) {
    for (let id = 0; id < count; id++) {
      const start = spans[id * 2] as number;
      const end = spans[id * 2 + 1] as number;
      if (start !== 0 && start <= stall.at + stall.ms && (end === 0 || end >= stall.at)) suspects.add(id);
    }
  }
  return [...suspects];
}

/** A stall that replays: the probe was slow and the server spent that long on the CPU for the body. */
interface ConfirmedStall {
  readonly id: number;
  readonly probeMs: number;
  readonly serverCpuMs: number;
  readonly detail: string;
}

/**
 * Replays suspects one at a time with nothing else in flight. A stall counts only if every one of
 * three replays stalls the probe again AND the server spent more than the threshold of CPU time on
 * the body: on a shared machine another tenant's load delays the probe too, but it does not make
 * ztgate burn CPU.
 */
async function replay(
  ids: readonly number[],
  options: Options,
  client: FuzzClient,
  probe: Probe,
  server: RunningServer,
): Promise<ConfirmedStall[]> {
  const confirmed: ConfirmedStall[] = [];
  const cache = new Map<number, CasePlan[]>();
  for (const id of ids.slice(0, 60)) {
    const fuzzCase = buildCase(id, planOf(options.seed, id, cache));
    if (fuzzCase.framing === 'too-slow') continue;
    let probeMs = Infinity;
    let serverCpuMs = Infinity;
    for (let attempt = 0; attempt < 3 && probeMs > STALL_MS && serverCpuMs > STALL_MS; attempt++) {
      await probe.collect();
      const cpuBefore = await server.cpuMs();
      await client.send(fuzzCase, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 60));
      serverCpuMs = Math.min(serverCpuMs, (await server.cpuMs()) - cpuBefore);
      probeMs = Math.min(probeMs, (await probe.collect()).maxMs);
    }
    if (probeMs > STALL_MS && serverCpuMs > STALL_MS) {
      const detail = `${fuzzCase.base} ${fuzzCase.category} ${fuzzCase.detail.slice(0, 120)}`;
      confirmed.push({ id, probeMs: Math.round(probeMs), serverCpuMs: Math.round(serverCpuMs), detail });
    }
  }
  return confirmed;
}

interface LogFigures {
  readonly lines: number;
  readonly maxLineBytes: number;
  readonly totalBytes: number;
}

async function logFigures(file: string): Promise<LogFigures> {
  let lines = 0;
  let maxLineBytes = 0;
  let totalBytes = 0;
  const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of reader) {
    lines += 1;
    const bytes = Buffer.byteLength(line) + 1;
    totalBytes += bytes;
    maxLineBytes = Math.max(maxLineBytes, bytes - 1);
  }
  return { lines, maxLineBytes, totalBytes };
}

async function fuzz(options: Options): Promise<number> {
  await mkdir(options.work, { recursive: true });
  const certs = await ensureBenchCerts(join(options.work, 'certs'));
  const logFile = join(options.work, 'server.log');
  await rm(logFile, { force: true });
  const server: RunningServer = await startServer({
    label: 'ztgate',
    args: await serverArgs(options, certs),
    logFile,
    caFile: certs.certFile,
    readyTimeoutMs: 120_000,
  });
  let crashed: string | undefined;
  let failure: unknown;
  let progress: NodeJS.Timeout | undefined;
  let probe: Probe | undefined;
  let stopping = false;
  const alive = setInterval(() => {
    void server.memory().catch(() => {
      if (!stopping) crashed ??= 'the server process is gone';
    });
  }, 1000);
  const ca = await readFile(certs.certFile, 'utf8');
  const client = createFuzzClient(server.port, ca);
  const started = performance.now();
  const rssStart = (await server.memory()).rssMiB;
  try {
    await checkBases(client);
    log(
      `bases answer as expected (${BASES.length}); server port ${server.port}, RSS ${rssStart.toFixed(0)} MiB`,
    );
    probe = startProbe(server.port, certs.certFile);
    const prober = probe;
    const tally = newTally();
    const spans = new Float64Array(options.bodies * 2);
    const stalls: Stall[] = [];
    let maxProbeMs = 0;
    let probes = 0;
    let next = options.only ?? 0;
    const last = options.only === undefined ? options.bodies : options.only + 1;
    const cache = new Map<number, CasePlan[]>();
    const worker = async (): Promise<void> => {
      for (;;) {
        const id = next++;
        if (id >= last || crashed !== undefined || failure !== undefined) return;
        let fuzzCase: FuzzCase;
        try {
          fuzzCase = buildCase(id, planOf(options.seed, id, cache));
        } catch (error) {
          // A fuzzer bug: stop every worker and report it, with the case that triggered it.
          failure = new Error(`building case ${id}: ${(error as Error).stack ?? String(error)}`);
          return;
        }
        spans[id * 2] = performance.timeOrigin + performance.now();
        const timeout = fuzzCase.framing === 'too-slow' ? TOO_SLOW_TOTAL_MS + 10_000 : 30_000;
        const outcome = await client.send(fuzzCase, timeout);
        spans[id * 2 + 1] = performance.timeOrigin + performance.now();
        record(tally, fuzzCase, judge(fuzzCase, outcome));
      }
    };
    progress = setInterval(() => {
      void (async () => {
        const report = await prober.collect();
        stalls.push(...report.stalls);
        probes += report.probes;
        maxProbeMs = Math.max(maxProbeMs, report.maxMs);
        const rss = await server.memory().catch(() => ({ rssMiB: NaN }));
        const seconds = (performance.now() - started) / 1000;
        log(
          `${tally.sent}/${options.bodies} bodies, ${(tally.sent / seconds).toFixed(0)}/s, problems ${JSON.stringify(tally.problems)}, stalls ${stalls.length}, RSS ${rss.rssMiB.toFixed(0)} MiB`,
        );
      })();
    }, 10_000);
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    clearInterval(progress);
    if (failure !== undefined) throw failure;
    const final = await probe.collect();
    stalls.push(...final.stalls);
    probes += final.probes;
    maxProbeMs = Math.max(maxProbeMs, final.maxMs);
    const rssEnd = await server.memory();
    const suspects = suspectsOf(stalls, spans, options.bodies);
    log(`${stalls.length} stalls seen; replaying ${Math.min(suspects.length, 60)} suspect bodies alone`);
    const confirmed = crashed === undefined ? await replay(suspects, options, client, probe, server) : [];
    probe.stop();
    const seconds = (performance.now() - started) / 1000;
    client.close();
    // The liveness check stops before the server is told to: a check that lands (or is still
    // reading) while the server shuts down cleanly would call it gone, and fail a run that CI
    // saw end with exit code 0 and every body answered.
    stopping = true;
    clearInterval(alive);
    const exitCode = await server.stop();
    const logs = await logFigures(logFile);
    const report = {
      seed: options.seed,
      bodies: tally.sent,
      megabytesSent: Math.round(tally.bytes / 1e6),
      seconds: Math.round(seconds),
      byTransport: tally.byTransport,
      byFraming: tally.byFraming,
      byCategory: Object.fromEntries(CATEGORIES.map((c) => [c, tally.byCategory[c] ?? 0])),
      answers: tally.answers,
      problems: tally.problems,
      wrongfulAllows: Object.fromEntries(Object.entries(tally.wrongful).sort((a, b) => b[1] - a[1])),
      examples: tally.examples,
      crashed: crashed ?? false,
      serverExitCode: exitCode,
      stalls: { probes, observed: stalls.length, maxProbeMs: Math.round(maxProbeMs), confirmed },
      rssMiB: {
        start: Math.round(rssStart),
        end: Math.round(rssEnd.rssMiB),
        peak: Math.round(rssEnd.peakMiB),
      },
      log: logs,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (options.json !== undefined) await writeFile(options.json, JSON.stringify(report, null, 2));
    const wrongful = tally.problems['wrongful-allow'] ?? 0;
    log(
      `${tally.sent} bodies in ${seconds.toFixed(0)} s: ${Object.values(tally.problems).reduce((a, b) => a + b, 0)} problems (${wrongful} wrongful allows), crash: ${crashed ?? 'none'}, stalls ${stalls.length} seen / ${confirmed.length} confirmed, log max line ${logs.maxLineBytes} B`,
    );
    const failed =
      Object.keys(tally.problems).length > 0 ||
      crashed !== undefined ||
      confirmed.length > 0 ||
      exitCode !== 0;
    return failed ? 1 : 0;
  } catch (error) {
    clearInterval(progress);
    probe?.stop();
    client.close();
    stopping = true;
    clearInterval(alive);
    await server.stop();
    throw error;
  }
}

fuzz(parseOptions(process.argv.slice(2))).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 2;
  },
);
