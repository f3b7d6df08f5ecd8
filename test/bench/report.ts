/** The printed table and the JSON document of a bench run: the same figures in both. */
import {
  ADDED_CPU_TARGET_US,
  type AddedCpu,
  type PairedRatios,
  type ServerFigures,
  type TargetResult,
} from './figures.js';
import type { ClusterCounts } from './generate.js';
import { ROUTES } from './session.js';
import { formatTargetLine } from './target-row.js';

/** Everything a run reports; `--json FILE` writes exactly this. */
export interface BenchReport {
  readonly meta: {
    readonly date: string;
    readonly node: string;
    readonly cpus: number;
    readonly quick: boolean;
    readonly rounds: number;
    readonly durationMs: number;
    readonly sequentialMs: number;
    readonly connections: number;
    readonly server: string;
    readonly client: string;
    /** NODE_OPTIONS both servers ran with. */
    readonly nodeOptions?: string;
    readonly view: ClusterCounts;
    readonly bigView: ClusterCounts;
  };
  readonly ztgate: ServerFigures | undefined;
  readonly ceiling: ServerFigures;
  readonly big: ServerFigures | undefined;
  readonly targets: readonly TargetResult[];
  /** Ceiling CPU/request ÷ ztgate CPU/request at max load, per route (see figures.ts). */
  readonly cpuCostRatio: Readonly<Record<string, number>>;
  /** Per route, the server CPU ztgate adds per request over the ceiling at max load (µs). */
  readonly addedCpuUs?: Readonly<Record<string, AddedCpu>> | undefined;
  /** Per route, the ratios of the paired bursts (ztgate / ceiling side by side), when run. */
  readonly paired?: Readonly<Record<string, PairedRatios>> | undefined;
  /** The budget session: µs of busy work per request and the throughput ratio it kept, per route. */
  readonly budget?: { readonly workUs: number; readonly ratio: Readonly<Record<string, number>> } | undefined;
  readonly problems: readonly string[];
}

function num(value: number | undefined, digits = 2): string {
  return value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 8) : c.padStart(widths[i] ?? 8))).join('  ');
}

function serverRows(label: string, figures: ServerFigures | undefined, widths: readonly number[]): string[] {
  if (figures === undefined) return [row([label, '(not measured)'], widths)];
  const lines: string[] = [];
  for (const route of ROUTES) {
    for (const f of figures.routes[route]) {
      const name = f.load === 'sequential' ? '1 conn seq' : f.load === 'max' ? 'max' : `${f.load}/s`;
      lines.push(
        row(
          [
            label,
            `/${route}`,
            name,
            num(f.throughput, 0),
            num(f.p50),
            num(f.p90),
            num(f.p99),
            num(f.max),
            num(f.cpuUsPerRequest, 0),
          ],
          widths,
        ),
      );
    }
  }
  return lines;
}

function viewLine(name: string, c: ClusterCounts): string {
  return `${name}: ${c.namespaces} namespaces, ${c.serviceAccounts} ServiceAccounts, ${c.deployments} Deployments, ${c.policies} policies + ${c.defaultDenyPolicies} default-deny`;
}

/** The paired bursts' throughput ratios: median and range per route. */
function pairedLines(report: BenchReport): string[] {
  if (report.paired === undefined) return [];
  const routes = Object.entries(report.paired).map(
    ([route, r]) => `/${route} ${num(r.median)} (${num(r.min)}–${num(r.max)}, ${r.pairs} pairs)`,
  );
  return [
    `throughput ratio from paired bursts (side by side, taking turns, order flipped each pair): ${routes.join(', ')}`,
  ];
}

/** What ztgate adds per request over the ceiling, measured in this run, against the issue's budget. */
function addedCpuLines(report: BenchReport): string[] {
  if (report.addedCpuUs === undefined) return [];
  const routes = Object.entries(report.addedCpuUs).map(
    ([route, a]) =>
      `/${route} ${num(a.median, 0)} µs (${num(a.min, 0)}–${num(a.max, 0)}, ${a.samples} ${a.source})`,
  );
  return [
    `added server CPU per request at max load (ztgate − ceiling, same run): ${routes.join(', ')}; target ≤ ${ADDED_CPU_TARGET_US} µs`,
  ];
}

/** What the throughput target leaves room for on the machine at hand. */
function budgetLines(report: BenchReport): string[] {
  if (report.budget === undefined) return [];
  const kept = ROUTES.map((route) => `/${route} ${num(report.budget?.ratio[route])}`);
  return [
    `budget: the ceiling with ${report.budget.workUs} µs of busy work per request keeps ${kept.join(', ')} of its throughput`,
  ];
}

/** Renders the report as the text table `npm run bench` prints. */
export function formatReport(report: BenchReport): string {
  const m = report.meta;
  const widths = [10, 10, 11, 8, 7, 7, 7, 8, 11];
  const lines = [
    `ztgate bench — ${m.date}, Node ${m.node}, ${m.cpus} CPUs, ${m.quick ? 'quick' : 'full'} run`,
    `${m.rounds} round(s) alternating ztgate / ceiling / ztgate 10×${report.budget === undefined ? '' : ' / budget'}${report.paired === undefined ? '' : ' / paired bursts'}; medians across rounds; ${m.client}`,
    viewLine('1× view', m.view),
    viewLine('10× view', m.bigView),
    `ztgate from ${m.server}; latency from each request's scheduled start (ms)`,
    `both servers run with NODE_OPTIONS=${m.nodeOptions ?? '(none)'} (as the Dockerfile and deployment give ztgate)`,
    '',
    row(['server', 'route', 'load', 'req/s', 'p50', 'p90', 'p99', 'max', 'cpu µs/req'], widths),
    ...serverRows('ztgate', report.ztgate, widths),
    ...serverRows('ceiling', report.ceiling, widths),
    ...serverRows('ztgate 10×', report.big, widths),
    '',
    `start → ready: ztgate ${num(report.ztgate?.readyMs, 0)} ms (10× view ${num(report.big?.readyMs, 0)} ms), ceiling ${num(report.ceiling.readyMs, 0)} ms`,
    `RSS after load: ztgate ${num(report.ztgate?.rssMiB, 1)} MiB (peak ${num(report.ztgate?.peakMiB, 1)}), 10× view ${num(report.big?.rssMiB, 1)} MiB, ceiling ${num(report.ceiling.rssMiB, 1)} MiB`,
    `CPU cost at max load, ceiling ÷ ztgate per request: ${Object.entries(report.cpuCostRatio)
      .map(([route, ratio]) => `/${route} ${num(ratio)}`)
      .join(
        ', ',
      )} (the throughput ratio a CPU-bound server reaches; steadier than req/s on a shared machine)`,
    ...pairedLines(report),
    ...addedCpuLines(report),
    ...budgetLines(report),
    '',
    'targets (missed targets do not fail the run unless --strict):',
    ...report.targets.map(formatTargetLine),
  ];
  if (report.problems.length > 0)
    lines.push('', 'problems (these fail the run):', ...report.problems.map((p) => `  ${p}`));
  return `${lines.join('\n')}\n`;
}
