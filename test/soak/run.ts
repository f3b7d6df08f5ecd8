/**
 * `npm run soak`: ztgate under steady load for a long time, watching memory and latency.
 * 10 minutes at 1,000 req/s by default, /validate and /mutate over HTTP/1.1 and HTTP/2 (four equal
 * lanes, open loop), against `ztgate serve --state manifests/demo`. Prints RSS every 10 s and
 * p50/p99 per minute. Targets: RSS growth < 10 % from minute 1 to the last minute, no errors.
 *
 *   npm run soak -- [--minutes 10] [--rate 1000] [--server auto|dist|src] [--json FILE]
 */
import { fork } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBenchCerts } from '../bench/bench-certs.js';
import { resolveServerSource } from '../bench/commands.js';
import { startServer } from '../bench/server-process.js';
import type { SoakBody, SoakJob, SoakTick } from './driver.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    server: { type: 'string', default: 'auto' },
    json: { type: 'string' },
    work: { type: 'string', default: '.soak' },
  },
});

function log(line: string): void {
  process.stderr.write(`soak: ${line}\n`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited field by field.
type Review = any;

async function fixture(name: string): Promise<Review> {
  return JSON.parse(await readFile(join('test', 'fixtures', 'admission', name), 'utf8'));
}

/** Bodies for the four lanes: denied and allowed /validate reviews, patched and untouched /mutate ones. */
async function buildBodies(): Promise<SoakBody[]> {
  const storefront = await fixture('storefront-deployment-review.json');
  const pod = await fixture('catalog-pod-review.json');
  const catalog = structuredClone(storefront);
  catalog.request.name = 'catalog';
  catalog.request.object.metadata = { name: 'catalog', namespace: 'ztgate-demo', labels: { app: 'catalog' } };
  catalog.request.object.spec.template.metadata.labels = { app: 'catalog' };
  catalog.request.object.spec.template.spec.serviceAccountName = 'catalog';
  const bodies: SoakBody[] = [];
  for (let index = 0; index < 50; index++) {
    const variants: [Review, SoakBody['path'], boolean, boolean | undefined][] = [
      [storefront, '/validate', false, undefined],
      [catalog, '/validate', true, undefined],
      [pod, '/mutate', true, true],
      [storefront, '/mutate', true, false],
    ];
    for (const [review, path, allowed, patched] of variants) {
      const uid = `soak-${path.slice(1)}-${index}-${review.request.uid}`;
      const text = JSON.stringify({ ...review, request: { ...review.request, uid } });
      bodies.push({ path, uid, text, allowed, ...(patched === undefined ? {} : { patched }) });
    }
  }
  return bodies;
}

async function soak(): Promise<number> {
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  const work = values.work;
  await mkdir(work, { recursive: true });
  const certs = await ensureBenchCerts(join(work, 'certs'));
  const bodiesFile = join(work, 'bodies.json');
  await writeFile(bodiesFile, JSON.stringify(await buildBodies()));
  const source = await resolveServerSource(values.server as 'auto' | 'dist' | 'src');
  const entry = source === 'dist' ? ['bin/ztgate.js'] : ['--import', 'tsx', 'test/bench/ztgate-src.ts'];
  const configFile = join(work, 'config.yaml');
  await writeFile(configFile, 'server:\n  drainDelaySeconds: 0\n');
  const server = await startServer({
    label: 'ztgate',
    args: [
      ...entry,
      'serve',
      '--state',
      'manifests/demo',
      '--config',
      configFile,
      '--port',
      '{port}',
      '--host',
      '127.0.0.1',
      '--tls-cert',
      certs.certFile,
      '--tls-key',
      certs.keyFile,
    ],
    logFile: join(work, 'server.log'),
    caFile: certs.certFile,
    readyTimeoutMs: 120_000,
  });
  log(
    `server ${source} on port ${server.port}; ${minutes} min at ${rate} req/s over 4 lanes (h1/h2 × /validate,/mutate)`,
  );
  const driver = fork(fileURLToPath(new URL('./driver.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
  });
  const rss: { second: number; mib: number }[] = [];
  const minutesFigures: { minute: number; p50: number; p99: number; max: number; answers: number }[] = [];
  let last: SoakTick | undefined;
  let answeredBefore = 0;
  const done = new Promise<void>((resolve) => {
    driver.on('message', (tick: SoakTick) => {
      void (async () => {
        const memory = await server.memory().catch(() => ({ rssMiB: Number.NaN }));
        if (tick.type !== 'done') rss.push({ second: tick.second, mib: memory.rssMiB });
        const errors = tick.errors > 0 ? ` first error: ${tick.firstError ?? ''}` : '';
        log(
          `t=${tick.second}s RSS ${memory.rssMiB.toFixed(1)} MiB; sent ${tick.sent}, ok ${tick.ok}, errors ${tick.errors}, retried ${tick.retried}${errors}`,
        );
        if (tick.type === 'minute' && tick.second > 0) {
          const answers = tick.ok - answeredBefore;
          answeredBefore = tick.ok;
          minutesFigures.push({
            minute: tick.second / 60,
            p50: tick.p50 ?? NaN,
            p99: tick.p99 ?? NaN,
            max: tick.max ?? NaN,
            answers,
          });
          log(
            `minute ${tick.second / 60}: p50 ${tick.p50?.toFixed(2)} ms, p99 ${tick.p99?.toFixed(2)} ms, max ${tick.max?.toFixed(1)} ms, ${answers} answers`,
          );
        }
        last = tick;
        if (tick.type === 'done') resolve();
      })();
    });
  });
  driver.send({
    port: server.port,
    caFile: certs.certFile,
    bodiesFile,
    rate,
    seconds: minutes * 60,
  } satisfies SoakJob);
  await done;
  driver.kill();
  const exitCode = await server.stop();
  const at = (second: number): number | undefined => rss.find((entry) => entry.second === second)?.mib;
  const first = at(60);
  const lastMinute = at(minutes * 60) ?? rss.at(-1)?.mib;
  const growth = first !== undefined && lastMinute !== undefined ? (lastMinute - first) / first : Number.NaN;
  const summary = {
    minutes,
    rate,
    sent: last?.sent ?? 0,
    ok: last?.ok ?? 0,
    errors: last?.errors ?? 0,
    retriedAtGoaway: last?.retried ?? 0,
    firstError: last?.firstError,
    byLane: last?.byLane,
    rssMiB: { minute1: first, last: lastMinute, growthPercent: Math.round(growth * 1000) / 10, series: rss },
    perMinute: minutesFigures,
    serverExitCode: exitCode,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (values.json !== undefined) await writeFile(values.json, JSON.stringify(summary, null, 2));
  log(
    `${summary.ok} of ${summary.sent} answered correctly, ${summary.errors} errors, RSS ${first?.toFixed(1)} → ${lastMinute?.toFixed(1)} MiB (${summary.rssMiB.growthPercent} %)`,
  );
  return summary.errors === 0 && growth < 0.1 && exitCode === 0 ? 0 : 1;
}

soak().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 2;
  },
);
