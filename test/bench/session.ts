/**
 * One session with one server process: start it (time to ready), warm it up, measure both routes
 * with one connection, at each fixed rate and at max throughput, then read its memory and stop it.
 */
import type { DriverClient } from './driver-client.js';
import type { LoadMode, LoadResult } from './driver-protocol.js';
import { startServer, type MemoryFigures, type ServerSpec } from './server-process.js';

/** The two admission routes. */
export const ROUTES = ['mutate', 'validate'] as const;

/** One of the admission routes. */
export type Route = (typeof ROUTES)[number];

/** What to measure in a session. */
export interface SessionPlan {
  readonly warmupMs: number;
  readonly sequentialMs: number;
  readonly durationMs: number;
  readonly rates: readonly number[];
  /** Whether to run the max-throughput measurement. */
  readonly max: boolean;
  readonly connections: number;
  readonly bodyFiles: Readonly<Record<Route, string>>;
}

/** Figures of one route in one session. */
export interface RouteFigures {
  readonly sequential: LoadResult;
  /** Keyed by the rate in req/s. */
  readonly rates: Readonly<Record<string, LoadResult>>;
  readonly max: LoadResult | undefined;
}

/** Figures of one session. */
export interface SessionFigures {
  readonly label: string;
  readonly readyMs: number;
  readonly memory: MemoryFigures;
  readonly routes: Readonly<Record<Route, RouteFigures>>;
}

/** Sockets the open-loop driver may open: enough that a burst queues on the server, not the client. */
const RATE_SOCKETS = 64;

/** Starts the server, runs the plan against it, stops it. `beforeMeasure` runs once it is ready. */
export async function runSession(
  spec: ServerSpec,
  driver: DriverClient,
  plan: SessionPlan,
  beforeMeasure?: (port: number) => Promise<void>,
): Promise<SessionFigures> {
  const server = await startServer(spec);
  try {
    await beforeMeasure?.(server.port);
    const drive = async (
      route: Route,
      mode: LoadMode,
      durationMs: number,
      maxSockets: number,
    ): Promise<LoadResult> => {
      const cpuBefore = await server.cpuMs();
      const result = await driver.run({
        port: server.port,
        path: `/${route}`,
        bodiesFile: plan.bodyFiles[route],
        caFile: spec.caFile,
        mode,
        durationMs,
        maxSockets,
      });
      return { ...result, serverCpuMs: (await server.cpuMs()) - cpuBefore };
    };
    // Warm-up lets V8 optimize the hot paths; its figures are discarded.
    for (const route of ROUTES) await drive(route, { kind: 'closed', concurrency: 8 }, plan.warmupMs, 8);
    const routes = {} as Record<Route, RouteFigures>;
    for (const route of ROUTES) {
      const sequential = await drive(route, { kind: 'closed', concurrency: 1 }, plan.sequentialMs, 1);
      const rates: Record<string, LoadResult> = {};
      for (const rate of plan.rates)
        rates[rate] = await drive(route, { kind: 'rate', rate }, plan.durationMs, RATE_SOCKETS);
      const max = plan.max
        ? await drive(
            route,
            { kind: 'closed', concurrency: plan.connections },
            plan.durationMs,
            plan.connections,
          )
        : undefined;
      routes[route] = { sequential, rates, max };
    }
    const memory = await server.memory();
    return { label: spec.label, readyMs: server.readyMs, memory, routes };
  } finally {
    await server.stop();
  }
}
