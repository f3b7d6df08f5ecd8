/**
 * The throughput ratio from paired bursts: ztgate and the ceiling run side by side and take turns
 * at max throughput, a few seconds each, the order flipped every pair, so the machine's noise
 * (another tenant's load comes and goes within a minute) hits both servers of a pair alike. The
 * target is judged on the median of the per-pair ratios. Each burst also reads the server's CPU,
 * so the CPU ztgate adds per request over the ceiling is a per-pair difference too.
 */
import type { DriverClient } from './driver-client.js';
import type { LoadResult } from './driver-protocol.js';
import { problemCounts } from './figures.js';
import { startServer, type RunningServer, type ServerSpec } from './server-process.js';
import { ROUTES, type Route } from './session.js';

/** How the pairs run. */
export interface PairPlan {
  readonly pairs: number;
  readonly burstMs: number;
  readonly warmupMs: number;
  readonly connections: number;
  readonly bodyFiles: Readonly<Record<Route, string>>;
}

/** One pair's max-throughput figures (req/s) for one route, and each server's CPU per request. */
export interface PairFigures {
  readonly ztgate: number;
  readonly ceiling: number;
  /** Server CPU per completed request during the burst, µs (from /proc, as the sessions'). */
  readonly ztgateCpuUs?: number;
  readonly ceilingCpuUs?: number;
}

/** One burst: its load result and the server's CPU per completed request, µs. */
interface BurstFigures {
  readonly result: LoadResult;
  readonly cpuUs: number;
}

/** Every pair of a round, per route, and a line per burst that saw a problem. */
export interface PairedRound {
  readonly routes: Readonly<Record<Route, readonly PairFigures[]>>;
  readonly problems: readonly string[];
}

function problemLine(label: string, route: Route, result: LoadResult): string | undefined {
  const counts = problemCounts(result);
  return counts === undefined
    ? undefined
    : `${label} /${route} paired burst: ${counts} — ${result.firstProblem ?? ''}`;
}

async function burst(
  driver: DriverClient,
  server: RunningServer,
  caFile: string,
  plan: PairPlan,
  route: Route,
  durationMs: number,
): Promise<BurstFigures> {
  const cpuBefore = await server.cpuMs();
  const result = await driver.run({
    port: server.port,
    path: `/${route}`,
    bodiesFile: plan.bodyFiles[route],
    caFile,
    mode: { kind: 'closed', concurrency: plan.connections },
    durationMs,
    maxSockets: plan.connections,
  });
  const cpuMs = (await server.cpuMs()) - cpuBefore;
  return { result, cpuUs: result.completed === 0 ? Number.NaN : (cpuMs * 1000) / result.completed };
}

/** Starts both servers, warms them, runs the pairs on each route, stops both. */
export async function runPairs(
  ztgateSpec: ServerSpec,
  ceilingSpec: ServerSpec,
  driver: DriverClient,
  plan: PairPlan,
): Promise<PairedRound> {
  const ztgate = await startServer(ztgateSpec);
  try {
    const ceiling = await startServer(ceilingSpec);
    try {
      const routes = {} as Record<Route, PairFigures[]>;
      const problems: string[] = [];
      const labels = new Map([
        [ztgate, ztgateSpec.label],
        [ceiling, ceilingSpec.label],
      ]);
      for (const route of ROUTES) {
        for (const server of [ztgate, ceiling])
          await burst(driver, server, ztgateSpec.caFile, plan, route, plan.warmupMs);
        const pairs: PairFigures[] = [];
        for (let index = 0; index < plan.pairs; index++) {
          // Flip the order every pair so a trend in the machine's load favours neither server.
          const order = index % 2 === 0 ? [ztgate, ceiling] : [ceiling, ztgate];
          const results = new Map<RunningServer, BurstFigures>();
          for (const server of order) {
            const figures = await burst(driver, server, ztgateSpec.caFile, plan, route, plan.burstMs);
            const problem = problemLine(labels.get(server) ?? '', route, figures.result);
            if (problem !== undefined) problems.push(problem);
            results.set(server, figures);
          }
          pairs.push({
            ztgate: results.get(ztgate)?.result.throughput ?? Number.NaN,
            ceiling: results.get(ceiling)?.result.throughput ?? Number.NaN,
            ztgateCpuUs: results.get(ztgate)?.cpuUs ?? Number.NaN,
            ceilingCpuUs: results.get(ceiling)?.cpuUs ?? Number.NaN,
          });
        }
        routes[route] = pairs;
      }
      return { routes, problems };
    } finally {
      await ceiling.stop();
    }
  } finally {
    await ztgate.stop();
  }
}
