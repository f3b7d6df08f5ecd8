/** Session figures for the bench's unit tests: loads whose CPU per request is 1000 / throughput µs. */
import type { LoadResult } from './driver-protocol.js';
import type { SessionFigures } from './session.js';

/** One load's result with no problems; `extra` overrides any field. */
export function load(
  throughput: number,
  p50: number,
  p99: number,
  extra: Partial<LoadResult> = {},
): LoadResult {
  return {
    id: 1,
    sent: 1000,
    completed: 1000,
    elapsedMs: 1000,
    throughput,
    latency: { count: 1000, p50, p90: p99, p99, max: p99, mean: p50 },
    problems: { errors: 0, non200: 0, wrong: 0, denied: 0 },
    serverCpuMs: (1000 * (1000 / throughput)) / 1000,
    ...extra,
  };
}

/** A server's session: the same loads on both routes, ready in 100 ms. */
export function session(
  label: string,
  tput: number,
  p50: number,
  p99: number,
  rssMiB: number,
): SessionFigures {
  const route = {
    sequential: load(tput / 4, p50, p99),
    rates: { 500: load(500, p50, p99) },
    max: load(tput, p50, p99),
  };
  return {
    label,
    readyMs: 100,
    memory: { rssMiB, peakMiB: rssMiB },
    routes: { mutate: route, validate: route },
  };
}
