/**
 * A tight-loop micro-benchmark of /validate's in-process work on `npm run bench`'s own bodies:
 * decode, evaluate, the response and the decision line (JSON.parse of the body is timed apart and
 * left out), and each workload rule alone on the pod bodies. Two builds can be compared in one
 * process, taking turns in short slices, so another tenant's load hits both alike.
 *
 *   node --import tsx test/bench/validate-micro.ts [--state DIR] [--bodies FILE] [--slices 30]
 *        [--slice-ms 250] [--rules] [--against ../other-worktree]
 *
 * --state and --bodies default to what `npm run bench` leaves in .bench/ (the 1× state folder and
 * the /validate bodies as ztgate's /mutate left them). CPU is process.cpuUsage (user + system).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? undefined : process.argv[index + 1];
}

const ROOT = resolve(import.meta.dirname, '../..');
const STATE = option('state') ?? resolve(ROOT, '.bench/state-scale1-seed42');
const BODIES = option('bodies') ?? resolve(ROOT, '.bench/bodies-validate.json');
const SLICES = Number(option('slices') ?? 30);
const SLICE_MS = Number(option('slice-ms') ?? 250);
const AGAINST = option('against');
const RULES = process.argv.includes('--rules');

interface Build {
  readonly label: string;
  /** One pass over every body: the in-process work of /validate for each. */
  readonly handle: (parsed: readonly unknown[]) => number;
  /** Where one pass's time goes: each stage of the handler and each rule inside evaluate, µs per body. */
  readonly attribute: (parsed: readonly unknown[], into: Map<string, number>) => void;
  /** Per workload rule, a pass over the pod bodies. */
  readonly rules: () => { name: string; pods: number; run: () => number }[];
}

async function loadBuild(root: string, label: string): Promise<Build> {
  const from = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  const [
    configMod,
    sourceMod,
    decodeMod,
    engineMod,
    responseMod,
    recordMod,
    loggerMod,
    workloadMod,
    rulesMod,
  ] = await Promise.all([
    from('src/adapters/config/load-config.ts'),
    from('src/adapters/state-dir-source.ts'),
    from('src/admission/decode-review.ts'),
    from('src/policy/engine.ts'),
    from('src/admission/build-response.ts'),
    from('src/admission/decision-record.ts'),
    from('src/adapters/audit/logger.ts'),
    from('src/policy/workload.ts'),
    from('src/policy/rules/index.ts'),
  ]);
  const config = await configMod.loadConfig(resolve(ROOT, 'test/bench/ztgate-config.yaml'));
  const source = sourceMod.createStateDirSource({ dir: STATE, config, retainObjects: false });
  await source.start();
  const view = source.current();
  const logger = loggerMod.createLogger({ level: 'silent' });
  // The decision record the server builds for a /validate answer.
  const recordOf = (
    request: { uid: string },
    started: number,
    response: unknown,
    decision: { mode: unknown; violations: unknown },
  ): unknown =>
    recordMod.buildDecisionRecord({
      request,
      durationMs: performance.now() - started,
      webhook: 'validate',
      response,
      outcome: responseMod.outcomeOf(decision),
      mode: decision.mode,
      violations: decision.violations,
    });
  const handle = (parsed: readonly unknown[]): number => {
    let allowed = 0;
    for (const body of parsed) {
      const started = performance.now();
      const request = decodeMod.decodeReview(body);
      const decision = engineMod.evaluate(decodeMod.toEvaluationInput(request), view, config);
      const response = responseMod.decisionResponse(request.uid, decision);
      const record = recordOf(request, started, response, decision);
      const line: string = loggerMod.decisionLine(logger, 'info', record, Date.now());
      const review = responseMod.toReview(response);
      if (review.response.allowed === true && line.length > 0) allowed += 1;
    }
    return allowed;
  };
  const timedRules = new Map<unknown, { name: string; check: (c: unknown) => unknown }>();
  let spent: Map<string, number> = new Map();
  const add = (key: string, ms: number) => spent.set(key, (spent.get(key) ?? 0) + ms);
  const wrapped = Object.freeze(
    rulesMod.RULES.map((rule: { name: string; appliesTo: string; check: (c: unknown) => unknown }) => {
      const timed = {
        ...rule,
        check: (context: unknown) => {
          const t = performance.now();
          try {
            return rule.check(context);
          } finally {
            add(`rule ${rule.name} (${rule.appliesTo})`, performance.now() - t);
          }
        },
      };
      timedRules.set(rule, timed);
      return timed;
    }),
  );
  const attribute = (parsed: readonly unknown[], into: Map<string, number>): void => {
    spent = into;
    for (const body of parsed) {
      let t = performance.now();
      const started = t;
      const step = (key: string) => {
        const now = performance.now();
        add(key, now - t);
        t = now;
      };
      const request = decodeMod.decodeReview(body);
      const input = decodeMod.toEvaluationInput(request);
      step('decode');
      const decision = engineMod.evaluate(input, view, config, wrapped);
      step('evaluate (all)');
      const response = responseMod.decisionResponse(request.uid, decision);
      step('response');
      const record = recordOf(request, started, response, decision);
      step('decision record');
      loggerMod.decisionLine(logger, 'info', record, Date.now());
      step('decision line');
      responseMod.toReview(response);
      step('review');
    }
  };
  const rules = () => {
    const pods = texts
      .map((text) => JSON.parse(text))
      .filter((body) => body.request.kind.kind === 'Pod')
      .map((body) => {
        const input = decodeMod.toEvaluationInput(decodeMod.decodeReview(body));
        const reading = workloadMod.readWorkload(input.object, input.namespace);
        return { input, view, config, workload: reading.workload, policy: undefined, oldPolicy: undefined };
      });
    const applicable = engineMod.applicableRules(rulesMod.RULES, 'workload', 'CREATE');
    return applicable.map((rule: { name: string; check: (c: unknown) => readonly unknown[] }) => ({
      name: rule.name,
      pods: pods.length,
      run: () => {
        let found = 0;
        for (const context of pods) found += rule.check(context).length;
        return found;
      },
    }));
  };
  return { label, handle, attribute, rules };
}

