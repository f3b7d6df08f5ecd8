/** Latency and run statistics: exact percentiles over every recorded sample, medians across rounds. */

/** Percentiles of one run's latencies, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The value at quantile q (0–1) of ascending-sorted samples (nearest rank). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Summarizes latency samples (ms). */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

/** The median of values, ignoring NaN; NaN when none. */
export function median(values: readonly number[]): number {
  const clean = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (clean.length === 0) return Number.NaN;
  const mid = Math.floor(clean.length / 2);
  return clean.length % 2 === 1
    ? (clean[mid] as number)
    : ((clean[mid - 1] as number) + (clean[mid] as number)) / 2;
}

/** Field-wise median of several latency summaries. */
export function medianSummary(summaries: readonly LatencySummary[]): LatencySummary {
  const pick = (key: keyof LatencySummary): number => median(summaries.map((s) => s[key]));
  return {
    count: pick('count'),
    p50: pick('p50'),
    p90: pick('p90'),
    p99: pick('p99'),
    max: pick('max'),
    mean: pick('mean'),
  };
}
