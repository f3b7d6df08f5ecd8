/**
 * `npm run bench:cluster`'s figures, the issue's targets next to them (issue 17, "Cluster mode
 * too"), and the extrapolation to 1× when a smaller cluster was loaded.
 */
import type { ChurnFigures, RssSample } from './cluster-churn.js';
import type { ListsFigures } from './cluster-lists.js';
import type { LoadFigures } from './cluster-load.js';
import type { PublishFigures } from './cluster-publish.js';
import { formatTargetLine, type TargetRow } from './target-row.js';

/** ztgate's figures on one cluster: start to ready, RSS then, and once its controllers settled. */
export interface ServeFigures {
  readonly readyS: number;
  readonly readyMiB: number;
  readonly settledMiB: number;
  readonly peakMiB: number;
  /** Seconds from ready until every enforced namespace had ztgate's DNS allowance. */
  readonly reconcileS: number;
  /** RSS `quietS` seconds after the controllers settled, once V8 had idle time to collect. */
  readonly quietMiB?: number;
  readonly quietS?: number;
}

/** Everything one run measured. */
export interface ClusterBenchFigures {
  readonly date: string;
  readonly scale: number;
  readonly namespaces: number;
  /** Objects of the generated cluster at this scale (the rest of `load.objects` are the bench's own). */
  readonly generated: number;
  readonly loadAverage: readonly number[];
  readonly load: LoadFigures;
  /** The API server's lists alone, made as ztgate makes them: start-up's same-run baseline. */
  readonly lists?: ListsFigures;
  /** ztgate on the control plane before anything was loaded: the base the extrapolation starts from. */
  readonly empty: ServeFigures;
  readonly loaded: ServeFigures;
  readonly publish: PublishFigures;
  readonly churn: ChurnFigures;
  readonly webhookCallsPerPod: { readonly mutate: number; readonly validate: number };
}

/** The objects of the generated 1× cluster (test/bench/generate.ts at scale 1). */
export const OBJECTS_AT_1X = 74_040;

/** RSS growth under churn: from the reading at `refS` (minute 1) to the last. */
export interface RssGrowth {
  readonly refAtS: number;
  readonly refMiB: number;
  readonly endAtS: number;
  readonly endMiB: number;
  readonly maxMiB: number;
  readonly growthPct: number;
}

/** Where the churn's comparisons start: minute 1, or half-way in a churn under two minutes. */
function churnReferenceS(minutes: number): number {
  return Math.min(60, (minutes * 60) / 2);
}

/**
 * Growth from the first reading at or after minute 1 (after half the churn when it lasts under two
 * minutes, so a short run still compares two points) to the last reading.
 */
export function rssGrowth(samples: readonly RssSample[], minutes: number): RssGrowth {
  const refS = churnReferenceS(minutes);
  const ref = samples.find((s) => s.atS >= refS - 0.5) ?? samples[0];
  const end = samples[samples.length - 1];
  if (ref === undefined || end === undefined) throw new Error('no RSS readings during the churn');
  return {
    refAtS: ref.atS,
    refMiB: ref.rssMiB,
    endAtS: end.atS,
    endMiB: end.rssMiB,
    maxMiB: Math.max(...samples.map((s) => s.rssMiB)),
    growthPct: ((end.rssMiB - ref.rssMiB) / ref.rssMiB) * 100,
  };
}

/** The lowest RSS reading in the first and in the last third of the churn after minute 1. */
export interface RssFloorGrowth {
  readonly firstWindowS: readonly [number, number];
  readonly lastWindowS: readonly [number, number];
  readonly firstMiB: number;
  readonly lastMiB: number;
  readonly growthPct: number;
}

/**
 * Whether the floor rose: the lowest reading of the first third of the churn (from minute 1, or
 * half-way in a churn under two minutes) against the lowest of the last third. V8 frees old-space
 * garbage in waves — under churn at 1× the old generation grew by about 340 MiB over 90 s and was
 * freed by one collection (2026-12-02 15:00 run) — so one reading can land anywhere on a wave,
 * while memory that is kept (a leak) raises every reading after it, the lowest included.
 */
