import { describe, expect, it } from 'vitest';
import {
  benchCells,
  exitCodeOf,
  formatAllReport,
  targetsOf,
  type AllReport,
  type BenchOutcome,
} from './all-report.js';
import { judgeApiserverTargets, type PhaseFigures } from './apiserver-report.js';
import { checkTargets, type ClusterBenchFigures } from './cluster-report.js';
import { judgeTargets, type RoundFigures } from './figures.js';
import { session } from './session-fixtures.js';

/** What a bench's --json file gives back: NaN becomes null on the way. */
const throughJson = (document: object): unknown => JSON.parse(JSON.stringify(document));

const rounds: RoundFigures[] = [
  {
    ztgate: session('ztgate', 900, 0.4, 0.9, 210),
    ceiling: session('ceiling', 1000, 0.3, 0.6, 100),
    big: session('ztgate 10×', 900, 0.44, 1, 500),
  },
];

const phase = (name: PhaseFigures['phase'], p50: number, p99: number, calls: number): PhaseFigures => ({
  phase: name,
  p50,
  p99,
  rounds: [],
  calls: name === 'none' ? {} : { 'inject.ztgate.dev': calls, 'workloads.ztgate.dev': 1 },
  // CPU per pod: the API server's, and the webhook server's (none has none).
  apiserverCpuMs: p50 / 3,
  webhookCpuMs: name === 'none' ? undefined : p50 / 10,
});
// The README's run of 2026-12-02 03:36 UTC.
const phases = [
  phase('none', 2.65, 7.32, 0),
  phase('bare', 8.44, 16.59, 1),
  phase('bare-small', 6.87, 14, 1),
  phase('ztgate', 8.09, 24.44, 1),
  phase('mesh-bare', 5.1, 12, 1),
  phase('mesh-ztgate', 5.4, 13, 1),
];

const cluster: ClusterBenchFigures = {
  date: '2026-12-02T08:00:00Z',
  scale: 0.02,
  namespaces: 40,
  generated: 1_480,
  loadAverage: [1, 1, 1],
  load: { objects: 1_800, createS: 4, settleS: 2, objectsPerS: 450 },
  empty: { readyS: 1.3, readyMiB: 140, settledMiB: 145, peakMiB: 150, reconcileS: 1 },
  loaded: { readyS: 1.5, readyMiB: 150, settledMiB: 160, peakMiB: 170, reconcileS: 2 },
  publish: { addedMs: [60, 70], removedMs: [65, 80], medianMs: 67.5, maxMs: 80 },
  churn: {
    created: 1200,
    deleted: 1200,
    injected: 1200,
    createPerS: 20,
    deletePerS: 20,
    errors: 0,
    errorSamples: [],
    maxInFlight: 12,
    samples: [0, 10, 20, 30, 40, 50, 60].map((atS, i) => ({ atS, rssMiB: 160 + i, peakMiB: 170 + i })),
  },
  webhookCallsPerPod: { mutate: 1, validate: 1 },
};

const ran = (
  bench: BenchOutcome['bench'],
  document: object,
  exitCode = 0,
  failure?: string,
): BenchOutcome => {
  const report = throughJson(document);
  return { bench, ran: true, exitCode, failure, targets: targetsOf(bench, report), report };
};

const fullRun = (): BenchOutcome[] => [
  ran('bench', { targets: judgeTargets(rounds) }),
  ran('apiserver', { phases, targets: judgeApiserverTargets(phases) }),
  ran('cluster', { ...cluster, targets: checkTargets(cluster) }),
];

const report = (benches: BenchOutcome[], quick = false): AllReport => ({
  date: '2026-12-02T09:00:00Z',
  node: '20.19.0',
  cpus: 2,
  quick,
  benches,
});

