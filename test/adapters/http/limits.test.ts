/**
 * Timeouts and the connection cap over real TLS, with limits short enough to watch them act:
 * a request must arrive (headers and body) within 1 s, a connection may idle 2 s, and at most
 * 6 connections are held. Before, Fastify's request and connection timeouts were 0: these were
 * all still held after 130 s.
 */
import { connect as h2connect, constants as h2constants, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerLimits } from '../../../src/adapters/http/connections.js';
import { h1, makeCerts, reviewFixture, startApp, type Running, type TestCerts } from './support.js';

const LIMITS: ServerLimits = {
  requestTimeoutMs: 1000,
  idleTimeoutMs: 2000,
  maxConnections: 6,
  maxSessionAgeMs: 60_000,
};

let certs: TestCerts;
let server: Running;
let port: number;
const opened: { destroy(): void }[] = [];

beforeAll(async () => {
  certs = await makeCerts();
  server = await startApp(certs, { limits: LIMITS });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  for (const item of opened) item.destroy();
  await server.app.close();
});

/** A TLS connection speaking HTTP/1.1 by hand; resolves once the handshake is done. */
function tls(): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: certs.caPem, ALPNProtocols: ['http/1.1'] });
    opened.push(socket);
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds until the peer closes the socket, with what it sent before. */
function closedAfter(socket: Socket): Promise<{ ms: number; received: string }> {
  const started = performance.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  return new Promise((resolve) =>
    socket.once('close', () => resolve({ ms: performance.now() - started, received })),
  );
}

function h2session(): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = h2connect(server.url, { ca: certs.caPem });
    opened.push(session);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

