/** A minimal HTTPS/1.1 client over keep-alive agents, shared by the load driver and the runner. */
import { Agent, request } from 'node:https';

/** A response: status and body text. */
export interface HttpResponse {
  readonly status: number;
  readonly text: string;
}

/** A keep-alive agent trusting only `ca`, with at most `maxSockets` connections. */
export function createAgent(ca: string, maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca, scheduling: 'fifo' });
}

/** Sends one request to 127.0.0.1 and resolves with the whole response (rejects on network errors or timeout). */
export function send(
  agent: Agent,
  port: number,
  method: 'GET' | 'POST',
  path: string,
  body?: Buffer,
  timeoutMs = 10_000,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> =
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length };
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, headers, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
