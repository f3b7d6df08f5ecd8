import { describe, expect, it } from 'vitest';
import {
  addedCpuPerRequest,
  budgetRatios,
  collectProblems,
  cpuCostRatios,
  judgeTargets,
  medianFigures,
  pairedRatios,
  type RoundFigures,
} from './figures.js';
import { parseBenchOptions } from './options.js';
import { formatReport, type BenchReport } from './report.js';
import type { SessionFigures } from './session.js';
import { load, session } from './session-fixtures.js';
import { median, quantile, summarize } from './stats.js';

describe('quantile and median', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    { q: 0.5, expected: 50 },
    { q: 0.9, expected: 90 },
    { q: 0.99, expected: 99 },
    { q: 1, expected: 100 },
    { q: 0, expected: 1 },
  ])('nearest-rank quantile $q of 1..100 is $expected', ({ q, expected }) => {
    expect(quantile(hundred, q)).toEqual(expected);
  });

  it.each([
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 3, 2], expected: 2.5 },
    { values: [Number.NaN, 5, 7], expected: 6 },
  ])('median of $values is $expected', ({ values, expected }) => {
    expect(median(values)).toEqual(expected);
  });

  it('summarizes samples and gives NaN for none', () => {
    expect(summarize([4, 1, 3, 2])).toEqual({ count: 4, p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5 });
    expect(summarize([]).p50).toBeNaN();
  });
});

describe('judgeTargets', () => {
  const round = (z: number, c: number, big: number): RoundFigures => ({
    ztgate: session('ztgate', z, 0.4, 0.9, 200),
    ceiling: session('ceiling', c, 0.3, 0.6, 100),
    big: session('ztgate 10×', z, big, 1, 400),
  });

  it('judges each target on the median of per-round comparisons', () => {
    const results = judgeTargets([round(900, 1000, 0.44), round(700, 1000, 0.6), round(850, 1000, 0.46)]);
    expect(results.map((t) => [t.name, Number(t.value.toFixed(3)), t.pass])).toEqual([
      ['throughput ratio /mutate (ztgate / ceiling)', 0.85, true],
      ['throughput ratio /validate (ztgate / ceiling)', 0.85, true],
      // The helper's loads cost 1000/throughput µs of CPU per request: the median of 1000/z − 1000/c.
      ['added server CPU per request at max load /mutate (ztgate − ceiling, sessions)', 0.176, true],
      ['added server CPU per request at max load /validate (ztgate − ceiling, sessions)', 0.176, true],
      ['sequential p99 /mutate, ztgate − ceiling', 0.3, true],
      ['sequential p99 /validate, ztgate − ceiling', 0.3, true],
      ['sequential p50 /mutate, 10× view / 1× view', 1.15, true],
      ['sequential p50 /validate, 10× view / 1× view', 1.15, true],
      ['ztgate RSS after load, 1× view', 200, true],
      ['ztgate start → ready, 1× view', 0.1, true],
      ['ztgate RSS peak, 10× view', 400, true],
      ['ztgate start → ready, 10× view', 0.1, true],
    ]);
  });

  it('gives each comparison the medians of ztgate and of its same-run baseline', () => {
    const results = judgeTargets([round(900, 1000, 0.44), round(700, 1000, 0.6), round(850, 1000, 0.46)]);
    const compared = results
      .filter((t) => t.name.includes('/mutate'))
      .map(
        (t) =>
          t.compared && [
            t.compared.against,
            Number(t.compared.figure.toFixed(3)),
            t.compared.baseline,
            t.compared.unit,
          ],
      );
    expect(compared).toEqual([
      ['ceiling', 850, 1000, 'req/s'],
      // 1000/throughput µs per request: median of 1000/900, 1000/700, 1000/850 against 1000/1000.
      ['ceiling', 1.176, 1, 'µs'],
      ['ceiling', 0.9, 0.6, 'ms'],
      ['1× view', 0.46, 0.4, 'ms'],
    ]);
    // The memory and start-up targets compare with no baseline.
    expect(results.filter((t) => t.compared === undefined).map((t) => t.unit)).toEqual([
      'MiB',
      's',
      'MiB',
      's',
    ]);
  });

  it("judges issue #17's memory targets: 1x RSS after load, 10x peak", () => {
    const heavy = (rss: number, bigPeak: number): RoundFigures => ({
      ztgate: session('ztgate', 900, 0.4, 0.9, rss),
      ceiling: session('ceiling', 1000, 0.3, 0.6, 100),
      big: session('ztgate 10×', 900, 0.44, 1, bigPeak),
    });
    const memory = (results: ReturnType<typeof judgeTargets>) =>
      results.filter((t) => t.unit === 'MiB').map((t) => [t.name, t.value, t.pass]);
    expect(memory(judgeTargets([heavy(201, 601)]))).toEqual([
      ['ztgate RSS after load, 1× view', 201, false],
      ['ztgate RSS peak, 10× view', 601, false],
    ]);
    expect(memory(judgeTargets([heavy(200, 600)])).every(([, , pass]) => pass)).toBe(true);
  });

  it('fails every ztgate target when ztgate never ran', () => {
    const results = judgeTargets([
      { ztgate: undefined, ceiling: session('ceiling', 1000, 0.3, 0.6, 100), big: undefined },
    ]);
    expect(results.filter((t) => t.pass)).toEqual([]);
  });

  it('derives the CPU cost ratio from server CPU per request at max load', () => {
    expect(cpuCostRatios([round(500, 1000, 0.4)])).toEqual({ mutate: 0.5, validate: 0.5 });
  });
});