describe('bench:all table', () => {
  it("concatenates the three benches' own judgements in order, with figure, baseline, ratio and status", () => {
    const cells = fullRun().flatMap(benchCells);
    expect(cells.map((row) => row[0])).toEqual([
      ...Array<string>(12).fill('bench'),
      ...Array<string>(8).fill('apiserver'),
      ...Array<string>(8).fill('cluster'),
    ]);
    const byName = (name: string): string[] | undefined => cells.find((row) => row[1] === name);
    expect(byName('throughput ratio /mutate (ztgate / ceiling)')).toEqual([
      'bench',
      'throughput ratio /mutate (ztgate / ceiling)',
      '900 req/s',
      'ceiling 1000 req/s',
      '0.90',
      '≥ 0.8',
      'met',
      '',
    ]);
    expect(byName('ztgate RSS after load, 1× view')).toEqual([
      'bench',
      'ztgate RSS after load, 1× view',
      '210 MiB',
      '',
      '',
      '≤ 200 MiB',
      'NOT met',
      '',
    ]);
    expect(byName('ztgate over the bare webhook with the same patch, p50')?.slice(2, 7)).toEqual([
      '8.09 ms',
      'bare webhook 8.44 ms',
      '-0.35 ms',
      '≤ 0.5 ms',
      'met',
    ]);
    expect(byName('webhook overhead over no webhook, p99')?.slice(2, 7)).toEqual([
      '24.44 ms',
      'no webhook 7.32 ms',
      '+17.12 ms',
      '≤ 8 ms',
      'NOT met',
    ]);
    expect(byName("a one-operation patch instead of ztgate's, p50 (bare webhook)")?.slice(4, 7)).toEqual([
      '-1.57 ms',
      '(measure)',
      'measured',
    ]);
    // 0.02× is too small to carry to 1×: the value went through JSON as null and reads n/a.
    expect(byName('cluster mode: RSS at 1× after load, controllers settled')?.slice(2, 8)).toEqual([
      'n/a',
      '',
      '',
      '≤ 200 MiB',
      'not judged',
      '0.02× is below 0.1×, too small to carry to 1×',
    ]);
  });

  it('prints one aligned table under a heading that says what kind of run it was', () => {
    const text = formatAllReport(report(fullRun()));
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'issue #17 targets, npm run bench:all — 2026-12-02T09:00:00Z, Node 20.19.0, 2 CPUs, full run',
    );
    const header = lines.find((line) => line.startsWith('bench  '));
    const row = lines.find((line) => line.includes('webhook overhead over no webhook, p50'));
    // Every column starts where its title does.
    for (const title of ['figure', 'same-run baseline', 'ratio / Δ', 'target', 'status'])
      expect(row?.[header?.indexOf(title) ?? -1]).not.toBe(' ');
    expect(row?.slice(header?.indexOf('status'))).toMatch(/^NOT met/);
    expect(lines.at(-1)).toMatch(/^met 15, NOT met 3, not judged 3, measured 7; exit 0 \(/);
    expect(formatAllReport(report(fullRun(), true))).toContain('QUICK RUN');
    expect(text).not.toContain('QUICK RUN');
  });

  it('says which bench did not run and why, and fails the run unless it was skipped', () => {
    const reason = 'the control plane binaries are missing from /nowhere/bin';
    const missing = (skipped: boolean): BenchOutcome[] => [
      fullRun()[0] as BenchOutcome,
      { bench: 'apiserver', ran: false, reason, skipped },
      { bench: 'cluster', ran: false, reason, skipped },
    ];
    expect(missing(false).slice(1).flatMap(benchCells)).toEqual([
      ['apiserver', "all of npm run bench:apiserver's targets", '', '', '', '', 'not run', reason],
      ['cluster', "all of npm run bench:cluster's targets", '', '', '', '', 'not run', reason],
    ]);
    expect(exitCodeOf(report(missing(false)), false)).toBe(1);
    expect(formatAllReport(report(missing(false)))).toContain('not run 2; exit 1');
    expect(
      missing(true)
        .slice(1)
        .flatMap(benchCells)
        .map((row) => row[6]),
    ).toEqual(['skipped', 'skipped']);
    expect(exitCodeOf(report(missing(true)), false)).toBe(0);
  });

  it('fails on errors always, and on missed targets only when strict', () => {
    expect(exitCodeOf(report(fullRun()), false)).toBe(0);
    expect(exitCodeOf(report(fullRun()), true)).toBe(1);
    const broken = fullRun();
    broken[2] = ran(
      'cluster',
      { ...cluster, targets: checkTargets(cluster) },
      1,
      'bench:cluster: 3 churn requests failed',
    );
    expect(exitCodeOf(report(broken), false)).toBe(1);
    expect(benchCells(broken[2] as BenchOutcome).at(-1)).toEqual([
      'cluster',
      'the run itself',
      '',
      '',
      '',
      'no errors',
      'FAILED',
      'exit 1: bench:cluster: 3 churn requests failed',
    ]);
  });

  it('shows a bench that failed before writing figures as failed with nothing measured', () => {
    const failed: BenchOutcome = {
      bench: 'apiserver',
      ran: true,
      exitCode: 1,
      failure: 'no figures written; bench:apiserver: the pod was not admitted in every phase within 60 s',
      targets: [],
      report: undefined,
    };
    expect(benchCells(failed).map((row) => [row[1], row[6]])).toEqual([
      ["all of npm run bench:apiserver's targets", 'not measured'],
      ['the run itself', 'FAILED'],
    ]);
    expect(exitCodeOf(report([failed]), false)).toBe(1);
  });

  it("refuses a bench's --json document without well-formed targets", () => {
    expect(() => targetsOf('cluster', throughJson(cluster))).toThrow(/cluster: its --json document has no/);
    expect(() => targetsOf('bench', { targets: [{ name: 'x', value: '1' }] })).toThrow(/well-formed/);
    expect(() => targetsOf('bench', null)).toThrow(/well-formed/);
    const [row] = targetsOf('bench', {
      targets: [{ name: 'x', value: null, unit: 'ms', target: '', pass: false }],
    });
    expect(row?.value).toBeNaN();
  });
});
