/**
 * The event-loop stall probe, run as its own process so the fuzzer's work (building 3 MiB
 * bodies) never delays it: GET /healthz every 20 ms over one keep-alive HTTPS connection, and
 * report every answer slower than the threshold with its start time. Started by run.ts with
 * `--port`, `--ca` and `--threshold`; reports over IPC.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';

/** One slow /healthz answer. */
export interface Stall {
  /** performance.timeOrigin-based ms when the probe was sent. */
  readonly at: number;
  readonly ms: number;
}

/** What the probe reports when asked to stop. */
export interface ProbeReport {
  readonly probes: number;
  readonly stalls: readonly Stall[];
  readonly maxMs: number;
  readonly failures: number;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    ca: { type: 'string' },
    threshold: { type: 'string', default: '100' },
    interval: { type: 'string', default: '20' },
  },
});
const port = Number(values.port);
const threshold = Number(values.threshold);
const interval = Number(values.interval);
const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(String(values.ca), 'utf8') });
const stalls: Stall[] = [];
let probes = 0;
let failures = 0;
let maxMs = 0;
let running = true;

function probe(): Promise<void> {
  const sent = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => {
        const ms = performance.now() - sent;
        probes += 1;
        maxMs = Math.max(maxMs, ms);
        if (ms > threshold) stalls.push({ at: performance.timeOrigin + sent, ms });
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      failures += 1;
      stalls.push({ at: performance.timeOrigin + sent, ms: performance.now() - sent });
      resolve();
    });
    req.end();
  });
}

async function loop(): Promise<void> {
  while (running) {
    const started = performance.now();
    await probe();
    const rest = interval - (performance.now() - started);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
}

process.on('message', (message: unknown) => {
  if (message === 'report') {
    process.send?.({ probes, stalls: stalls.splice(0), maxMs, failures } satisfies ProbeReport);
    maxMs = 0;
  }
  if (message === 'stop') {
    running = false;
    agent.destroy();
    process.disconnect?.();
  }
});
void loop();
