/**
 * The soak load driver, forked by run.ts so load generation never shares an event loop with the
 * runner that watches the server. Open loop at a fixed rate (request i is due at start + i/rate;
 * latency counts from that moment), spread evenly over four lanes: /validate and /mutate, each
 * over HTTP/1.1 (keep-alive) and HTTP/2. Every 10 s it reports counts; every minute the p50/p99
 * of that minute.
 */
import { readFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { Agent, request } from 'node:https';
import { summarize } from '../bench/stats.js';

/** What run.ts sends to start the driver. */
export interface SoakJob {
  readonly port: number;
  readonly caFile: string;
  readonly bodiesFile: string;
  readonly rate: number;
  readonly seconds: number;
}

/** One report from the driver. */
export interface SoakTick {
  readonly type: 'tick' | 'minute' | 'done';
  readonly second: number;
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  /** Requests refused unprocessed at a GOAWAY and sent again. */
  readonly retried: number;
  readonly firstError?: string;
  /** For 'minute': latency of that minute's answers, ms. */
  readonly p50?: number;
  readonly p99?: number;
  readonly max?: number;
  readonly byLane?: Record<string, number>;
}

/** A body and what a correct answer looks like. */
export interface SoakBody {
  readonly path: '/validate' | '/mutate';
  readonly uid: string;
  readonly text: string;
  /** /validate: the expected verdict; /mutate: whether a patch is expected. */
  readonly allowed: boolean;
  readonly patched?: boolean;
}

type Lane = { readonly name: string; readonly transport: 'h1' | 'h2'; readonly bodies: readonly SoakBody[] };

function check(body: SoakBody, status: number, text: string): string | undefined {
  if (status !== 200) return `${body.path}: status ${status}`;
  let response: { uid?: unknown; allowed?: unknown; patch?: unknown };
  try {
    response = (JSON.parse(text) as { response: typeof response }).response;
  } catch {
    return `${body.path}: not JSON`;
  }
  if (response.uid !== body.uid) return `${body.path}: uid ${String(response.uid)} for ${body.uid}`;
  if (response.allowed !== body.allowed)
    return `${body.path}: allowed ${String(response.allowed)} for ${body.uid}`;
  if (body.patched !== undefined && (typeof response.patch === 'string') !== body.patched)
    return `${body.path}: patch ${body.patched ? 'missing' : 'unexpected'} for ${body.uid}`;
  return undefined;
}

function run(job: SoakJob): void {
  const ca = readFileSync(job.caFile, 'utf8');
  const bodies = JSON.parse(readFileSync(job.bodiesFile, 'utf8')) as SoakBody[];
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca });
  let session: ClientHttp2Session | undefined;
  const h2 = (): ClientHttp2Session => {
    if (session === undefined || session.closed || session.destroyed) {
      session = connect(`https://127.0.0.1:${job.port}`, { ca });
      session.on('error', () => undefined);
      // A GOAWAY (max session age) retires the session; the next request opens a new one.
      session.on('goaway', () => (session = undefined));
    }
    return session;
  };
  const lanes: Lane[] = [];
  for (const path of ['/validate', '/mutate'] as const) {
    for (const transport of ['h1', 'h2'] as const) {
      lanes.push({ name: `${transport} ${path}`, transport, bodies: bodies.filter((b) => b.path === path) });
    }
  }
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let minute: number[] = [];
  const byLane: Record<string, number> = {};

  let retried = 0;
  const fire = (index: number, due: number, retry = false): void => {
    const lane = lanes[index % lanes.length] as Lane;
    const body = lane.bodies[Math.floor(index / lanes.length) % lane.bodies.length] as SoakBody;
    if (!retry) sent += 1;
    const done = (status: number, text: string, error?: string): void => {
      // A stream the server refused unprocessed at a GOAWAY (max session age) is retried once on a
      // new connection, as Go's HTTP/2 client in the API server does (RFC 9113 §8.7).
      if (!retry && error !== undefined && /REFUSED_STREAM|GOAWAY/.test(error)) {
        retried += 1;
        fire(index, due, true);
        return;
      }
      const problem = error ?? check(body, status, text);
      if (problem === undefined) {
        ok += 1;
        byLane[lane.name] = (byLane[lane.name] ?? 0) + 1;
        minute.push(performance.now() - due);
      } else {
        errors += 1;
        firstError ??= `${lane.name}: ${problem}`;
      }
    };
    if (lane.transport === 'h1') {
      const req = request(
        {
          host: '127.0.0.1',
          port: job.port,
          method: 'POST',
          path: body.path,
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body.text) },
          timeout: 10_000,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(parts).toString('utf8')));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => done(0, '', error.message));
      req.end(body.text);
      return;
    }
    let stream;
    try {
      stream = h2().request({ ':method': 'POST', ':path': body.path, 'content-type': 'application/json' });
    } catch (error) {
      done(0, '', (error as Error).message);
      return;
    }
    let status = 0;
    const parts: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('end', () => done(status, Buffer.concat(parts).toString('utf8')));
    stream.on('error', (error) => done(status, '', error.message));
    stream.end(body.text);
  };

  const start = performance.now();
  const interval = 1000 / job.rate;
  let next = 0;
  let lastTick = 0;
  const report = (type: SoakTick['type'], second: number, extra: Partial<SoakTick> = {}): void => {
    const tick: SoakTick = { type, second, sent, ok, errors, retried, byLane: { ...byLane }, ...extra };
    if (firstError !== undefined) Object.assign(tick, { firstError });
    process.send?.(tick);
  };
  const loop = (): void => {
    const now = performance.now();
    const elapsed = now - start;
    while (start + next * interval <= now && next * interval < job.seconds * 1000) {
      fire(next, start + next * interval);
      next += 1;
    }
    const second = Math.floor(elapsed / 1000);
    if (second >= lastTick + 10) {
      lastTick = second - (second % 10);
      if (lastTick % 60 === 0) {
        const figures = summarize(minute);
        report('minute', lastTick, { p50: figures.p50, p99: figures.p99, max: figures.max });
        minute = [];
      } else report('tick', lastTick);
    }
    if (elapsed < job.seconds * 1000 + 2000) {
      const wait = start + next * interval - performance.now();
      setTimeout(loop, wait > 2 ? 1 : 0);
    } else {
      report('done', Math.round(elapsed / 1000));
      agent.destroy();
      session?.destroy();
    }
  };
  loop();
}

process.once('message', (job: SoakJob) => run(job));
