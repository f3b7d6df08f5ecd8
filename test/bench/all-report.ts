/**
 * `npm run bench:all`'s one table: the target rows of the three benches of one run, concatenated
 * (each bench judges its own targets: figures.ts, apiserver-report.ts, cluster-report.ts), with a
 * "not run" row and the reason for a bench that could not run, and the run's exit status.
 */
import { formatBaseline, formatFigure, formatValue, statusOf, type TargetRow } from './target-row.js';

/** The benches bench:all runs, in order. */
export const BENCHES = [
  { id: 'bench', command: 'npm run bench', script: 'run.ts', controlPlane: false },
  { id: 'apiserver', command: 'npm run bench:apiserver', script: 'apiserver.ts', controlPlane: true },
  { id: 'cluster', command: 'npm run bench:cluster', script: 'cluster.ts', controlPlane: true },
] as const;

/** One of BENCHES. */
export type BenchId = (typeof BENCHES)[number]['id'];

/** What became of one bench in this run. */
export type BenchOutcome =
  | {
      readonly bench: BenchId;
      readonly ran: true;
      readonly exitCode: number;
      /** Why the bench failed (its last error line), when it exited non-zero or wrote no figures. */
      readonly failure?: string | undefined;
      readonly targets: readonly TargetRow[];
      /** The bench's own `--json` document. */
      readonly report: unknown;
    }
  | {
      readonly bench: BenchId;
      readonly ran: false;
      readonly reason: string;
      /** Left out on request (`--skip`): does not fail the run. */
      readonly skipped: boolean;
    };

/** Everything `bench:all --json FILE` writes. */
export interface AllReport {
  readonly date: string;
  readonly node: string;
  readonly cpus: number;
  readonly quick: boolean;
  readonly benches: readonly BenchOutcome[];
}

function isRow(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const row = value as Record<string, unknown>;
  return (
    typeof row['name'] === 'string' &&
    typeof row['unit'] === 'string' &&
    typeof row['target'] === 'string' &&
    (typeof row['value'] === 'number' || row['value'] === null) &&
    (row['pass'] === undefined || typeof row['pass'] === 'boolean')
  );
}

/**
 * The target rows of a bench's `--json` document (its `targets`); throws when there are none or
 * one is malformed, so a bench that stopped writing its targets fails the run instead of
 * vanishing from the table. JSON writes NaN as null: read back, a null value is NaN again.
 */
export function targetsOf(bench: BenchId, document: unknown): TargetRow[] {
  const targets = (document as { targets?: unknown } | null)?.targets;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every(isRow))
    throw new Error(`${bench}: its --json document has no well-formed targets`);
  return (targets as (TargetRow & { value: number | null })[]).map((row) => ({
    ...row,
    value: row.value ?? Number.NaN,
  }));
}

/** Exit status: 1 when a bench failed or did not run (unless skipped), or with `strict` on a missed target. */
export function exitCodeOf(report: AllReport, strict: boolean): number {
  for (const outcome of report.benches) {
    if (outcome.ran ? outcome.exitCode !== 0 || outcome.failure !== undefined : !outcome.skipped) return 1;
    if (strict && outcome.ran && outcome.targets.some((row) => row.pass === false)) return 1;
  }
  return 0;
}

const HEADER = ['bench', 'measure', 'figure', 'same-run baseline', 'ratio / Δ', 'target', 'status'];

function commandOf(bench: BenchId): string {
  return BENCHES.find((b) => b.id === bench)?.command ?? bench;
}

/** The cells of one bench's rows: its targets, then a failure row; or one "not run" row. */
export function benchCells(outcome: BenchOutcome): string[][] {
  if (!outcome.ran) {
    const status = outcome.skipped ? 'skipped' : 'not run';
    return [
      [outcome.bench, `all of ${commandOf(outcome.bench)}'s targets`, '', '', '', '', status, outcome.reason],
    ];
  }
  const rows = outcome.targets.map((row) => {
    const compared = row.compared;
    return [
      outcome.bench,
      row.name,
      compared === undefined ? formatValue(row) : formatFigure(compared.figure, compared.unit),
      formatBaseline(row),
      compared === undefined ? '' : formatValue(row),
      row.target === '' ? '(measure)' : row.target,
      statusOf(row),
      row.note ?? '',
    ];
  });
  if (rows.length === 0)
    rows.push([
      outcome.bench,
      `all of ${commandOf(outcome.bench)}'s targets`,
      '',
      '',
      '',
      '',
      'not measured',
      'the bench wrote no targets',
    ]);
  if (outcome.exitCode !== 0 || outcome.failure !== undefined)
    rows.push([
      outcome.bench,
      'the run itself',
      '',
      '',
      '',
      'no errors',
      'FAILED',
      `exit ${outcome.exitCode}${outcome.failure === undefined ? '' : `: ${outcome.failure}`}`,
    ]);
  return rows;
}

/** The summary's order: targets judged, then what was not. */
const STATUS_ORDER = [
  'met',
  'NOT met',
  'not judged',
  'measured',
  'not measured',
  'not run',
  'skipped',
  'FAILED',
];

function countStatuses(cells: readonly string[][]): string {
  const counts = new Map<string, number>(STATUS_ORDER.map((status) => [status, 0]));
  for (const row of cells) counts.set(row[6] ?? '', (counts.get(row[6] ?? '') ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
}

/** The one table of every target of issue #17 in this run, with a heading and a summary line. */
export function formatAllReport(report: AllReport, strict = false): string {
  const cells = report.benches.flatMap(benchCells);
  const widths = HEADER.map((title, i) =>
    Math.max(title.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] ?? 0) : cell))
      .join('  ')
      .trimEnd();
  const exit = exitCodeOf(report, strict);
  return [
    `issue #17 targets, npm run bench:all — ${report.date}, Node ${report.node}, ${report.cpus} CPUs, ${report.quick ? 'quick smoke run' : 'full run'}`,
    ...(report.quick
      ? [
          'QUICK RUN: small clusters and short runs prove that every bench works; its figures and statuses say nothing about the targets.',
        ]
      : []),
    "ratio / Δ is the figure the target judges, as each bench judges it; npm run bench's is the median of per-round (or per-pair) comparisons, so it can differ from figure ÷ baseline.",
    'Baselines are measured in the same run: the bare Fastify ceiling, a bare webhook answering the same patch, the API server with no webhook.',
    '',
    line([...HEADER, 'note']),
    ...cells.map(line),
    '',
    `${countStatuses(cells)}; exit ${exit} (${strict ? 'errors, benches not run and missed targets fail' : 'errors and benches not run fail; missed targets do not without --strict'})`,
  ].join('\n');
}
