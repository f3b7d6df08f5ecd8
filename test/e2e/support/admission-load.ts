/**
 * Admission load through the real API server: dry-run creates at a fixed rate over one HTTP/2
 * connection (as kubectl and controllers talk to it), alternating a compliant Pod (mutated by
 * ztgate, then validated: 201) and a Deployment ztgate refuses (403 with its no-net-admin denial). Anything
 * else — "failed calling webhook", a timeout, a 5xx — is a failed admission, timestamped so a
 * test can tell which fault it fell in.
 */
import { connect, type ClientHttp2Session } from 'node:http2';
import type { ControlPlane } from '../control-plane.js';

/** One request's outcome. */
export interface LoadRecord {
  /** ms since the epoch when it was sent. */
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly what: 'pod' | 'deployment';
  readonly status: number;
  /** Why it failed (the API server's message), when it did. */
  readonly reason?: string;
}

/** A running load. */
export interface AdmissionLoad {
  /** Records so far (the array keeps growing until stop). */
  readonly records: readonly LoadRecord[];
  inFlight(): number;
  stop(): Promise<void>;
}

/** Failed records between two instants (ms since the epoch), by when they were sent. */
export function failuresBetween(records: readonly LoadRecord[], from: number, to: number): LoadRecord[] {
  return records.filter((record) => !record.ok && record.at >= from && record.at <= to);
}

/** Counts of records sent between two instants. */
export function countBetween(records: readonly LoadRecord[], from: number, to: number): number {
  return records.filter((record) => record.at >= from && record.at <= to).length;
}

/** A Pod ztgate admits once it has injected it: its own ServiceAccount and allow-list (see faults.test.ts). */
function compliantPod(namespace: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'web-', namespace, labels: { app: 'web' } },
    spec: {
      serviceAccountName: 'web',
      containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }],
    },
  });
}

/**
 * A Deployment ztgate refuses for a NET_ADMIN container alone: its ServiceAccount and allow-list
 * exist (see faults.test.ts), so the denial needs no live read of the API server.
 */
function refusedDeployment(namespace: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { generateName: 'netadmin-', namespace },
    spec: {
      selector: { matchLabels: { app: 'netadmin' } },
      template: {
        metadata: { labels: { app: 'netadmin' } },
        spec: {
          serviceAccountName: 'netadmin',
          containers: [
            { name: 'app', image: 'nginx:1.27', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
          ],
        },
      },
    },
  });
}

/** Starts `rate` dry-run creates per second in `namespace` against the control plane. */
export function startAdmissionLoad(
  cp: ControlPlane,
  ca: string,
  namespace: string,
  rate: number,
): AdmissionLoad {
  const records: LoadRecord[] = [];
  let session: ClientHttp2Session | undefined;
  let inFlight = 0;
  let running = true;
  const pod = compliantPod(namespace);
  const deployment = refusedDeployment(namespace);
  const h2 = (): ClientHttp2Session => {
    if (session === undefined || session.closed || session.destroyed) {
      session = connect(cp.server, { ca });
      session.on('error', () => undefined);
      session.on('goaway', () => (session = undefined));
    }
    return session;
  };

  const send = (index: number): void => {
    const what = index % 2 === 0 ? 'pod' : 'deployment';
    const path =
      what === 'pod'
        ? `/api/v1/namespaces/${namespace}/pods?dryRun=All`
        : `/apis/apps/v1/namespaces/${namespace}/deployments?dryRun=All`;
    const at = Date.now();
    const started = performance.now();
    inFlight += 1;
    let status = 0;
    const parts: Buffer[] = [];
    const finish = (error?: string): void => {
      inFlight -= 1;
      const text = Buffer.concat(parts).toString('utf8');
      const denied =
        status === 403 && text.includes('denied the request') && text.includes('[dedicated-service-account]');
      const ok = error === undefined && (what === 'pod' ? status === 201 : denied);
      const reason = ok ? undefined : (error ?? `${status} ${text.slice(0, 300)}`);
      records.push({
        at,
        ms: performance.now() - started,
        ok,
        what,
        status,
        ...(reason === undefined ? {} : { reason }),
      });
    };
    let stream;
    try {
      stream = h2().request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/json',
        authorization: `Bearer ${cp.adminToken}`,
      });
    } catch (error) {
      finish((error as Error).message);
      return;
    }
    let done = false;
    const once = (error?: string): void => {
      if (done) return;
      done = true;
      finish(error);
    };
    stream.setTimeout(20_000, () => stream.close());
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('end', () => once());
    stream.on('error', (error) => once(error.message));
    stream.on('close', () => once(status === 0 ? `stream closed (${stream.rstCode})` : undefined));
    stream.end(what === 'pod' ? pod : deployment);
  };

  const started = performance.now();
  let next = 0;
  const interval = 1000 / rate;
  const loop = (): void => {
    if (!running) return;
    const now = performance.now();
    while (started + next * interval <= now) send(next++);
    setTimeout(loop, Math.max(1, started + next * interval - performance.now()));
  };
  loop();

  return {
    records,
    inFlight: () => inFlight,
    async stop() {
      running = false;
      const deadline = Date.now() + 25_000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      session?.close();
    },
  };
}