const HEADERS = (length: number): string =>
  `POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('request timeout (headers and body within requestTimeoutMs)', () => {
  it('cuts an HTTP/1.1 request whose headers came but whose body never does, with a 408', async () => {
    const socket = await tls();
    const closed = closedAfter(socket);
    socket.write(HEADERS(100));
    const { ms, received } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    // The JSON error every 4xx is (npm run fuzz's oracle), not Fastify's body without a code.
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 408,
      code: 'ZT_ERR_REQUEST_TIMEOUT',
      message: expect.stringContaining('requestTimeoutSeconds'),
    });
    // The limit, plus at most Node's 1 s connection check interval.
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(3500);
  });

  it('cuts an HTTP/1.1 body trickling one byte every 200 ms (never idle, never complete)', async () => {
    const socket = await tls();
    const closed = closedAfter(socket);
    socket.write(HEADERS(1000));
    const trickle = setInterval(() => socket.writable && socket.write('x'), 200);
    const { ms, received } = await closed;
    clearInterval(trickle);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(3500);
  });

  it('cuts a TLS handshake that never starts', async () => {
    const socket = netConnect({ host: '127.0.0.1', port });
    opened.push(socket);
    const { ms } = await closedAfter(socket);
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(3500);
  });

  it('resets an HTTP/2 stream whose body never ends; the session keeps serving', async () => {
    const session = await h2session();
    const started = performance.now();
    const stream = session.request({
      ':method': 'POST',
      ':path': '/validate',
      'content-type': 'application/json',
    });
    stream.write('{"apiVersion":');
    stream.on('error', () => undefined);
    stream.resume();
    const code = await new Promise<number>((resolve) =>
      stream.once('close', () => resolve(stream.rstCode ?? -1)),
    );
    expect(code).toBe(h2constants.NGHTTP2_CANCEL);
    expect(performance.now() - started).toBeLessThan(2500);
    const body = JSON.stringify(await reviewFixture('storefront-deployment-review.json'));
    const answer = session.request({
      ':method': 'POST',
      ':path': '/validate',
      'content-type': 'application/json',
    });
    answer.end(body);
    const status = await new Promise<number>((resolve) =>
      answer.once('response', (h) => resolve(Number(h[':status']))),
    );
    expect(status).toBe(200);
  });

  it('resets an HTTP/2 stream whose body trickles', async () => {
    const session = await h2session();
    const stream = session.request({
      ':method': 'POST',
      ':path': '/validate',
      'content-type': 'application/json',
    });
    stream.on('error', () => undefined);
    const trickle = setInterval(() => !stream.closed && stream.write(' '), 200);
    const code = await new Promise<number>((resolve) =>
      stream.once('close', () => resolve(stream.rstCode ?? -1)),
    );
    clearInterval(trickle);
    expect(code).toBe(h2constants.NGHTTP2_CANCEL);
  });
});

describe('idle timeout (idleTimeoutMs without a request)', () => {
  it('closes an idle HTTP/1.1 keep-alive connection', async () => {
    const socket = await tls();
    const closed = closedAfter(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const { ms, received } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(ms).toBeGreaterThan(1900);
    expect(ms).toBeLessThan(4500);
  });

  it('sends an idle HTTP/2 session a GOAWAY and closes it', async () => {
    const session = await h2session();
    const started = performance.now();
    const goaway = new Promise<number>((resolve) =>
      session.once('goaway', () => resolve(performance.now() - started)),
    );
    const closed = new Promise<void>((resolve) => session.once('close', resolve));
    expect(await goaway).toBeGreaterThan(1900);
    await closed;
    expect(performance.now() - started).toBeLessThan(4500);
  });
});

describe('maximum connection age (maxSessionAgeMs)', () => {
  it('closes an HTTP/1.1 keep-alive after its next answer once it is older than the limit', async () => {
    const aged = await startApp(certs, { limits: { ...LIMITS, maxSessionAgeMs: 1000 } });
    try {
      const socket = await new Promise<TLSSocket>((resolve, reject) => {
        const connection = tlsConnect({
          host: '127.0.0.1',
          port: Number(new URL(aged.url).port),
          ca: certs.caPem,
          ALPNProtocols: ['http/1.1'],
        });
        opened.push(connection);
        connection.once('secureConnect', () => resolve(connection));
        connection.once('error', reject);
      });
      const closed = closedAfter(socket);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 1300));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const { received } = await closed;
      const answers = received.split('HTTP/1.1 200').length - 1;
      expect(answers).toBe(2);
      expect(received).toMatch(/[Cc]onnection: close/);
      expect(received.indexOf('onnection: close')).toBeGreaterThan(received.lastIndexOf('HTTP/1.1 200'));
    } finally {
      await aged.app.close();
    }
  });

  it('sends an HTTP/2 session a GOAWAY once it is older than the limit, busy or not', async () => {
    const aged = await startApp(certs, { limits: { ...LIMITS, maxSessionAgeMs: 1000 } });
    try {
      const session = h2connect(aged.url, { ca: certs.caPem });
      opened.push(session);
      session.on('error', () => undefined);
      const started = performance.now();
      const goaway = new Promise<number>((resolve) =>
        session.once('goaway', () => resolve(performance.now() - started)),
      );
      const keepBusy = setInterval(() => {
        if (!session.closed)
          session
            .request({ ':path': '/healthz' })
            .on('error', () => undefined)
            .resume();
      }, 100);
      const after = await goaway;
      clearInterval(keepBusy);
      expect(after).toBeGreaterThan(850);
      expect(after).toBeLessThan(2000);
    } finally {
      await aged.app.close();
    }
  });
});

describe('connection cap (maxConnections per process)', () => {
  it(`refuses connections past ${LIMITS.maxConnections} at once, and takes new ones when some close`, async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => tls()));
    const refused = netConnect({ host: '127.0.0.1', port });
    opened.push(refused);
    const { ms } = await closedAfter(refused);
    expect(ms).toBeLessThan(500);
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = await h1(server.url, '/healthz', { ca: certs.caPem });
    expect(answer.status).toBe(200);
  });
});
