/**
 * From per-round session figures to the report: medians across rounds, per-round ratios of
 * ztgate to the ceiling run next to it (their median is what the targets judge), and every
 * problem seen. Alternating the servers and comparing neighbours keeps machine noise out.
 */
import type { LoadResult } from './driver-protocol.js';
import type { PairedRound } from './paired.js';
import { ROUTES, type Route, type SessionFigures } from './session.js';
import { median, medianSummary, type LatencySummary } from './stats.js';
import type { Comparison, TargetRow } from './target-row.js';

/**
 * One round: ztgate at 1× (absent when it could not start), the ceiling, ztgate on the large
 * view, and the ceiling with busy work per request (the budget session, when run).
 */
export interface RoundFigures {
  readonly ztgate: SessionFigures | undefined;
  readonly ceiling: SessionFigures;
  readonly big: SessionFigures | undefined;
  readonly budget?: SessionFigures | undefined;
  /** ztgate and the ceiling side by side, taking turns at max throughput (when run). */
  readonly paired?: PairedRound | undefined;
}

/** The per-pair throughput ratios (ztgate / ceiling) of every round, per route. */
export interface PairedRatios {
  readonly pairs: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median figures of one load ("sequential", "500", …, "max") on one route. */
export interface LoadFigures extends LatencySummary {
  readonly load: string;
  readonly throughput: number;
  /** Server CPU per completed request, µs: a cost figure that machine noise moves far less than latency. */
  readonly cpuUsPerRequest: number;
}

/** Median figures of one server across rounds. */
export interface ServerFigures {
  readonly readyMs: number;
  readonly rssMiB: number;
  readonly peakMiB: number;
  /** Per route, the loads in the order they ran. */
  readonly routes: Readonly<Record<Route, readonly LoadFigures[]>>;
}

/**
 * Server CPU ztgate adds per request over the ceiling at max load, on one route: per-pair
 * differences of the paired bursts when the run made them, else per-round differences of the
 * max-throughput sessions. Both servers' CPU comes from /proc in the same run.
 */
export interface AddedCpu {
  readonly source: 'paired bursts' | 'sessions';
  readonly samples: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The budget: ztgate adds at most this much server CPU per request at max load (µs). */
export const ADDED_CPU_TARGET_US = 60;

/** A target of the issue and how this run did: a TargetRow that is always judged. */
export interface TargetResult extends TargetRow {
  readonly pass: boolean;
}

/** The loads of a route in the order they ran: sequential, each rate, max. */
function loadsOf(session: SessionFigures, route: Route): [string, LoadResult][] {
  const figures = session.routes[route];
  const loads: [string, LoadResult][] = [['sequential', figures.sequential]];
  for (const [rate, result] of Object.entries(figures.rates).sort(([a], [b]) => Number(a) - Number(b))) {
    loads.push([rate, result]);
  }
  if (figures.max !== undefined) loads.push(['max', figures.max]);
  return loads;
}

function loadOf(session: SessionFigures, route: Route, load: string): LoadResult | undefined {
  return loadsOf(session, route).find(([name]) => name === load)?.[1];
}

/** Field-wise medians of one server's sessions. */
export function medianFigures(sessions: readonly SessionFigures[]): ServerFigures | undefined {
  const first = sessions[0];
  if (first === undefined) return undefined;
  const routes = {} as Record<Route, LoadFigures[]>;
  for (const route of ROUTES) {
    routes[route] = loadsOf(first, route).map(([load]) => {
      const results = sessions
        .map((s) => loadOf(s, route, load))
        .filter((r): r is LoadResult => r !== undefined);
      return {
        load,
        ...medianSummary(results.map((r) => r.latency)),
        throughput: median(results.map((r) => r.throughput)),
        cpuUsPerRequest: median(results.map(cpuPerRequest)),
      };
    });
  }
  return {
    readyMs: median(sessions.map((s) => s.readyMs)),
    rssMiB: median(sessions.map((s) => s.memory.rssMiB)),
    peakMiB: median(sessions.map((s) => s.memory.peakMiB)),
    routes,
  };
}

function cpuPerRequest(result: LoadResult): number {
  return result.serverCpuMs === undefined || result.completed === 0
    ? Number.NaN
    : (result.serverCpuMs * 1000) / result.completed;
}

/** Median over rounds of f(round), skipping rounds where f has no value. */
function medianOver(rounds: readonly RoundFigures[], f: (round: RoundFigures) => number | undefined): number {
  return median(rounds.map(f).filter((v): v is number => v !== undefined));
}

/** Median over rounds of the max-throughput ratio of `pick`'s session to the ceiling's, on one route. */
function maxThroughputRatio(
  rounds: readonly RoundFigures[],
  route: Route,
  pick: (round: RoundFigures) => SessionFigures | undefined,
): number {
  return medianOver(rounds, (r) => {
    const other = pick(r)?.routes[route].max?.throughput;
    const ceiling = r.ceiling.routes[route].max?.throughput;
    return other === undefined || ceiling === undefined ? undefined : other / ceiling;
  });
}

/** Per route, the ratios of every paired burst across rounds; undefined when no round ran pairs. */
export function pairedRatios(rounds: readonly RoundFigures[]): Record<Route, PairedRatios> | undefined {
  if (!rounds.some((r) => r.paired !== undefined)) return undefined;
  const out = {} as Record<Route, PairedRatios>;
  for (const route of ROUTES) {
    const ratios = rounds
      .flatMap((r) => r.paired?.routes[route] ?? [])
      .map((pair) => pair.ztgate / pair.ceiling)
      .filter((ratio) => Number.isFinite(ratio));
    out[route] = {
      pairs: ratios.length,
      median: median(ratios),
      min: ratios.length === 0 ? Number.NaN : Math.min(...ratios),
      max: ratios.length === 0 ? Number.NaN : Math.max(...ratios),
    };
  }
  return out;
}

function spread(source: AddedCpu['source'], values: readonly number[]): AddedCpu {
  return {
    source,
    samples: values.length,
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
  };
}

/**
 * Server CPU per request of ztgate and the ceiling side by side on one route: the paired bursts'
 * readings when the run made them, else each round's max-throughput sessions (see AddedCpu).
 */
function cpuSides(
  rounds: readonly RoundFigures[],
  route: Route,
): { source: AddedCpu['source']; sides: [number, number][] } {
  const finite = ([z, c]: [number, number]): boolean => Number.isFinite(z - c);
  const fromPairs = rounds
    .flatMap((r) => r.paired?.routes[route] ?? [])
    .map((pair): [number, number] => [pair.ztgateCpuUs ?? Number.NaN, pair.ceilingCpuUs ?? Number.NaN])
    .filter(finite);
  if (fromPairs.length > 0) return { source: 'paired bursts', sides: fromPairs };
  const fromSessions = rounds
    .map((r): [number, number] => {
      const z = r.ztgate?.routes[route].max;
      const c = r.ceiling.routes[route].max;
      return z === undefined || c === undefined
        ? [Number.NaN, Number.NaN]
        : [cpuPerRequest(z), cpuPerRequest(c)];
    })
    .filter(finite);
  return { source: 'sessions', sides: fromSessions };
}

/** Per route, the server CPU ztgate adds per request over the ceiling at max load (see AddedCpu). */
export function addedCpuPerRequest(rounds: readonly RoundFigures[]): Record<Route, AddedCpu> {
  const out = {} as Record<Route, AddedCpu>;
  for (const route of ROUTES) {
    const { source, sides } = cpuSides(rounds, route);
    out[route] = spread(
      source,
      sides.map(([z, c]) => z - c),
    );
  }
  return out;
}

/** ztgate's and the ceiling's medians of the same figure, for a target's baseline column. */
function againstCeiling(ztgate: readonly number[], ceiling: readonly number[], unit: string): Comparison {
  return { figure: median(ztgate), baseline: median(ceiling), against: 'ceiling', unit };
}

/** The throughput figures the ratio target compares: the pairs' when it is judged on them, else the sessions'. */
function throughputSides(rounds: readonly RoundFigures[], route: Route, fromPairs: boolean): Comparison {
  if (fromPairs) {
    const pairs = rounds.flatMap((r) => r.paired?.routes[route] ?? []);
    return againstCeiling(
      pairs.map((p) => p.ztgate),
      pairs.map((p) => p.ceiling),
      'req/s',
    );
  }
  const ran = rounds.filter((r) => r.ztgate?.routes[route].max !== undefined);
  return againstCeiling(
    ran.map((r) => r.ztgate?.routes[route].max?.throughput ?? Number.NaN),
    ran.map((r) => r.ceiling.routes[route].max?.throughput ?? Number.NaN),
    'req/s',
  );
}

/** Median sequential latency (p50 or p99) of `pick`'s session over the rounds where ztgate ran. */
function sequentialLatency(
  rounds: readonly RoundFigures[],
  route: Route,
  quantile: 'p50' | 'p99',
  pick: (round: RoundFigures) => SessionFigures | undefined,
): number {
  return medianOver(rounds, (r) =>
    r.ztgate === undefined ? undefined : pick(r)?.routes[route].sequential.latency[quantile],
  );
}

/**
 * The targets, judged on per-round comparisons; the throughput ratio on the paired
 * bursts when the run made them (steadier), else on each round's max-throughput sessions.
 */
export function judgeTargets(rounds: readonly RoundFigures[]): TargetResult[] {
  const results: TargetResult[] = [];
  const paired = pairedRatios(rounds);
  for (const route of ROUTES) {
    const fromPairs = paired !== undefined && paired[route].pairs > 0 ? paired[route] : undefined;
    const ratio = fromPairs?.median ?? maxThroughputRatio(rounds, route, (r) => r.ztgate);
    results.push({
      name: `throughput ratio /${route} (ztgate / ceiling${fromPairs === undefined ? '' : ', paired bursts'})`,
      target: '≥ 0.8',
      value: ratio,
      unit: '',
      pass: ratio >= 0.8,
      compared: throughputSides(rounds, route, fromPairs !== undefined),
    });
  }
  const added = addedCpuPerRequest(rounds);
  for (const route of ROUTES) {
    const { median: value, source } = added[route];
    const { sides } = cpuSides(rounds, route);
    results.push({
      name: `added server CPU per request at max load /${route} (ztgate − ceiling, ${source})`,
      target: `≤ ${ADDED_CPU_TARGET_US} µs`,
      value,
      unit: 'µs',
      pass: value <= ADDED_CPU_TARGET_US,
      compared: againstCeiling(
        sides.map(([z]) => z),
        sides.map(([, c]) => c),
        'µs',
      ),
    });
  }
  for (const route of ROUTES) {
    const delta = medianOver(rounds, (r) =>
      r.ztgate === undefined
        ? undefined
        : r.ztgate.routes[route].sequential.latency.p99 - r.ceiling.routes[route].sequential.latency.p99,
    );
    results.push({
      name: `sequential p99 /${route}, ztgate − ceiling`,
      target: '≤ 0.5 ms',
      value: delta,
      unit: 'ms',
      pass: delta <= 0.5,
      compared: {
        figure: sequentialLatency(rounds, route, 'p99', (r) => r.ztgate),
        baseline: sequentialLatency(rounds, route, 'p99', (r) => r.ceiling),
        against: 'ceiling',
        unit: 'ms',
      },
    });
  }
  for (const route of ROUTES) {
    const ratio = medianOver(rounds, (r) =>
      r.ztgate === undefined || r.big === undefined
        ? undefined
        : r.big.routes[route].sequential.latency.p50 / r.ztgate.routes[route].sequential.latency.p50,
    );
    results.push({
      name: `sequential p50 /${route}, 10× view / 1× view`,
      target: '≤ 1.2',
      value: ratio,
      unit: '',
      pass: ratio <= 1.2,
      compared: {
        figure: sequentialLatency(rounds, route, 'p50', (r) => r.big),
        baseline: sequentialLatency(rounds, route, 'p50', (r) => r.ztgate),
        against: '1× view',
        unit: 'ms',
      },
    });
  }
  // Issue #17's memory and start-up targets (README "Memory and start-up").
  const limits: readonly [string, (r: RoundFigures) => number | undefined, number, string][] = [
    ['ztgate RSS after load, 1× view', (r) => r.ztgate?.memory.rssMiB, 200, 'MiB'],
    ['ztgate start → ready, 1× view', (r) => r.ztgate && r.ztgate.readyMs / 1000, 1.5, 's'],
    ['ztgate RSS peak, 10× view', (r) => r.big?.memory.peakMiB, 600, 'MiB'],
    ['ztgate start → ready, 10× view', (r) => r.big && r.big.readyMs / 1000, 8, 's'],
  ];
  for (const [name, pick, limit, unit] of limits) {
    if (rounds.every((r) => pick(r) === undefined)) continue;
    const value = medianOver(rounds, pick);
    results.push({ name, target: `≤ ${limit} ${unit}`, value, unit, pass: value <= limit });
  }
  return results;
}

/**
 * Per route, the median over rounds of ceiling CPU per request ÷ ztgate CPU per request at max
 * load: the throughput ratio a CPU-bound server would reach, and far steadier than req/s on a
 * shared machine, since another tenant's load slows both servers' clocks but not their CPU use.
 */
export function cpuCostRatios(rounds: readonly RoundFigures[]): Record<Route, number> {
  const out = {} as Record<Route, number>;
  for (const route of ROUTES) {
    out[route] = medianOver(rounds, (r) => {
      const z = r.ztgate?.routes[route].max;
      const c = r.ceiling.routes[route].max;
      return z === undefined || c === undefined ? undefined : cpuPerRequest(c) / cpuPerRequest(z);
    });
  }
  return out;
}

/**
 * Per route, the median over rounds of (ceiling with busy work ÷ ceiling) throughput at max load:
 * the ratio a server reaches that adds that much work per request to the ceiling's. Undefined
 * when no round ran the budget session.
 */
export function budgetRatios(rounds: readonly RoundFigures[]): Record<Route, number> | undefined {
  if (!rounds.some((r) => r.budget !== undefined)) return undefined;
  const out = {} as Record<Route, number>;
  for (const route of ROUTES) out[route] = maxThroughputRatio(rounds, route, (r) => r.budget);
  return out;
}

/** The problem counts of a load, or undefined when it saw none. */
export function problemCounts(result: LoadResult): string | undefined {
  const p = result.problems;
  if (p.errors + p.non200 + p.wrong + p.denied === 0) return undefined;
  return `errors ${p.errors}, non-200 ${p.non200}, wrong ${p.wrong}, denied ${p.denied}`;
}

/** One line for every load that saw errors, non-200s, wrong answers or denials. */
export function collectProblems(rounds: readonly RoundFigures[]): string[] {
  const lines: string[] = [];
  rounds.forEach((round, index) => {
    for (const problem of round.paired?.problems ?? []) lines.push(`round ${index + 1} ${problem}`);
    for (const session of [round.ztgate, round.ceiling, round.big, round.budget]) {
      if (session === undefined) continue;
      for (const route of ROUTES) {
        for (const [load, result] of loadsOf(session, route)) {
          const counts = problemCounts(result);
          if (counts === undefined) continue;
          lines.push(
            `round ${index + 1} ${session.label} /${route} ${load}: ${counts} — ${result.firstProblem ?? ''}`,
          );
        }
      }
    }
  });
  return lines;
}
