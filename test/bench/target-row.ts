/**
 * One target of issue #17 as a bench judged it. `npm run bench` (figures.ts), `bench:apiserver`
 * (apiserver-report.ts) and `bench:cluster` (cluster-report.ts) all emit these rows, print them
 * with formatTargetLine and write them to their `--json` file; `bench:all` concatenates them.
 */

/** ztgate's figure next to a baseline measured in the same run, when the target compares the two. */
export interface Comparison {
  readonly figure: number;
  readonly baseline: number;
  /** What the baseline is: "ceiling", "bare webhook", "1× view", … */
  readonly against: string;
  readonly unit: string;
}

/** A judged target, or a figure the issue asks to measure without one (empty `target`). */
export interface TargetRow {
  readonly name: string;
  /** The judged number: the figure itself, or its ratio (unit '') or difference to `compared`'s baseline. */
  readonly value: number;
  readonly unit: string;
  /** The target ("≤ 0.5 ms"), or '' for a figure measured without one. */
  readonly target: string;
  /** Met, missed, or undefined: not judged (`note` says why) or nothing to judge. */
  readonly pass: boolean | undefined;
  readonly compared?: Comparison | undefined;
  readonly note?: string | undefined;
}

/** The status column. */
export type TargetStatus = 'met' | 'NOT met' | 'not judged' | 'measured';

/** The status of a row. */
export function statusOf(row: TargetRow): TargetStatus {
  if (row.pass === true) return 'met';
  if (row.pass === false) return 'NOT met';
  return row.target === '' ? 'measured' : 'not judged';
}

const DIGITS: Readonly<Record<string, number>> = { µs: 0, MiB: 0, 'req/s': 0, '%': 1 };

/** A number with its unit ("0.85", "164 µs", "1.42 s"); "n/a" when it was not measured. */
export function formatFigure(value: number | null, unit: string, signed = false): string {
  // JSON turns NaN into null: a figure read back from a bench's --json file may be null.
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const text = value.toFixed(DIGITS[unit] ?? 2);
  const sign = signed && value >= 0 ? '+' : '';
  return unit === '' ? `${sign}${text}` : `${sign}${text} ${unit}`;
}

/** The judged number as the table shows it: a ratio plain, a difference to a baseline signed. */
export function formatValue(row: TargetRow): string {
  return formatFigure(row.value, row.unit, row.compared !== undefined && row.unit !== '');
}

/** The baseline cell: "ceiling 9500 req/s", or '' when the target compares with none. */
export function formatBaseline(row: TargetRow): string {
  const c = row.compared;
  return c === undefined ? '' : `${c.against} ${formatFigure(c.baseline, c.unit)}`;
}

/** One line of a bench's own output: status, name, figure against baseline, target, note. */
export function formatTargetLine(row: TargetRow): string {
  const c = row.compared;
  const figure =
    c === undefined
      ? formatValue(row)
      : `${formatFigure(c.figure, c.unit)} against ${formatBaseline(row)}: ${formatValue(row)}`;
  const target = row.target === '' ? '' : ` (target ${row.target})`;
  const note = row.note === undefined ? '' : ` — ${row.note}`;
  return `  ${statusOf(row).padEnd(10)}  ${row.name}: ${figure}${target}${note}`;
}
