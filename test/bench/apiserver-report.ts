/**
 * `npm run bench:apiserver`'s figures, their table and issue #17's targets for the path through the
 * API server ("1. Latency through the real API server"), judged on the phases of one run.
 */
import type { LatencySummary } from './stats.js';
import { formatTargetLine, type TargetRow } from './target-row.js';

/** The phases, alternated round by round (apiserver.ts says what each is). */
export const PHASES = ['none', 'bare', 'bare-small', 'ztgate', 'mesh-bare', 'mesh-ztgate'] as const;
/** One phase. */
export type Phase = (typeof PHASES)[number];

/** One phase's medians over the rounds, and webhook calls per pod by webhook name. */
export interface PhaseFigures {
  readonly phase: Phase;
  readonly p50: number;
  readonly p99: number;
  readonly rounds: LatencySummary[];
  readonly calls: Record<string, number>;
  /**
   * CPU time per pod (ms, user + system from /proc, medians of the rounds) of the API server and
   * of the phase's webhook server (none has none). Optional: runs before 2026-12-02 lack them.
   */
  readonly apiserverCpuMs?: number;
  readonly webhookCpuMs?: number;
}

/** Everything one run reports; `--json FILE` writes exactly this. */
export interface ApiserverReport {
  readonly date: string;
  readonly rounds: number;
  /** Pod creations per phase and round. */
  readonly requests: number;
  readonly phases: readonly PhaseFigures[];
  readonly targets: readonly TargetRow[];
}

/** How the table names a phase used as a baseline. */
const BASELINE_NAMES: Readonly<Record<Phase, string>> = {
  none: 'no webhook',
  bare: 'bare webhook',
  'bare-small': 'bare webhook, one-op patch',
  ztgate: 'ztgate',
  'mesh-bare': "mesh's injector + bare /validate",
  'mesh-ztgate': "mesh's injector + ztgate's /validate",
};

/** The note of a CPU row whose processes' CPU was not read. */
const CPU_UNREAD = 'CPU was not read';

/** The bare phase a phase is compared with: the mesh phases with theirs. */
function bareOf(phase: Phase): Phase | undefined {
  if (phase === 'none') return undefined;
  return phase === 'mesh-bare' || phase === 'mesh-ztgate' ? 'mesh-bare' : 'bare';
}

/**
 * A difference (ms) of ztgate's phase to a baseline phase in one figure — a latency quantile, or
 * CPU per pod — judged against `limit` ms, or only measured without one.
 */
function over(
  name: string,
  ztgate: PhaseFigures | undefined,
  base: PhaseFigures | undefined,
  field: 'p50' | 'p99' | 'webhookCpuMs' | 'apiserverCpuMs',
  limit: number | undefined,
  unmeasured = 'a phase was not measured',
): TargetRow {
  const figure = ztgate?.[field] ?? Number.NaN;
  const baseline = base?.[field] ?? Number.NaN;
  const value = figure - baseline;
  const measured = Number.isFinite(value);
  return {
    name,
    value,
    unit: 'ms',
    target: limit === undefined ? '' : `≤ ${limit} ms`,
    pass: limit === undefined || !measured ? undefined : value <= limit,
    compared: {
      figure,
      baseline,
      against: base === undefined ? 'baseline' : BASELINE_NAMES[base.phase],
      unit: 'ms',
    },
    note: measured ? undefined : unmeasured,
  };
}

/** The targets for this path, and what a smaller patch saves (measured, no target). */
export function judgeApiserverTargets(figures: readonly PhaseFigures[]): TargetRow[] {
  const phase = (name: Phase): PhaseFigures | undefined => figures.find((f) => f.phase === name);
  const ztgate = phase('ztgate');
  const bare = phase('bare');
  const none = phase('none');
  const calls = Object.values(ztgate?.calls ?? {});
  const most = calls.length === 0 ? Number.NaN : Math.max(...calls);
  return [
    over('ztgate over the bare webhook with the same patch, p50', ztgate, bare, 'p50', 0.5),
    over('webhook overhead over no webhook, p50', ztgate, none, 'p50', 3),
    over('webhook overhead over no webhook, p99', ztgate, none, 'p99', 8),
    {
      name: "calls per webhook per pod (ztgate's most called)",
      value: most,
      unit: 'calls',
      target: '≤ 1',
      // Counts are medians of per-round averages: allow for a stray retry in a round.
      pass: Number.isFinite(most) ? most <= 1.001 : undefined,
      note: Number.isFinite(most) ? undefined : 'no webhook call was counted',
    },
    over(
      "a one-operation patch instead of ztgate's, p50 (bare webhook)",
      phase('bare-small'),
      bare,
      'p50',
      undefined,
    ),
    // Where the latency goes: measured, no target.
    over(
      "ztgate's server CPU per pod over the bare webhook's",
      ztgate,
      bare,
      'webhookCpuMs',
      undefined,
      CPU_UNREAD,
    ),
    over(
      "the API server's CPU per pod, ztgate against the bare webhook",
      ztgate,
      bare,
      'apiserverCpuMs',
      undefined,
      CPU_UNREAD,
    ),
    over(
      "under the mesh's injector (Istio, the default): ztgate's /validate over a bare one, p50",
      phase('mesh-ztgate'),
      phase('mesh-bare'),
      'p50',
      0.5,
    ),
  ];
}

/** The phases' table and the targets, as `npm run bench:apiserver` prints them. */
export function formatApiserverReport(report: ApiserverReport): string {
  const { phases: figures, requests, rounds } = report;
  const none = figures.find((f) => f.phase === 'none');
  const baseline = (phase: Phase): PhaseFigures | undefined => {
    const name = bareOf(phase);
    return name === undefined ? undefined : figures.find((f) => f.phase === name);
  };
  const lines = [
    `pod creations through kube-apiserver 1.20 (dryRun=All, 5 KB pod, sequential, one keep-alive connection), ${rounds} round(s) × ${requests} per phase, phases alternated; medians of the rounds' figures (ms)`,
    '',
    'phase        p50     p99     +p50 vs none  +p99 vs none  +p50 vs bare  CPU/pod: apiserver  webhook  webhook calls per pod',
  ];
  const pad = (text: string, width: number): string => text.padEnd(width);
  const num = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(2));
  const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
  const cpu = (value: number | undefined): string =>
    value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(2);
  const bareCell = (f: PhaseFigures): string => {
    const base = baseline(f.phase);
    return base === undefined ? '-' : signed(f.p50 - base.p50);
  };
  for (const f of figures) {
    const calls = Object.entries(f.calls)
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(', ');
    lines.push(
      [
        pad(f.phase, 12),
        pad(num(f.p50), 7),
        pad(num(f.p99), 7),
        pad(none === undefined ? '-' : signed(f.p50 - none.p50), 13),
        pad(none === undefined ? '-' : signed(f.p99 - none.p99), 13),
        pad(bareCell(f), 13),
        pad(cpu(f.apiserverCpuMs), 18),
        pad(cpu(f.webhookCpuMs), 8),
        calls === '' ? '-' : calls,
      ].join(' '),
    );
  }
  lines.push('', 'targets (issue 17):', ...report.targets.map(formatTargetLine));
  return lines.join('\n');
}