export function rssFloorGrowth(samples: readonly RssSample[], minutes: number): RssFloorGrowth {
  const startS = churnReferenceS(minutes);
  const endS = samples[samples.length - 1]?.atS ?? 0;
  const third = (endS - startS) / 3;
  const first = [startS, startS + third] as const;
  const last = [endS - third, endS] as const;
  // A window without a reading (readings far apart) takes the one nearest it: the first reading
  // from its start on, the last reading.
  const lowest = ([from, to]: readonly [number, number], nearest: RssSample | undefined): number => {
    const inside = samples.filter((s) => s.atS >= from - 0.5 && s.atS <= to + 0.5).map((s) => s.rssMiB);
    if (inside.length === 0 && nearest === undefined) throw new Error('no RSS readings during the churn');
    return inside.length === 0 ? (nearest?.rssMiB ?? Number.NaN) : Math.min(...inside);
  };
  const firstMiB = lowest(first, samples.find((s) => s.atS >= startS - 0.5) ?? samples[0]);
  const lastMiB = lowest(last, samples[samples.length - 1]);
  return {
    firstWindowS: first,
    lastWindowS: last,
    firstMiB,
    lastMiB,
    growthPct: ((lastMiB - firstMiB) / firstMiB) * 100,
  };
}

/**
 * A figure measured with `loaded` objects in the API server (`generated` of them the generated
 * cluster's, the rest the bench's own) carried linearly to the 1× cluster, starting from its value
 * on the empty cluster.
 */
export function extrapolate(empty: number, measured: number, loaded: number, generated: number): number {
  const perObject = (measured - empty) / loaded;
  return empty + perObject * (OBJECTS_AT_1X + loaded - generated);
}

/** Below this scale the per-object slope is lost in the fixed costs: no extrapolation to 1×. */
export const MIN_EXTRAPOLATED_SCALE = 0.1;
/** A churn this short shows warm-up, not a trend. */
export const MIN_JUDGED_CHURN_MINUTES = 5;

/**
 * The targets for cluster mode, judged on the 1× figures (extrapolated below 1×), and the
 * publish time it asks to measure without a target.
 */
