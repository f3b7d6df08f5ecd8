import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { createRequestAgent, isStaleSocketError, usePooledAgent } from './request-agent.js';

/** An API server answer other than 2xx, with the Status reason when the server sent one. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** Query parameters for a request; undefined values are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** Options of one request: `timeoutMs` bounds an idle socket (default 10 s), `signal` aborts it outright. */
export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Without a deadline of its own a request gives up after this long without a byte: an API server
 * that accepts TCP and never answers must not hold a list (or a lease renewal) for long.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** A watch must get its response headers within this long, or it counts as broken. */
export const WATCH_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A connected watch with no byte for this long past its server-side timeoutSeconds is dead: the
 * API server ends every watch at timeoutSeconds, so silence beyond it means a lost peer.
 */
export const WATCH_IDLE_GRACE_MS = 30_000;

/** One watch event as the API server streams it. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Record<string, unknown>;
}

/** A running watch; abort() ends it without calling onDone with an error. */
export interface WatchHandle {
  abort(): void;
}

/**
 * The raw JSON REST calls the kube adapter makes. Raw JSON (not client-node's typed models) keeps
 * objects exactly as the API server and YAML files spell them, which is what the core reads.
 */
export interface KubeRest {
  request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options?: RequestOptions,
  ): Promise<T>;
  watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    onDone: (error: unknown) => void,
  ): Promise<WatchHandle>;
}

function withQuery(server: string, path: string, query: Query | undefined): URL {
  const url = new URL(server.replace(/\/$/, '') + path);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

function toError(statusCode: number, text: string): KubeApiError {
  try {
    const status = JSON.parse(text) as { message?: string; reason?: string };
    return new KubeApiError(statusCode, status.message ?? `HTTP ${statusCode}`, status.reason);
  } catch {
    return new KubeApiError(statusCode, text.trim() || `HTTP ${statusCode}`);
  }
}

/** What one request needs besides its URL: the kubeconfig for credentials, the pooled agent. */
interface Sender {
  readonly kubeConfig: KubeConfig;
  readonly agent: https.Agent;
}

/**
 * Sends one request. A GET that fails because the kept-alive socket it went out on had just been
 * closed by the server is sent once more on a new connection; a write is not (it may have landed).
 */
async function send(sender: Sender, call: Call): Promise<{ statusCode: number; text: string }> {
  try {
    return await sendOnce(sender, call);
  } catch (error) {
    if (call.method !== 'GET' || !(error instanceof StaleSocketError)) throw error;
    return sendOnce(sender, call);
  }
}

/** One request: method, URL, JSON body, idle limit and the caller's abort signal. */
interface Call {
  readonly method: string;
  readonly url: URL;
  readonly body: unknown;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** A request lost with the kept-alive socket it was sent on: nothing of it reached the server. */
class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

async function sendOnce(sender: Sender, call: Call): Promise<{ statusCode: number; text: string }> {
  const { method, url, body, timeoutMs, signal } = call;
  signal?.throwIfAborted();
  const options: https.RequestOptions = { method, headers: { accept: 'application/json' }, signal };
  await sender.kubeConfig.applyToHTTPSOptions(options);
  usePooledAgent(options, sender.agent);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) {
    options.headers = { ...options.headers, 'content-type': 'application/json' };
  }
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    // No request may hang forever: timeoutMs without a byte ends it.
    const idle = idleTimer(timeoutMs, () =>
      request.destroy(new Error(`${method} ${url.pathname}: timed out after ${timeoutMs} ms`)),
    );
    let answered = false;
    const request = transport.request(url, options, (response) => {
      answered = true;
      idle.refresh();
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        idle.refresh();
        chunks.push(chunk);
      });
      response.on('end', () => {
        idle.clear();
        resolve({ statusCode: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    });
    request.on('error', (error) => {
      idle.clear();
      // No byte of an answer came back on a socket an earlier request left open: the server closed it.
      const stale = request.reusedSocket && !answered && isStaleSocketError(error);
      reject(stale ? new StaleSocketError(error) : error);
    });
    request.on('close', () => idle.clear());
    request.end(payload);
  });
}

/** A timer that `refresh` restarts (a byte arrived) and `clear` stops. */
interface IdleTimer {
  refresh(): void;
  clear(): void;
}

/**
 * Fires `onIdle` once `ms` pass without a refresh, counted from now. Not the request's own
 * setTimeout: on a socket still connecting, Node arms that at TCP connect and lets it lapse once
 * while the TLS ClientHello is queued, so an API server that accepts TCP and never answers held
 * a request for twice its timeout (a list for 20 s, not 10).
 */
function idleTimer(ms: number, onIdle: () => void): IdleTimer {
  const timer = setTimeout(onIdle, ms);
  return {
    refresh: () => void timer.refresh(),
    clear: () => clearTimeout(timer),
  };
}

/** Splits a stream of newline-delimited JSON into lines, without re-scanning what it has seen. */
function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      const line = pending + chunk.slice(start, newline);
      pending = '';
      start = newline + 1;
      if (line.trim() !== '') onLine(line);
    }
    pending += chunk.slice(start);
  };
}

