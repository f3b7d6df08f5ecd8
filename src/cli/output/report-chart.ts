/**
 * Denials and warnings over time as inline SVG line charts: one line a namespace (or rule), one
 * point a time bucket. Drawn here, so the page needs no script and no asset from anywhere.
 */
import type { ReportEvent } from '../../admission/decision-report.js';
import { escapeHtml } from './html-escape.js';

const MINUTE = 60_000;
/** Bucket widths to choose from, smallest first. */
const WIDTHS = [1, 5, 15, 30, 60, 180, 360, 720, 1440, 10_080].map((minutes) => minutes * MINUTE);
/** At most this many points a line. */
const MAX_BUCKETS = 60;
/** Lines drawn a chart; the rest are summed into "(other)". */
const MAX_SERIES = 8;
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
];

/** Time buckets: `count` of width `widthMs` from `startMs`. */
export interface Buckets {
  readonly startMs: number;
  readonly widthMs: number;
  readonly count: number;
}

/** One line of a chart: its key and a count per bucket. */
export interface Series {
  readonly key: string;
  readonly counts: readonly number[];
}

/** The buckets covering `fromMs`..`toMs`: the narrowest width that needs at most MAX_BUCKETS. */
export function chooseBuckets(fromMs: number, toMs: number): Buckets {
  for (const widthMs of WIDTHS) {
    const startMs = Math.floor(fromMs / widthMs) * widthMs;
    const count = Math.floor((toMs - startMs) / widthMs) + 1;
    if (count <= MAX_BUCKETS) return { startMs, widthMs, count };
  }
  const widthMs = WIDTHS[WIDTHS.length - 1] as number;
  const startMs = Math.floor(fromMs / widthMs) * widthMs;
  return { startMs, widthMs, count: Math.floor((toMs - startMs) / widthMs) + 1 };
}

/** Events counted per bucket and key (an event counts once for each of its rules). */
export function buildSeries(
  events: readonly ReportEvent[],
  buckets: Buckets,
  keysOf: (event: ReportEvent) => readonly string[],
): Series[] {
  const byKey = new Map<string, number[]>();
  for (const event of events) {
    const at = event.time === undefined ? Number.NaN : Date.parse(event.time);
    if (!Number.isFinite(at)) continue;
    const index = Math.floor((at - buckets.startMs) / buckets.widthMs);
    if (index < 0 || index >= buckets.count) continue;
    for (const key of keysOf(event)) {
      const counts = byKey.get(key) ?? new Array<number>(buckets.count).fill(0);
      counts[index] = (counts[index] ?? 0) + 1;
      byKey.set(key, counts);
    }
  }
  const total = (counts: readonly number[]): number => counts.reduce((sum, value) => sum + value, 0);
  const all = [...byKey].sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0]));
  const shown = all.slice(0, MAX_SERIES).map(([key, counts]) => ({ key, counts }));
  const rest = all.slice(MAX_SERIES);
  if (rest.length === 0) return shown;
  const other = new Array<number>(buckets.count).fill(0);
  for (const [, counts] of rest)
    counts.forEach((value, index) => (other[index] = (other[index] ?? 0) + value));
  return [...shown, { key: `(other: ${rest.length})`, counts: other }];
}

function label(ms: number, widthMs: number): string {
  const iso = new Date(ms).toISOString();
  return widthMs >= 1440 * MINUTE ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** "5 min", "3 h", "1 d". */
function widthText(widthMs: number): string {
  const minutes = widthMs / MINUTE;
  if (minutes >= 1440) return `${minutes / 1440} d`;
  return minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`;
}

/** One chart as inline SVG, with a legend; `id` names it for tests and links. */
export function renderLineChart(
  id: string,
  title: string,
  buckets: Buckets,
  series: readonly Series[],
): string {
  const [width, height, left, right, top, bottom] = [760, 240, 44, 16, 16, 36];
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...series.flatMap((line) => line.counts));
  const x = (index: number): number =>
    left + (buckets.count === 1 ? plotWidth / 2 : (index * plotWidth) / (buckets.count - 1));
  const y = (value: number): number => top + plotHeight - (value * plotHeight) / max;
  const lines = series.map((line, n) => {
    const color = COLORS[n % COLORS.length] ?? '#000';
    const points = line.counts.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`);
    const dots = line.counts
      .map(
        (value, index) =>
          `<circle cx="${x(index).toFixed(1)}" cy="${y(value).toFixed(1)}" r="2.5" fill="${color}"><title>${escapeHtml(
            `${line.key}: ${value} from ${label(buckets.startMs + index * buckets.widthMs, buckets.widthMs)}`,
          )}</title></circle>`,
      )
      .join('');
    return `<g class="series"><polyline data-series="${escapeHtml(line.key)}" fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>${dots}</g>`;
  });
  const axis = [
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - right}" y2="${top + plotHeight}" stroke="#999"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#999"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end">${max}</text>`,
    `<text x="${left - 6}" y="${top + plotHeight}" text-anchor="end">0</text>`,
    `<text x="${left}" y="${height - 8}">${escapeHtml(label(buckets.startMs, buckets.widthMs))}</text>`,
    `<text x="${width - right}" y="${height - 8}" text-anchor="end">${escapeHtml(
      label(buckets.startMs + (buckets.count - 1) * buckets.widthMs, buckets.widthMs),
    )}</text>`,
  ];
  const legend = series
    .map(
      (line, n) =>
        `<li><span class="swatch" style="background:${COLORS[n % COLORS.length] ?? '#000'}"></span>${escapeHtml(line.key)} (${line.counts.reduce((a, b) => a + b, 0)})</li>`,
    )
    .join('');
  return [
    `<figure id="${id}"><figcaption>${escapeHtml(title)} <small>(per ${widthText(buckets.widthMs)})</small></figcaption>`,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" data-buckets="${buckets.count}">`,
    ...axis,
    ...lines,
    '</svg>',
    `<ul class="legend">${legend}</ul></figure>`,
  ].join('');
}