export function checkTargets(figures: ClusterBenchFigures): TargetRow[] {
  const sized = figures.scale >= MIN_EXTRAPOLATED_SCALE;
  const at1x = (pick: (serve: ServeFigures) => number): number =>
    figures.scale >= 1
      ? pick(figures.loaded)
      : extrapolate(pick(figures.empty), pick(figures.loaded), figures.load.objects, figures.generated);
  const scaled = figures.scale >= 1 ? undefined : `extrapolated to 1× from ${figures.scale}×`;
  const small = `${figures.scale}× is below ${MIN_EXTRAPOLATED_SCALE}×, too small to carry to 1×`;
  const sizedRow = (name: string, value: number, unit: string, limit: number): TargetRow => ({
    name,
    value: sized ? value : Number.NaN,
    unit,
    target: `≤ ${limit} ${unit}`,
    pass: sized ? value <= limit : undefined,
    note: sized ? scaled : small,
  });
  const minutes = churnMinutes(figures.churn);
  const growth = rssGrowth(figures.churn.samples, minutes);
  const floor = rssFloorGrowth(figures.churn.samples, minutes);
  const long = minutes >= MIN_JUDGED_CHURN_MINUTES - 0.1;
  const churnNote = long
    ? `${minutes.toFixed(1)} min of churn`
    : `${minutes.toFixed(1)} min of churn, under the ${MIN_JUDGED_CHURN_MINUTES} min that show a trend`;
  const window = ([from, to]: readonly [number, number]): string =>
    `${(from / 60).toFixed(1)}–${(to / 60).toFixed(1)} min`;
  const calls = Math.max(figures.webhookCallsPerPod.mutate, figures.webhookCallsPerPod.validate);
  const { publish, lists, loaded } = figures;
  const quietS = loaded.quietS ?? 0;
  return [
    sizedRow(
      'cluster mode: RSS at 1× after load, controllers settled',
      at1x((s) => s.settledMiB),
      'MiB',
      200,
    ),
    {
      name: `cluster mode: RSS at 1× after ${quietS.toFixed(0)} s more of quiet`,
      value: sized ? at1x((s) => s.quietMiB ?? Number.NaN) : Number.NaN,
      unit: 'MiB',
      target: '',
      pass: undefined,
      note: `${sized ? (scaled ?? 'measured') : small}; ztgate on the empty cluster ${figures.empty.readyMiB.toFixed(0)} MiB, the peak (VmHWM) ${loaded.peakMiB.toFixed(0)} MiB`,
    },
    sizedRow(
      'cluster mode: start → ready at 1×',
      at1x((s) => s.readyS),
      's',
      1.5,
    ),
    {
      name: `cluster mode: start → ready over the API server's lists alone, at ${figures.scale}×`,
      value: lists === undefined ? Number.NaN : loaded.readyS - lists.medianS,
      unit: 's',
      target: '',
      pass: undefined,
      compared:
        lists === undefined
          ? undefined
          : { figure: loaded.readyS, baseline: lists.medianS, against: 'lists alone', unit: 's' },
      note:
        lists === undefined
          ? 'the lists were not timed'
          : `lists alone ${lists.runsS.map((s) => s.toFixed(2)).join(', ')} s, ${lists.objects} objects, as ztgate lists them`,
    },
    {
      name: 'cluster mode: RSS growth under churn, lowest reading of the first → last third',
      value: floor.growthPct,
      unit: '%',
      target: '< 10 %',
      pass: long ? floor.growthPct < 10 : undefined,
      compared: {
        figure: floor.lastMiB,
        baseline: floor.firstMiB,
        against: `lowest at ${window(floor.firstWindowS)}`,
        unit: 'MiB',
      },
      note: `${churnNote}; lowest at ${window(floor.lastWindowS)}`,
    },
    {
      name: `cluster mode: RSS under churn, one reading at ${(growth.refAtS / 60).toFixed(1)} min → end`,
      value: growth.growthPct,
      unit: '%',
      target: '',
      pass: undefined,
      compared: {
        figure: growth.endMiB,
        baseline: growth.refMiB,
        against: `RSS at ${(growth.refAtS / 60).toFixed(1)} min`,
        unit: 'MiB',
      },
      note: `${churnNote}; highest reading ${growth.maxMiB.toFixed(0)} MiB`,
    },
    {
      name: 'cluster mode: webhook calls per pod under churn (most called route)',
      value: calls,
      unit: 'calls',
      target: '≤ 1',
      pass: Number.isFinite(calls) && calls > 0 ? calls <= 1.001 : undefined,
    },
    {
      name: 'cluster mode: publish after a one-namespace change, median',
      value: publish.medianMs,
      unit: 'ms',
      target: '',
      pass: undefined,
      note: `max ${publish.maxMs.toFixed(0)} ms over ${publish.addedMs.length + publish.removedMs.length} changes`,
    },
  ];
}

