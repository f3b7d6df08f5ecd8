/**
 * The SIGTERM path (shutDownGracefully) over real TLS, HTTP/2 and HTTP/1.1. Before: every new
 * request on an open HTTP/2 session got 503 after SIGTERM (99 of 99 for a live client, never told
 * to go away), and one idle HTTP/2 session delayed exit by 72 s.
 */
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionGuardOf } from '../../../src/adapters/http/app.js';
import { silentLogger } from '../../../src/adapters/kube/logger.js';
import { shutDownGracefully, type ShutdownTimings } from '../../../src/cli/serve-lifecycle.js';
import type { Logger } from 'pino';
import {
  EMPTY_VIEW,
  fixedSource,
  h1,
  makeCerts,
  reviewFixture,
  startApp,
  startDemoApp,
  type Running,
  type TestCerts,
} from './support.js';

const TIMINGS: ShutdownTimings = { drainDelayMs: 1500, closeDeadlineMs: 3000, stopDeadlineMs: 500 };
const logger = silentLogger as unknown as Logger;
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const item of cleanup.splice(0)) item();
});

function session(url: string, certs: TestCerts): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const client = h2connect(url, { ca: certs.caPem });
    cleanup.push(() => client.destroy());
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** One POST on an existing session; resolves with the status (0 when the stream failed). */
function post(
  client: ClientHttp2Session,
  path: string,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    if (client.closed || client.destroyed) return resolve({ status: 0, text: 'session closed' });
    const stream = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
    let status = 0;
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve({ status, text }));
    stream.on('error', (error) => resolve({ status: 0, text: String(error) }));
    stream.end(body);
  });
}

describe('graceful shutdown', () => {
  let certs: TestCerts;
  let server: Running;

  it('answers a live HTTP/2 client during the drain (no 503), fails /readyz at once, then sends GOAWAY', async () => {
    certs = await makeCerts();
    server = await startDemoApp(certs);
    const client = await session(server.url, certs);
    let goawayAt: number | undefined;
    client.on('goaway', () => (goawayAt ??= performance.now()));
    const body = JSON.stringify(await reviewFixture('storefront-deployment-review.json'));
    const answers: (number | string)[] = [];
    let running = true;
    const load = (async () => {
      while (running && goawayAt === undefined) {
        const answer = await post(client, '/validate', body);
        if (answer !== undefined) answers.push(answer.status === 0 ? answer.text : answer.status);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const done = shutDownGracefully(server.app, Promise.resolve(undefined), logger, TIMINGS);
    const readyz = await h1(server.url, '/readyz', { ca: certs.caPem });
    expect(readyz.status).toBe(503);
    expect(readyz.json()).toEqual({ status: 'not ready', reason: 'shutting down: draining connections' });
    await done;
    running = false;
    await load;
    expect(answers.length).toBeGreaterThan(20);
    // Every request sent during the drain was answered, none with a 503. A request crossing the
    // GOAWAY on the wire is refused unprocessed (REFUSED_STREAM, which RFC 9113 §8.7 lets a
    // client retry, and Go's HTTP/2 client in the API server does); nothing else.
    const others = answers.filter((status) => status !== 200);
    expect(others.length).toBeLessThanOrEqual(1);
    for (const other of others) expect(other).toMatch(/NGHTTP2_REFUSED_STREAM/);
    expect(goawayAt).toBeDefined();
    expect((goawayAt as number) - started).toBeGreaterThanOrEqual(TIMINGS.drainDelayMs - 50);
  });

  it('does not wait for an idle HTTP/2 session or an idle HTTP/1.1 keep-alive', async () => {
    certs = await makeCerts();
    server = await startApp(certs);
    const idle = await session(server.url, certs);
    const idleClosed = new Promise<void>((resolve) => idle.once('close', resolve));
    const socket: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port: Number(new URL(server.url).port),
      ca: certs.caPem,
      ALPNProtocols: ['http/1.1'],
    });
    cleanup.push(() => socket.destroy());
    socket.on('data', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const keepAliveClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connectionGuardOf(server.app).counts()).toMatchObject({ sessions: 1, http1: 1 });
    const started = performance.now();
    await shutDownGracefully(server.app, Promise.resolve(undefined), logger, TIMINGS);
    const took = performance.now() - started;
    await Promise.all([idleClosed, keepAliveClosed]);
    expect(took).toBeGreaterThanOrEqual(TIMINGS.drainDelayMs - 50);
    // The drain, plus up to a second for a client that does not answer the GOAWAY's PING.
    expect(took).toBeLessThan(TIMINGS.drainDelayMs + 1800);
    await expect(h1(server.url, '/healthz', { ca: certs.caPem })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('finishes an in-flight request after the drain, on HTTP/2 and HTTP/1.1, then stops the runtime', async () => {
    certs = await makeCerts();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    server = await startApp(certs, {
      viewSource: fixedSource(EMPTY_VIEW, {
        confirm: async () => {
          entered += 1;
          await held;
          return EMPTY_VIEW;
        },
      }),
      evaluate: () => ({
        allowed: false,
        skipped: false,
        mode: 'enforce',
        violations: [
          {
            rule: 'dedicated-service-account',
            path: 'spec.serviceAccountName',
            message: 'missing',
            fix: '',
            missing: { kind: 'ServiceAccount', namespace: 'shop', name: 'web' },
          },
        ],
        warnings: [],
      }),
    });
    const body = JSON.stringify(await reviewFixture('storefront-deployment-review.json'));
    const client = await session(server.url, certs);
    const viaH2 = post(client, '/validate', body);
    const viaH1 = h1(server.url, '/validate', { body, ca: certs.caPem });
    while (entered < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    let stopped = false;
    const runtime = Promise.resolve({ stop: async () => void (stopped = true) });
    const done = shutDownGracefully(server.app, runtime, logger, { ...TIMINGS, drainDelayMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(stopped).toBe(false);
    release();
    await done;
    const [h2answer, h1answer] = await Promise.all([viaH2, viaH1]);
    expect([h2answer?.status, h1answer.status]).toEqual([200, 200]);
    expect(JSON.parse(h2answer?.text ?? '').response).toMatchObject({
      allowed: false,
      status: { code: 403 },
    });
    expect(stopped).toBe(true);
  });
});