const texts: string[] = (
  JSON.parse(readFileSync(BODIES, 'utf8')) as { bodies: { text: string }[] }
).bodies.map((body) => body.text);

function cpuMicros(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function range(values: readonly number[]): string {
  return `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
}

/** µs of CPU per body for `builds` taking turns, `slices` slices of about sliceMs each. */
function alternate(builds: readonly Build[]): number[][] {
  const per: number[][] = builds.map(() => []);
  // Warm up: JIT and the view's caches.
  for (const build of builds)
    for (let i = 0; i < 30; i++) build.handle(texts.map((text) => JSON.parse(text)));
  const parseOnly: number[] = [];
  for (let slice = 0; slice < SLICES; slice++) {
    const order = slice % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
    for (const index of order) {
      const build = builds[index] as Build;
      let bodies = 0;
      let cpu = 0;
      let parseCpu = 0;
      const end = performance.now() + SLICE_MS;
      while (performance.now() < end) {
        let parsed: unknown[] = [];
        parseCpu += cpuMicros(() => {
          parsed = texts.map((text) => JSON.parse(text));
        });
        cpu += cpuMicros(() => build.handle(parsed));
        bodies += texts.length;
      }
      (per[index] as number[]).push(cpu / bodies);
      if (index === 0) parseOnly.push(parseCpu / bodies);
    }
  }
  console.log(`JSON.parse alone (not counted): ${median(parseOnly).toFixed(1)} µs per body`);
  return per;
}

const main = async () => {
  const builds = [await loadBuild(ROOT, 'this tree')];
  if (AGAINST !== undefined) builds.push(await loadBuild(resolve(AGAINST), AGAINST));
  const first = builds[0] as Build;
  const check = first.handle(texts.map((text) => JSON.parse(text)));
  console.log(`${texts.length} bodies, ${check} allowed; ${SLICES} slices of ${SLICE_MS} ms per build`);
  const per = alternate(builds);
  builds.forEach((build, i) => {
    const values = per[i] as number[];
    console.log(`${build.label}: ${median(values).toFixed(1)} µs per body (${range(values)})`);
  });
  if (builds.length === 2) {
    const ratios = (per[0] as number[]).map((value, i) => value / ((per[1] as number[])[i] as number));
    console.log(`this tree ÷ ${AGAINST}: median ${median(ratios).toFixed(3)} (${range(ratios)})`);
  }
  if (process.argv.includes('--attribute')) {
    for (const build of builds) {
      const into = new Map<string, number>();
      for (let i = 0; i < 30; i++)
        build.attribute(
          texts.map((text) => JSON.parse(text)),
          new Map(),
        );
      let passes = 0;
      const end = performance.now() + SLICES * SLICE_MS;
      while (performance.now() < end) {
        build.attribute(
          texts.map((text) => JSON.parse(text)),
          into,
        );
        passes += 1;
      }
      console.log(`\n${build.label}: wall µs per body (all ${texts.length} bodies; rules are in evaluate)`);
      const rows = [...into.entries()].sort((a, b) => b[1] - a[1]);
      for (const [key, ms] of rows)
        console.log(`  ${key.padEnd(48)} ${((ms * 1000) / passes / texts.length).toFixed(2)}`);
    }
  }
  if (RULES) {
    // Each rule alone, the builds taking turns pass by pass (order flipped each pass).
    const only = option('only');
    const lists = builds.map((build) =>
      build.rules().filter((r) => only === undefined || only.split(',').includes(r.name)),
    );
    console.log(`\nµs per pod body, each workload rule alone (median of 15 passes of 0.2 s per build)`);
    for (const [index, rule] of (lists[0] ?? []).entries()) {
      const runs = lists.map((list) => list.find((r) => r.name === rule.name) ?? list[index]);
      for (const run of runs) for (let i = 0; i < 50; i++) run?.run();
      const samples: number[][] = runs.map(() => []);
      for (let pass = 0; pass < 15; pass++) {
        const order = pass % 2 === 0 ? runs.map((_, i) => i) : runs.map((_, i) => runs.length - 1 - i);
        for (const at of order) {
          const run = runs[at];
          if (run === undefined) continue;
          let count = 0;
          let cpu = 0;
          const end = performance.now() + 200;
          while (performance.now() < end) {
            cpu += cpuMicros(() => run.run());
            count += 1;
          }
          (samples[at] as number[]).push(cpu / count / run.pods);
        }
      }
      const cells = samples.map((values) => median(values).toFixed(2).padStart(8));
      const ratio =
        samples.length === 2
          ? `  ratio ${median((samples[0] as number[]).map((v, i) => v / ((samples[1] as number[])[i] as number))).toFixed(2)}`
          : '';
      console.log(`  ${rule.name.padEnd(28)}${cells.join('')}${ratio}`);
    }
  }
};

await main();