function churnMinutes(churn: ChurnFigures): number {
  return (churn.samples[churn.samples.length - 1]?.atS ?? 0) / 60;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

function row(label: string, value: string, note = ''): string {
  return `${label.padEnd(44)} ${value.padEnd(24)} ${note}`.trimEnd();
}

/** The run's one table: load, start-up, memory, publish, churn, then the targets. */
export function formatReport(figures: ClusterBenchFigures): string {
  const { load, empty, loaded, publish, churn } = figures;
  const growth = rssGrowth(churn.samples, churnMinutes(churn));
  const minutes = churnMinutes(churn);
  const floor = rssFloorGrowth(churn.samples, minutes);
  const lines = [
    `ztgate serve --kubeconfig on kube-apiserver 1.20 + etcd, ${figures.date}, scale ${figures.scale}× ` +
      `(${figures.namespaces} namespaces, ${load.objects} objects loaded), load average ${figures.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
    '',
    row('figure', 'value', 'note'),
    row(
      'load: create',
      `${load.createS.toFixed(1)} s`,
      `${load.objectsPerS.toFixed(0)} objects/s, parallel creates`,
    ),
    row(
      'load: controllers settle',
      `${load.settleS.toFixed(1)} s`,
      'until the API server serves < 2 writes/s',
    ),
    row(
      'empty cluster: start → ready, RSS',
      `${empty.readyS.toFixed(2)} s, ${empty.readyMiB.toFixed(0)} MiB`,
    ),
    row(
      "the API server's lists alone",
      figures.lists === undefined ? 'n/a' : `${figures.lists.medianS.toFixed(2)} s`,
      figures.lists === undefined
        ? ''
        : `median of ${figures.lists.runsS.length}: every resource ztgate watches, pages of 500, parsed`,
    ),
    row('start → ready (/readyz 200)', `${loaded.readyS.toFixed(2)} s`),
    row('RSS once ready', `${loaded.readyMiB.toFixed(0)} MiB`),
    row(
      'RSS after the controllers settled',
      `${loaded.settledMiB.toFixed(0)} MiB`,
      `DNS allowances in ${loaded.reconcileS.toFixed(1)} s`,
    ),
    row(
      `RSS ${(loaded.quietS ?? 0).toFixed(0)} s later, quiet`,
      `${(loaded.quietMiB ?? Number.NaN).toFixed(0)} MiB`,
      'after an idle moment for V8 to collect what the writes left',
    ),
    row('RSS peak (VmHWM) before churn', `${loaded.peakMiB.toFixed(0)} MiB`),
    row(
      'publish after a one-namespace change',
      `${publish.medianMs.toFixed(0)} ms median, ${publish.maxMs.toFixed(0)} max`,
      `${publish.addedMs.length} adds + ${publish.removedMs.length} removes`,
    ),
    row(
      'churn: pods created / deleted per s',
      `${churn.createPerS.toFixed(1)} / ${churn.deletePerS.toFixed(1)}`,
      `${minutes.toFixed(1)} min, ${churn.created} pods, ${churn.injected} injected, ≤ ${churn.maxInFlight} in flight`,
    ),
    row(
      'churn: webhook calls per pod',
      `mutate ${figures.webhookCallsPerPod.mutate.toFixed(2)}, validate ${figures.webhookCallsPerPod.validate.toFixed(2)}`,
    ),
    row('churn: errors (refused or failed)', String(churn.errors), churn.errorSamples[0] ?? ''),
    row(
      `churn: RSS at ${(growth.refAtS / 60).toFixed(1)} min → end`,
      `${growth.refMiB.toFixed(0)} → ${growth.endMiB.toFixed(0)} MiB`,
      `${signed(growth.growthPct)} %, max ${growth.maxMiB.toFixed(0)} MiB`,
    ),
    row(
      'churn: lowest RSS, first → last third',
      `${floor.firstMiB.toFixed(0)} → ${floor.lastMiB.toFixed(0)} MiB`,
      `${signed(floor.growthPct)} % (a leak raises the lowest reading; V8's garbage waves do not)`,
    ),
    row(
      'churn: RSS peak (VmHWM) at the end',
      `${(churn.samples[churn.samples.length - 1]?.peakMiB ?? NaN).toFixed(0)} MiB`,
    ),
    '',
    'targets (issue 17):',
  ];
  lines.push(...checkTargets(figures).map(formatTargetLine));
  if (figures.scale < 1 && figures.scale >= MIN_EXTRAPOLATED_SCALE) {
    const createAt1x = (load.createS * OBJECTS_AT_1X) / load.objects;
    lines.push(
      '',
      `Below 1×: the 1× figures are extrapolated linearly from the empty cluster through this run's ` +
        `per-object cost (RSS ${(((loaded.settledMiB - empty.readyMiB) * 1024) / load.objects).toFixed(1)} KiB/object); ` +
        `loading 1× would take about ${createAt1x.toFixed(0)} s of creates at this rate.`,
    );
  }
  return lines.join('\n');
}
