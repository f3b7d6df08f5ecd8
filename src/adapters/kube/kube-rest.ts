import http from 'node:http';
import https from 'node:https';
import { type KubeConfig, Watch } from '@kubernetes/client-node';

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

/** Options of one request: `timeoutMs` bounds an idle socket (default 15 s), `signal` aborts it outright. */
export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Without a deadline of its own a request gives up after this long. */
const DEFAULT_TIMEOUT_MS = 15_000;

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

async function send(
  kubeConfig: KubeConfig,
  method: string,
  url: URL,
  body: unknown,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ statusCode: number; text: string }> {
  signal?.throwIfAborted();
  const options: https.RequestOptions = { method, headers: { accept: 'application/json' }, signal };
  await kubeConfig.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) {
    options.headers = { ...options.headers, 'content-type': 'application/json' };
  }
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ statusCode: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    // No request may hang forever; live reads on the admission path pass a deadline well inside the
    // webhook's timeoutSeconds so the developer still gets ztgate's answer.
    request.setTimeout(timeoutMs, () =>
      request.destroy(new Error(`${method} ${url.pathname}: timed out after ${timeoutMs} ms`)),
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** client-node's Watch reports a non-200 answer as an Error with statusCode; make it a KubeApiError. */
function asApiError(error: unknown): unknown {
  if (error === null || error === undefined) return null;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? new KubeApiError(statusCode, (error as Error).message) : error;
}

/** Builds the REST client for the current context of a kubeconfig. */
export function createKubeRest(kubeConfig: KubeConfig): KubeRest {
  const server = (): string => {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server;
  };
  const watcher = new Watch(kubeConfig);
  return {
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      const url = withQuery(server(), path, options.query);
      const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const { statusCode, text } = await send(kubeConfig, method, url, options.body, timeout, options.signal);
      if (statusCode < 200 || statusCode >= 300) throw toError(statusCode, text);
      return JSON.parse(text) as T;
    },
    async watch(path, query, onEvent, onDone) {
      let aborted = false;
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params[key] = String(value);
      const controller = await watcher.watch(
        path,
        params,
        (type: string, object: Record<string, unknown>) => {
          if (!aborted) onEvent({ type, object });
        },
        (error: unknown) => {
          if (!aborted) onDone(asApiError(error));
        },
      );
      return {
        abort(): void {
          aborted = true;
          controller.abort();
        },
      };
    },
  };
}

/** Whether an error is an API answer with one of these status codes. */
export function hasStatus(error: unknown, ...codes: readonly number[]): boolean {
  return error instanceof KubeApiError && codes.includes(error.statusCode);
}
