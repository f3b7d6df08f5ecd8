/**
 * What the sizing scripts measure on one running ztgate: RSS once ready, after a short load and at
 * its peak, start-up CPU, and CPU per admission under CONCURRENCY requests in flight.
 */
import type { BenchCerts } from './bench-certs.js';
import type { GeneratedReviews, ReviewBody } from './gen-reviews.js';
import { createAgent, send } from './https-client.js';
import { mutateThroughZtgate } from './prepare.js';
import type { RunningServer } from './server-process.js';

const CONCURRENCY = 8;

/** Figures of one server. */
export interface ServerFigures {
  readonly readyS: number;
  readonly startCpuS: number;
  readonly readyMiB: number;
  readonly loadedMiB: number;
  readonly peakMiB: number;
  readonly cpuUsPerRequest: number;
}

/** Sends `total` requests, CONCURRENCY at a time, cycling through the bodies; throws on a non-200. */
async function drive(
  port: number,
  ca: string,
  bodies: readonly { path: string; body: Buffer }[],
  total: number,
) {
  const agent = createAgent(ca, CONCURRENCY);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const { path, body } = bodies[next++ % bodies.length] as { path: string; body: Buffer };
      const response = await send(agent, port, 'POST', path, body);
      if (response.status !== 200)
        throw new Error(`${path}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    agent.destroy();
  }
}

/** Measures a ready server: its memory now, then `requests` admissions of the reviews, then again. */
export async function measureServer(
  server: RunningServer,
  certs: BenchCerts,
  reviews: GeneratedReviews,
  requests: number,
): Promise<ServerFigures> {
  const ready = await server.memory();
  const startCpuMs = await server.cpuMs();
  const mutated = await mutateThroughZtgate(server.port, certs.cert, reviews.pods);
  if (mutated.problems.length > 0) throw new Error(mutated.problems.slice(0, 3).join('\n'));
  const encode = (path: string, list: readonly ReviewBody[]) =>
    list.map((b) => ({ path, body: Buffer.from(JSON.stringify(b.review)) }));
  const bodies = [
    ...encode('/mutate', reviews.pods),
    ...encode('/validate', mutated.bodies),
    ...encode('/validate', reviews.deployments),
    ...encode('/validate', reviews.networkPolicies),
  ];
  const cpuBefore = await server.cpuMs();
  await drive(server.port, certs.cert, bodies, requests);
  const cpuUsPerRequest = (((await server.cpuMs()) - cpuBefore) * 1000) / requests;
  const loaded = await server.memory();
  return {
    readyS: server.readyMs / 1000,
    startCpuS: startCpuMs / 1000,
    readyMiB: ready.rssMiB,
    loadedMiB: loaded.rssMiB,
    peakMiB: loaded.peakMiB,
    cpuUsPerRequest,
  };
}

/** One table line of figures. */
export function formatRow(label: string, namespaces: number, objects: number, r: ServerFigures): string {
  return (
    `${label.padEnd(14)}  ${String(namespaces).padStart(10)}  ${String(objects).padStart(7)}  ` +
    `${r.readyS.toFixed(1).padStart(7)}  ${r.startCpuS.toFixed(1).padStart(11)}  ${r.readyMiB.toFixed(0).padStart(9)}  ` +
    `${r.loadedMiB.toFixed(0).padStart(10)}  ${r.peakMiB.toFixed(0).padStart(8)}  ${r.cpuUsPerRequest.toFixed(0).padStart(10)}\n`
  );
}

/** The header of formatRow's table. */
export const TABLE_HEADER =
  'server          namespaces  objects   ready s  start cpu s  RSS ready  RSS loaded  RSS peak  cpu µs/req\n';
