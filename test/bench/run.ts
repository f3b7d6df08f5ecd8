/**
 * `npm run bench`: ztgate against the bare Fastify ceiling on the same machine, alternating the
 * two so noise hits both. See options.ts for flags; the figures and targets are in report.ts.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ensureBenchCerts } from './bench-certs.js';
import { ceilingArgs, resolveServerSource, ztgateArgs } from './commands.js';
import { startDriver } from './driver-client.js';
import {
  addedCpuPerRequest,
  budgetRatios,
  collectProblems,
  cpuCostRatios,
  judgeTargets,
  medianFigures,
  pairedRatios,
  type RoundFigures,
} from './figures.js';
import { generateReviews } from './gen-reviews.js';
import { optionsOrUsage, parseBenchOptions, USAGE, type BenchOptions } from './options.js';
import { runPairs, type PairedRound } from './paired.js';
import { mutateThroughZtgate, writeBodyFile, writePatchFile } from './prepare.js';
import { formatReport, type BenchReport } from './report.js';
import { runSession, type SessionFigures, type SessionPlan } from './session.js';
import { SERVER_NODE_OPTIONS } from './server-process.js';
import { ensureStateDir } from './state-writer.js';

const REVIEW_COUNTS = { pods: 200, deployments: 40, networkPolicies: 40 };

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

async function attempt(
  label: string,
  problems: string[],
  run: () => Promise<SessionFigures>,
): Promise<SessionFigures | undefined> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problems.push(`${label}: ${message}`);
    log(`${label} failed: ${message}`);
    return undefined;
  }
}

async function bench(options: BenchOptions): Promise<number> {
  const work = options.workDir;
  const logs = join(work, 'logs');
  await rm(logs, { recursive: true, force: true });
  await mkdir(logs, { recursive: true });
  const certs = await ensureBenchCerts(join(work, 'certs'));
  log('generating views (cached by seed and scale)');
  const small = await ensureStateDir(work, { scale: options.scale, seed: options.seed }, options.format);
  const big = await ensureStateDir(
    work,
    { scale: options.scale * options.bigFactor, seed: options.seed },
    options.format,
  );
  const reviews = generateReviews(small.cluster, REVIEW_COUNTS, options.seed);
  const mutateBodies = [...reviews.pods, ...reviews.deployments];
  const bodyFiles = {
    mutate: join(work, 'bodies-mutate.json'),
    validate: join(work, 'bodies-validate.json'),
  };
  const ceilingPatches = join(work, 'ceiling-patches.json');
  await writeBodyFile(bodyFiles.mutate, mutateBodies);
  // Until ztgate has mutated them, /validate gets the bodies as generated (the ceiling does not care).
  await writeBodyFile(bodyFiles.validate, [...mutateBodies, ...reviews.networkPolicies]);

  const source = await resolveServerSource(options.server);
  const plan: SessionPlan = {
    warmupMs: options.quick ? 500 : 2000,
    sequentialMs: options.sequentialMs,
    durationMs: options.durationMs,
    rates: options.rates,
    max: true,
    connections: options.connections,
    bodyFiles,
  };
  const bigPlan: SessionPlan = { ...plan, rates: options.rates.slice(0, 1), max: false };
  // The budget session needs max throughput only; its sequential run is a short formality.
  const budgetPlan: SessionPlan = { ...plan, rates: [], sequentialMs: 500 };
  const spec = (label: string, args: string[], round: number, readyTimeoutMs: number) => ({
    label,
    args,
    logFile: join(logs, `${label.replace(/\W+/g, '-')}-round${round}.log`),
    caFile: certs.certFile,
    readyTimeoutMs,
  });
  const problems: string[] = [];
  let mutated = false;
  const prepare = async (port: number): Promise<void> => {
    if (mutated) return;
    const outcome = await mutateThroughZtgate(port, certs.cert, mutateBodies);
    problems.push(...outcome.problems);
    await writeBodyFile(bodyFiles.validate, [...outcome.bodies, ...reviews.networkPolicies]);
    await writePatchFile(ceilingPatches, outcome.patches);
    mutated = true;
  };

  const driver = startDriver();
  const rounds: RoundFigures[] = [];
  let ztgateWorks = true;
  try {
    for (let round = 1; round <= options.rounds; round++) {
      log(`round ${round}/${options.rounds}: ztgate (${source})`);
      const ztgate: SessionFigures | undefined = ztgateWorks
        ? await attempt(`ztgate round ${round}`, problems, () =>
            runSession(
              spec('ztgate', ztgateArgs(source, small.dir, certs, options.cpuProfDir), round, 120_000),
              driver,
              plan,
              prepare,
            ),
          )
        : undefined;
      ztgateWorks = ztgate !== undefined;
      log(`round ${round}/${options.rounds}: ceiling`);
      const ceilingSpec = spec(
        'ceiling',
        ceilingArgs(certs, mutated ? ceilingPatches : undefined),
        round,
        60_000,
      );
      const ceiling = await runSession(ceilingSpec, driver, plan);
      log(`round ${round}/${options.rounds}: ztgate on the ${options.bigFactor}× view`);
      const bigSession = ztgateWorks
        ? await attempt(`ztgate ${options.bigFactor}× round ${round}`, problems, () =>
            runSession(
              spec('ztgate 10×', ztgateArgs(source, big.dir, certs, options.cpuProfDir), round, 600_000),
              driver,
              bigPlan,
            ),
          )
        : undefined;
      let budget: SessionFigures | undefined;
      if (options.budgetUs > 0) {
        log(`round ${round}/${options.rounds}: ceiling with ${options.budgetUs} µs of work per request`);
        budget = await runSession(
          spec(
            `ceiling +${options.budgetUs} µs`,
            ceilingArgs(certs, mutated ? ceilingPatches : undefined, options.budgetUs),
            round,
            60_000,
          ),
          driver,
          budgetPlan,
        );
      }
      let paired: PairedRound | undefined;
      if (ztgateWorks && options.pairs > 0) {
        log(`round ${round}/${options.rounds}: ${options.pairs} paired bursts per route`);
        paired = await runPairs(
          spec('ztgate paired', ztgateArgs(source, small.dir, certs), round, 120_000),
          spec('ceiling paired', ceilingArgs(certs, ceilingPatches), round, 60_000),
          driver,
          {
            pairs: options.pairs,
            burstMs: options.burstMs,
            warmupMs: plan.warmupMs,
            connections: options.connections,
            bodyFiles,
          },
        );
      }
      rounds.push({ ztgate, ceiling, big: bigSession, budget, paired });
    }
  } finally {
    driver.close();
  }

  const ceiling = medianFigures(rounds.map((r) => r.ceiling));
  if (ceiling === undefined) throw new Error('no round completed');
  const budgetKept = budgetRatios(rounds);
  const paired = pairedRatios(rounds);
  const report: BenchReport = {
    meta: {
      date: new Date().toISOString(),
      node: process.versions.node,
      cpus: availableParallelism(),
      quick: options.quick,
      rounds: options.rounds,
      durationMs: options.durationMs,
      sequentialMs: options.sequentialMs,
      connections: options.connections,
      server: source === 'dist' ? 'dist (bin/ztgate.js)' : 'src via tsx',
      nodeOptions: SERVER_NODE_OPTIONS,
      client: `HTTP/1.1 keep-alive over TLS from a forked driver; max = ${options.connections} in flight`,
      view: small.cluster.counts,
      bigView: big.cluster.counts,
    },
    ztgate: medianFigures(rounds.flatMap((r) => (r.ztgate === undefined ? [] : [r.ztgate]))),
    ceiling,
    big: medianFigures(rounds.flatMap((r) => (r.big === undefined ? [] : [r.big]))),
    targets: judgeTargets(rounds),
    cpuCostRatio: cpuCostRatios(rounds),
    addedCpuUs: addedCpuPerRequest(rounds),
    paired,
    budget: budgetKept === undefined ? undefined : { workUs: options.budgetUs, ratio: budgetKept },
    problems: [...problems, ...collectProblems(rounds)],
  };
  process.stdout.write(formatReport(report));
  if (options.jsonFile !== undefined)
    await writeFile(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  if (report.problems.length > 0) return 1;
  return options.strict && report.targets.some((t) => !t.pass) ? 1 : 0;
}

async function main(): Promise<void> {
  const options = optionsOrUsage(parseBenchOptions, USAGE);
  if (options !== undefined) process.exitCode = await bench(options);
}

await main();