describe('collectProblems', () => {
  it('lists each load that saw a problem, with its first message', () => {
    const bad = session('ztgate', 1000, 0.3, 0.6, 100);
    const broken: SessionFigures = {
      ...bad,
      routes: {
        ...bad.routes,
        validate: {
          ...bad.routes.validate,
          max: load(1000, 1, 1, {
            problems: { errors: 0, non200: 2, wrong: 0, denied: 1 },
            firstProblem: 'non200: HTTP 500',
          }),
        },
      },
    };
    expect(
      collectProblems([{ ztgate: broken, ceiling: session('ceiling', 1, 1, 1, 1), big: undefined }]),
    ).toEqual(['round 1 ztgate /validate max: errors 0, non-200 2, wrong 0, denied 1 — non200: HTTP 500']);
  });
});

const COUNTS = {
  namespaces: 1,
  serviceAccounts: 1,
  deployments: 1,
  replicaSets: 0,
  policies: 1,
  defaultDenyPolicies: 1,
  byVariant: {},
};

describe('the budget session', () => {
  const round = (ceiling: number, budget: number | undefined, ztgate = 600): RoundFigures => ({
    ztgate: session('ztgate', ztgate, 0.4, 0.9, 200),
    ceiling: session('ceiling', ceiling, 0.3, 0.6, 100),
    big: undefined,
    budget: budget === undefined ? undefined : session('ceiling +25 µs', budget, 0.3, 0.6, 100),
  });

  it('reports the median over rounds of (ceiling with work ÷ ceiling) at max load', () => {
    expect(budgetRatios([round(1000, 800), round(1000, 900), round(1000, 700)])).toEqual({
      mutate: 0.8,
      validate: 0.8,
    });
    expect(budgetRatios([round(1000, undefined)])).toBeUndefined();
  });

  it('prints what the budget keeps next to what ztgate adds per request', () => {
    const rounds = [round(100, 80, 60)];
    const ceiling = medianFigures(rounds.map((r) => r.ceiling))!;
    const report: BenchReport = {
      meta: {
        date: 'd',
        node: '20',
        cpus: 2,
        quick: false,
        rounds: 1,
        durationMs: 1,
        sequentialMs: 1,
        connections: 16,
        server: 'dist',
        client: 'c',
        view: COUNTS,
        bigView: COUNTS,
      },
      ztgate: medianFigures(rounds.map((r) => r.ztgate!)),
      ceiling,
      big: undefined,
      targets: judgeTargets(rounds),
      cpuCostRatio: cpuCostRatios(rounds),
      addedCpuUs: addedCpuPerRequest(rounds),
      budget: { workUs: 25, ratio: budgetRatios(rounds)! },
      problems: [],
    };
    const text = formatReport(report);
    // The helper's loads cost 1000/throughput µs of CPU per request: 10 for the ceiling, 16.7 for ztgate.
    expect(text).toContain(
      'the ceiling with 25 µs of busy work per request keeps /mutate 0.80, /validate 0.80',
    );
    expect(text).toContain(
      'added server CPU per request at max load (ztgate − ceiling, same run): /mutate 7 µs (7–7, 1 sessions), /validate 7 µs (7–7, 1 sessions); target ≤ 60 µs',
    );
    expect(text).toContain('1 round(s) alternating ztgate / ceiling / ztgate 10× / budget;');
    expect(formatReport({ ...report, budget: undefined })).not.toContain('budget');
  });

  it.each([
    { argv: [], expected: 25 },
    { argv: ['--quick'], expected: 0 },
    { argv: ['--budget-us', '40'], expected: 40 },
    { argv: ['--budget-us', '0'], expected: 0 },
  ])('--budget-us from $argv is $expected', ({ argv, expected }) => {
    expect(parseBenchOptions(argv)).toMatchObject({ budgetUs: expected });
  });

  it('refuses a negative budget', () => {
    expect(() => parseBenchOptions(['--budget-us', '-5'])).toThrow(/budget-us/);
  });
});

