/**
 * A small keep-alive HTTPS client for the e2e kube-apiserver: JSON in and out, a bearer token, a
 * pool of connections shared by many requests in flight. kubectl starts a process and a TLS
 * handshake per call and sends a List's items one by one; loading a 1× cluster (74,000 objects)
 * that way took longer than the bench can afford.
 */
import { Agent, request } from 'node:https';
import type { KubeObject } from '../../src/policy/types.js';

/** One answer of the API server: status and parsed JSON body (undefined when not JSON). */
export interface KubeAnswer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
  readonly text: string;
}

/** The client: `call` one request; `close` drops the pooled connections. */
export interface KubeApi {
  readonly server: string;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<KubeAnswer>;
  /** `call`, retried on 429, 5xx and network errors; rejects on any other status ≥ 300 except `accept`. */
  send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    accept?: readonly number[],
  ): Promise<KubeAnswer>;
  close(): void;
}

const RETRIES = 8;

function parse(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A client of `server` trusting `ca`, authenticating with `token`, at most `maxSockets` connections. */
export function createKubeApi(server: string, ca: string, token: string, maxSockets = 16): KubeApi {
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca });
  const call: KubeApi['call'] = (method, path, body) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(
        `${server}${path}`,
        {
          method,
          agent,
          timeout: 60_000,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': type, 'content-length': payload.length }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: parse(text), text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
      req.on('error', reject);
      req.end(payload);
    });
  };
  const send: KubeApi['send'] = async (method, path, body, accept = []) => {
    for (let attempt = 0; ; attempt++) {
      const answer = await call(method, path, body).catch((error: unknown) => {
        if (attempt >= RETRIES) throw error;
        return undefined;
      });
      const retry = answer === undefined || answer.status === 429 || answer.status >= 500;
      if (retry && attempt < RETRIES) {
        // The API server's max-in-flight limit (429) or a timeout under load: back off and retry.
        await new Promise((done) => setTimeout(done, 100 * 2 ** Math.min(attempt, 5)));
        continue;
      }
      if (answer === undefined) throw new Error(`${method} ${path}: no answer`);
      if (answer.status >= 300 && !accept.includes(answer.status))
        throw new Error(`${method} ${path}: HTTP ${answer.status} ${answer.text.slice(0, 400)}`);
      return answer;
    }
  };
  return { server, call, send, close: () => agent.destroy() };
}

/** A kind's REST plural, as the API server names the kinds the bench creates. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

/** The REST path of an object's collection, or of the object itself with `named`. */
export function objectPath(object: KubeObject, named = false): string {
  const apiVersion = object.apiVersion ?? 'v1';
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const namespace = object.metadata?.namespace;
  const scoped = namespace === undefined ? base : `${base}/namespaces/${namespace}`;
  const collection = `${scoped}/${pluralOf(object.kind ?? '')}`;
  return named ? `${collection}/${object.metadata?.name ?? ''}` : collection;
}

/** Runs `work` on every item with at most `concurrency` in flight; rejects with the first failure. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
