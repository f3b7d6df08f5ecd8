/**
 * Sends fuzz cases over real TLS: HTTP/1.1 (keep-alive agent; whole bodies with Content-Length,
 * chunked bodies in random pieces, slow bodies with pauses) and HTTP/2 (a few long-lived
 * sessions; whole or slow bodies).
 */
import { Agent, request as httpsRequest } from 'node:https';
import { connect, type ClientHttp2Session } from 'node:http2';
import type { FuzzCase } from './cases.js';

/** What came back: a status and body, or the error that ended the exchange. */
export interface Outcome {
  readonly status: number;
  readonly text: string;
  readonly error?: string;
  readonly ms: number;
}

/** Pauses of a slow body: short enough (in total) to stay within the server's request timeout. */
const SLOW_PAUSE_MS = 150;
const SLOW_PIECES = 6;
/** A too-slow body pauses this long in total, past the request timeout the fuzz server runs with. */
export const TOO_SLOW_TOTAL_MS = 13_000;

function pieces(body: Buffer, count: number, seed: number): Buffer[] {
  if (body.length === 0) return [body];
  const out: Buffer[] = [];
  let at = 0;
  for (let index = 1; index < count && at < body.length; index++) {
    const size = Math.max(1, Math.floor((body.length / count) * (0.5 + ((seed * index) % 7) / 7)));
    out.push(body.subarray(at, Math.min(body.length, at + size)));
    at += size;
  }
  if (at < body.length) out.push(body.subarray(at));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function writeSlowly(
  write: (chunk: Buffer) => boolean,
  parts: readonly Buffer[],
  pauseMs: number,
  stillOpen: () => boolean,
): Promise<void> {
  for (const part of parts) {
    if (!stillOpen()) return;
    write(part);
    await sleep(pauseMs);
  }
}

/** A client for one server: an HTTP/1.1 agent and a pool of HTTP/2 sessions. */
export interface FuzzClient {
  send(fuzzCase: FuzzCase, timeoutMs: number): Promise<Outcome>;
  close(): void;
}

/** Creates the client; HTTP/2 sessions are opened lazily and replaced when they close. */
export function createFuzzClient(port: number, ca: string, sessions = 4): FuzzClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca });
  const pool: (ClientHttp2Session | undefined)[] = new Array(sessions).fill(undefined);
  let next = 0;

  function session(): ClientHttp2Session {
    const slot = next++ % pool.length;
    let current = pool[slot];
    if (current === undefined || current.closed || current.destroyed) {
      // Node's default 10 MB of session memory refuses the client's own streams (ENHANCE_YOUR_CALM)
      // while a few 3 MiB bodies wait on flow control; the API server's Go client has no such limit.
      current = connect(`https://127.0.0.1:${port}`, { ca, maxSessionMemory: 256 });
      current.on('error', () => undefined);
      // A GOAWAY (idle timeout, max age) retires the session; the next send opens another.
      current.on('goaway', () => (pool[slot] = undefined));
      pool[slot] = current;
    }
    return current;
  }

  function sendH1(fuzzCase: FuzzCase, timeoutMs: number): Promise<Outcome> {
    const started = performance.now();
    const body = Buffer.from(fuzzCase.body);
    const chunked = fuzzCase.framing !== 'whole';
    const headers: Record<string, string | number> = {};
    if (fuzzCase.contentType !== undefined) headers['content-type'] = fuzzCase.contentType;
    if (!chunked) headers['content-length'] = body.length;
    return new Promise((resolve) => {
      let done = false;
      const finish = (outcome: Omit<Outcome, 'ms'>): void => {
        if (done) return;
        done = true;
        resolve({ ...outcome, ms: performance.now() - started });
      };
      const request = httpsRequest(
        { host: '127.0.0.1', port, method: 'POST', path: fuzzCase.route, agent, headers, timeout: timeoutMs },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () =>
            finish({ status: response.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
          );
          response.on('error', (error) =>
            finish({ status: response.statusCode ?? 0, text: '', error: error.message }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error) => finish({ status: 0, text: '', error: error.message }));
      if (fuzzCase.framing === 'whole') {
        request.end(body);
        return;
      }
      const slow = fuzzCase.framing === 'slow' || fuzzCase.framing === 'too-slow';
      const count = slow ? SLOW_PIECES : 2 + (fuzzCase.id % 30);
      const pause =
        fuzzCase.framing === 'too-slow' ? TOO_SLOW_TOTAL_MS / SLOW_PIECES : slow ? SLOW_PAUSE_MS : 0;
      void writeSlowly(
        (chunk) => request.write(chunk),
        pieces(body, count, fuzzCase.id),
        pause,
        () => !done,
      ).then(() => !done && request.end());
    });
  }

  function sendH2(fuzzCase: FuzzCase, timeoutMs: number): Promise<Outcome> {
    const started = performance.now();
    const body = Buffer.from(fuzzCase.body);
    return new Promise((resolve) => {
      let done = false;
      const finish = (outcome: Omit<Outcome, 'ms'>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ ...outcome, ms: performance.now() - started });
      };
      const headers: Record<string, string> = { ':method': 'POST', ':path': fuzzCase.route };
      if (fuzzCase.contentType !== undefined) headers['content-type'] = fuzzCase.contentType;
      let stream;
      try {
        stream = session().request(headers);
      } catch (error) {
        finish({ status: 0, text: '', error: `request not sent: ${(error as Error).message}` });
        return;
      }
      const timer = setTimeout(() => {
        stream.close();
        finish({ status: 0, text: '', error: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      let status = 0;
      const parts: Buffer[] = [];
      stream.on('response', (received) => (status = Number(received[':status'])));
      stream.on('data', (part: Buffer) => parts.push(part));
      stream.on('end', () => finish({ status, text: Buffer.concat(parts).toString('utf8') }));
      stream.on('error', (error) => finish({ status, text: '', error: error.message }));
      stream.on('close', () =>
        finish({
          status,
          text: Buffer.concat(parts).toString('utf8'),
          error: `stream closed (code ${stream.rstCode})`,
        }),
      );
      if (fuzzCase.framing === 'whole' || fuzzCase.framing === 'chunked') {
        stream.end(body);
        return;
      }
      const pause = fuzzCase.framing === 'too-slow' ? TOO_SLOW_TOTAL_MS / SLOW_PIECES : SLOW_PAUSE_MS;
      void writeSlowly(
        (chunk) => stream.write(chunk),
        pieces(body, SLOW_PIECES, fuzzCase.id),
        pause,
        () => !done,
      ).then(() => !done && stream.end());
    });
  }

  return {
    send: (fuzzCase, timeoutMs) =>
      fuzzCase.transport === 'h2' ? sendH2(fuzzCase, timeoutMs) : sendH1(fuzzCase, timeoutMs),
    close() {
      agent.destroy();
      for (const current of pool) current?.destroy();
    },
  };
}
