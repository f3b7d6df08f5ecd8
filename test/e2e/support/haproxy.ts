/**
 * haproxy in front of ztgate replicas, routing as a Kubernetes Service does: TCP (TLS passes
 * through to ztgate), round robin over the replicas whose /readyz answers 200, checked every
 * second (down after 2 failures, up after 2 successes; the TLS handshake of a check must finish
 * within the interval, which a shared machine needs), like endpoints driven by a readiness probe,
 * and marked down at once when a connection to it is refused. Debian's haproxy package (.ci/run
 * installs it when missing).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { findFreePort, startProcess, stopProcess, waitFor, type ManagedProcess } from './processes.js';

/** Where haproxy may be installed. */
export function haproxyBinary(): string | undefined {
  return ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy'].find((path) =>
    existsSync(path),
  );
}

/** A running haproxy. */
export interface Haproxy {
  /** https://127.0.0.1:<port>, the "Service" address the webhooks point at. */
  readonly url: string;
  readonly process: ManagedProcess;
  /** Each backend server's status as haproxy sees it ("UP", "DOWN", …), by name. */
  status(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts haproxy balancing `backends` (name → 127.0.0.1 port). */
export async function startHaproxy(
  dir: string,
  backends: Readonly<Record<string, number>>,
): Promise<Haproxy> {
  const binary = haproxyBinary();
  if (binary === undefined) throw new Error('haproxy is not installed (apt-get install haproxy)');
  const port = await findFreePort();
  const socket = join(dir, 'haproxy.sock');
  const servers = Object.entries(backends).map(
    ([name, backend]) =>
      // Passive checks too: a connection to it refused (a killed replica) marks it down at once.
      `  server ${name} 127.0.0.1:${backend} check check-ssl verify none inter 1s fall 2 rise 2` +
      ' observe layer4 error-limit 1 on-error mark-down',
  );
  const config = [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    '  maxconn 4096',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout check 2s',
    // A connection refused by a dead replica is tried on another one (a Service's iptables does
    // not, but kube-proxy removes the endpoint as soon as the pod is not ready).
    '  retries 2',
    '  option redispatch',
    'frontend webhook',
    `  bind 127.0.0.1:${port}`,
    '  default_backend ztgate',
    'backend ztgate',
    '  balance roundrobin',
    '  option httpchk',
    '  http-check send meth GET uri /readyz',
    '  http-check expect status 200',
    ...servers,
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const proc = startProcess('haproxy', binary, ['-db', '-f', file], join(dir, 'haproxy.log'));
  const query = (command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const client = connect(socket);
      let out = '';
      client.on('data', (chunk) => (out += chunk.toString()));
      client.on('end', () => resolve(out));
      client.on('error', reject);
      client.end(`${command}\n`);
    });
  const status = async (): Promise<Record<string, string>> => {
    const csv = await query('show stat');
    const rows = csv.split('\n').filter((line) => line.startsWith('ztgate,'));
    const result: Record<string, string> = {};
    for (const row of rows) {
      const fields = row.split(',');
      const name = fields[1] ?? '';
      if (name !== 'BACKEND' && name !== 'FRONTEND') result[name] = fields[17] ?? '';
    }
    return result;
  };
  await waitFor(
    async () => existsSync(socket) && Object.keys(await status()).length > 0,
    10_000,
    () => 'haproxy did not start',
  );
  return {
    url: `https://127.0.0.1:${port}`,
    process: proc,
    status,
    stop: () => stopProcess(proc),
  };
}
