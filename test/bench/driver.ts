/**
 * The load driver, forked by the runner so load generation never shares a process (or an event
 * loop) with the server it measures. Open loop at a fixed rate: request i is due at
 * start + i/rate and its latency counts from that moment, so a server stall shows up in every
 * request that waited behind it (no coordinated omission). Closed loop: N requests in flight.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import type { BodyFile, LoadJob, LoadResult } from './driver-protocol.js';
import { createAgent, send } from './https-client.js';
import { checkResponse, createTally } from './response-check.js';
import { summarize } from './stats.js';

interface Prepared {
  readonly uid: string;
  readonly body: Buffer;
}

const bodyCache = new Map<string, readonly Prepared[]>();

function loadBodies(file: string): readonly Prepared[] {
  let bodies = bodyCache.get(file);
  if (bodies === undefined) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as BodyFile;
    bodies = parsed.bodies.map((b) => ({ uid: b.uid, body: Buffer.from(b.text) }));
    bodyCache.set(file, bodies);
  }
  return bodies;
}

/** Runs one job and reports its figures. */
async function runJob(job: LoadJob, agent: Agent): Promise<LoadResult> {
  const bodies = loadBodies(job.bodiesFile);
  const latencies: number[] = [];
  const tally = createTally();
  let sent = 0;
  const fire = async (scheduledAt: number): Promise<void> => {
    const item = bodies[sent++ % bodies.length] as Prepared;
    try {
      const response = await send(agent, job.port, 'POST', job.path, item.body);
      latencies.push(performance.now() - scheduledAt);
      checkResponse(tally, response, item.uid);
    } catch (error) {
      tally.note('errors', error instanceof Error ? error.message : String(error));
    }
  };
  const start = performance.now();
  const end = start + job.durationMs;
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  if (job.mode.kind === 'rate') {
    const interval = 1000 / job.mode.rate;
    let next = start;
    while (next < end) {
      const now = performance.now();
      while (next <= now && next < end) {
        track(fire(next));
        next += interval;
      }
      // Yield so responses are read: a timer when the next request is far off (saves the core the
      // server may need), setImmediate when it is close, to keep the schedule tight.
      const wait = next - performance.now();
      await new Promise((resolve) => (wait > 2 ? setTimeout(resolve, 1) : setImmediate(resolve)));
    }
  } else {
    const worker = async (): Promise<void> => {
      while (performance.now() < end) await fire(performance.now());
    };
    for (let i = 0; i < job.mode.concurrency; i++) track(worker());
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - start;
  return {
    id: job.id,
    sent,
    completed: latencies.length,
    elapsedMs,
    throughput: (latencies.length * 1000) / elapsedMs,
    latency: summarize(latencies),
    problems: tally.problems(),
    ...(tally.first === undefined ? {} : { firstProblem: tally.first }),
  };
}

const agents = new Map<string, Agent>();

process.on('message', (message: LoadJob | 'exit') => {
  if (message === 'exit') {
    for (const agent of agents.values()) agent.destroy();
    process.exit(0);
  }
  const key = `${message.port}:${message.maxSockets}:${message.caFile}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = createAgent(readFileSync(message.caFile, 'utf8'), message.maxSockets);
    agents.set(key, agent);
  }
  void runJob(message, agent).then((result) => process.send?.(result));
});