describe('paired bursts', () => {
  const base = (): RoundFigures => ({
    ztgate: session('ztgate', 500, 0.4, 0.9, 200),
    ceiling: session('ceiling', 1000, 0.3, 0.6, 100),
    big: undefined,
  });
  const pairs = (...ratios: number[]) => ratios.map((r) => ({ ztgate: 1000 * r, ceiling: 1000 }));
  const withPairs = (mutate: number[], validate: number[], problems: string[] = []): RoundFigures => ({
    ...base(),
    paired: { routes: { mutate: pairs(...mutate), validate: pairs(...validate) }, problems },
  });

  it('takes the median and range of every pair across rounds', () => {
    expect(pairedRatios([withPairs([0.7, 0.9], [0.6]), withPairs([0.8], [0.5, 0.55])])).toEqual({
      mutate: { pairs: 3, median: 0.8, min: 0.7, max: 0.9 },
      validate: { pairs: 3, median: 0.55, min: 0.5, max: 0.6 },
    });
    expect(pairedRatios([base()])).toBeUndefined();
  });

  it('judges the throughput target on the pairs when the run made them, else on the sessions', () => {
    const judged = judgeTargets([withPairs([0.82, 0.9, 0.85], [0.7, 0.75, 0.72])]).slice(0, 2);
    expect(judged.map((t) => [t.name, Number(t.value.toFixed(2)), t.pass])).toEqual([
      ['throughput ratio /mutate (ztgate / ceiling, paired bursts)', 0.85, true],
      ['throughput ratio /validate (ztgate / ceiling, paired bursts)', 0.72, false],
    ]);
    // Without pairs: the sessions' max runs, 500 / 1000.
    expect(judgeTargets([base()])[0]).toMatchObject({ value: 0.5, pass: false });
  });

  it('takes the added CPU per request from the pairs when they read it, else from the sessions', () => {
    const cpuPairs = (...added: number[]) =>
      added.map((a) => ({ ztgate: 500, ceiling: 1000, ztgateCpuUs: 100 + a, ceilingCpuUs: 100 }));
    const round = (mutate: number[], validate: number[]): RoundFigures => ({
      ...base(),
      paired: { routes: { mutate: cpuPairs(...mutate), validate: cpuPairs(...validate) }, problems: [] },
    });
    expect(addedCpuPerRequest([round([40, 80], [50]), round([70], [90, 65])])).toEqual({
      mutate: { source: 'paired bursts', samples: 3, median: 70, min: 40, max: 80 },
      validate: { source: 'paired bursts', samples: 3, median: 65, min: 50, max: 90 },
    });
    const judged = judgeTargets([round([40, 80, 70], [90, 65, 50])]).slice(2, 4);
    expect(judged.map((t) => [t.name, t.value, t.pass])).toEqual([
      ['added server CPU per request at max load /mutate (ztgate − ceiling, paired bursts)', 70, false],
      ['added server CPU per request at max load /validate (ztgate − ceiling, paired bursts)', 65, false],
    ]);
    expect(
      judgeTargets([round([30, 60, 20], [60])])
        .slice(2, 4)
        .map((t) => t.pass),
    ).toEqual([true, true]);
    // Pairs without CPU readings (or none at all): the sessions' max runs, 2 − 1 µs per request.
    expect(addedCpuPerRequest([withPairs([0.8], [0.8])]).mutate).toEqual({
      source: 'sessions',
      samples: 1,
      median: 1,
      min: 1,
      max: 1,
    });
  });

  it('fails the run on a burst that saw problems', () => {
    expect(
      collectProblems([withPairs([0.8], [0.8], ['ztgate paired /validate paired burst: errors 1'])]),
    ).toEqual(['round 1 ztgate paired /validate paired burst: errors 1']);
  });

  it.each([
    { argv: [], pairs: 6, burstMs: 2500 },
    { argv: ['--quick'], pairs: 2, burstMs: 600 },
    { argv: ['--pairs', '0'], pairs: 0, burstMs: 2500 },
    { argv: ['--pairs', '9', '--burst', '1000'], pairs: 9, burstMs: 1000 },
  ])('--pairs/--burst from $argv', ({ argv, pairs: expectedPairs, burstMs }) => {
    expect(parseBenchOptions(argv)).toMatchObject({ pairs: expectedPairs, burstMs });
  });
});