/**
 * One watch request: resolves with a handle once the API server answered 200 (within
 * WATCH_CONNECT_TIMEOUT_MS), rejects if it did not; afterwards every event goes to onEvent and
 * the end of the stream (clean, an error, or silence past the idle limit) to onDone, once.
 */
function openWatch(
  kubeConfig: KubeConfig,
  url: URL,
  timeouts: { readonly connectMs: number; readonly idleMs: number },
  onEvent: (event: WatchEvent) => void,
  onDone: (error: unknown) => void,
): Promise<WatchHandle> {
  const { connectMs, idleMs } = timeouts;
  return new Promise((resolve, reject) => {
    let connected = false;
    let finished = false;
    let request: http.ClientRequest | undefined;
    let idle: IdleTimer | undefined;
    const finish = (error: unknown): void => {
      clearTimeout(connectTimer);
      idle?.clear();
      if (finished) return;
      finished = true;
      if (connected) onDone(error);
      else reject(error ?? new Error(`watch ${url.pathname}: ended before it started`));
    };
    const connectTimer = setTimeout(() => {
      const error = new Error(`watch ${url.pathname}: no answer within ${connectMs} ms`);
      if (request === undefined) finish(error);
      else request.destroy(error);
    }, connectMs);
    const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    kubeConfig.applyToHTTPSOptions(options).then(() => {
      if (finished) return;
      // A connection of its own: a watch holds it for minutes; a pooled socket would be lost to requests.
      options.agent ??= false;
      const transport = url.protocol === 'http:' ? http : https;
      request = transport.request(url, options, (response) => {
        clearTimeout(connectTimer);
        response.setEncoding('utf8');
        // A connection lost mid-stream errors the response ("aborted"); unheard, that would throw.
        response.on('error', finish);
        if (response.statusCode !== 200) {
          const parts: string[] = [];
          response.on('data', (part: string) => parts.push(part));
          response.on('end', () => finish(toError(response.statusCode ?? 0, parts.join(''))));
          return;
        }
        const split = lineSplitter((line) => {
          if (finished) return;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch (error) {
            request?.destroy(
              new Error(`watch ${url.pathname}: unreadable event: ${(error as Error).message}`),
            );
            return;
          }
          onEvent(event);
        });
        // Silence past the idle limit ends the stream; every chunk restarts the count.
        const silent = idleTimer(idleMs, () =>
          request?.destroy(new Error(`watch ${url.pathname}: no data for ${idleMs} ms`)),
        );
        idle = silent;
        response.on('data', (chunk: string) => {
          silent.refresh();
          split(chunk);
        });
        response.on('end', () => finish(null));
        connected = true;
        resolve({
          abort(): void {
            // An abort is the caller's: no onDone.
            finished = true;
            request?.destroy();
          },
        });
      });
      request.on('error', finish);
      request.on('close', () => finish(new Error(`watch ${url.pathname}: connection closed`)));
      request.end();
    }, finish);
  });
}

/** The client's timeouts (ms); tests shorten them. */
export interface KubeRestTimeouts {
  readonly requestMs: number;
  readonly watchConnectMs: number;
  readonly watchIdleGraceMs: number;
}

/** Builds the REST client for the current context of a kubeconfig. */
export function createKubeRest(kubeConfig: KubeConfig, overrides: Partial<KubeRestTimeouts> = {}): KubeRest {
  const timeouts: KubeRestTimeouts = {
    requestMs: DEFAULT_TIMEOUT_MS,
    watchConnectMs: WATCH_CONNECT_TIMEOUT_MS,
    watchIdleGraceMs: WATCH_IDLE_GRACE_MS,
    ...overrides,
  };
  const server = (): string => {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server;
  };
  const sender: Sender = { kubeConfig, agent: createRequestAgent() };
  return {
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      const url = withQuery(server(), path, options.query);
      const timeout = options.timeoutMs ?? timeouts.requestMs;
      const { statusCode, text } = await send(sender, {
        method,
        url,
        body: options.body,
        timeoutMs: timeout,
        signal: options.signal,
      });
      if (statusCode < 200 || statusCode >= 300) throw toError(statusCode, text);
      return JSON.parse(text) as T;
    },
    async watch(path, query, onEvent, onDone) {
      const url = withQuery(server(), path, { ...query, watch: true });
      const serverTimeout = Number(query['timeoutSeconds']);
      const idleMs =
        (Number.isFinite(serverTimeout) ? serverTimeout * 1000 : 300_000) + timeouts.watchIdleGraceMs;
      return openWatch(kubeConfig, url, { connectMs: timeouts.watchConnectMs, idleMs }, onEvent, onDone);
    },
  };
}

/** Whether an error is an API answer with one of these status codes. */
export function hasStatus(error: unknown, ...codes: readonly number[]): boolean {
  return error instanceof KubeApiError && codes.includes(error.statusCode);
}
