/**
 * Starts a server under test (ztgate or the ceiling) as its own process on a free loopback port,
 * times spawn → first `/readyz` 200, reads its RSS from /proc, and stops it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createAgent, send } from './https-client.js';

/**
 * NODE_OPTIONS of both servers under test (ztgate and the ceiling alike, so the comparison stays
 * fair), the same as the Dockerfile and manifests/deployment.yaml give ztgate in production;
 * ZTGATE_BENCH_NODE_OPTIONS overrides it to try another setting.
 */
export const SERVER_NODE_OPTIONS = process.env['ZTGATE_BENCH_NODE_OPTIONS'] ?? '--max-semi-space-size=32';

/** How to launch a server: argv after `node`, and where its output goes. */
export interface ServerSpec {
  readonly label: string;
  /** Node arguments; `{port}` is replaced with the chosen port. */
  readonly args: readonly string[];
  readonly logFile: string;
  readonly caFile: string;
  readonly readyTimeoutMs: number;
}

/** Memory of a process, from /proc/<pid>/status. */
export interface MemoryFigures {
  /** Resident set size now (VmRSS), MiB. */
  readonly rssMiB: number;
  /** Peak resident set size (VmHWM), MiB. */
  readonly peakMiB: number;
}

/** A started server. */
export interface RunningServer {
  readonly port: number;
  readonly pid: number;
  readonly readyMs: number;
  memory(): Promise<MemoryFigures>;
  /** CPU time (user + system) the process has used so far, ms. */
  cpuMs(): Promise<number>;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-1500).trim();
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitReady(
  child: ChildProcess,
  port: number,
  spec: ServerSpec,
  started: number,
): Promise<number> {
  const agent = createAgent(readFileSync(spec.caFile, 'utf8'), 1);
  try {
    while (performance.now() - started < spec.readyTimeoutMs) {
      if (child.exitCode !== null)
        throw new Error(`${spec.label} exited with ${child.exitCode}: ${tail(spec.logFile)}`);
      const status = await send(agent, port, 'GET', '/readyz', undefined, 1000).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${spec.label} not ready after ${spec.readyTimeoutMs} ms: ${tail(spec.logFile)}`);
  } finally {
    agent.destroy();
  }
}

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream build. */
const TICKS_PER_SECOND = 100;

/** A process's CPU time so far (user + system), from /proc/<pid>/stat, in ms (10 ms resolution). */
export async function readCpuMs(pid: number): Promise<number> {
  // Fields after the parenthesized command name; utime and stime are the 12th and 13th of them.
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

async function readMemory(pid: number): Promise<MemoryFigures> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** Spawns the server and resolves once `/readyz` answers 200; kills it and rejects if it does not. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const port = await freePort();
  const out = openSync(spec.logFile, 'w');
  const args = spec.args.map((a) => a.replaceAll('{port}', String(port)));
  const started = performance.now();
  const env = { ...process.env, NODE_OPTIONS: SERVER_NODE_OPTIONS };
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, out], env });
  closeSync(out);
  const stop = async (): Promise<number | null> => {
    const done = exited(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await done;
    clearTimeout(timer);
    return code;
  };
  try {
    const readyMs = await waitReady(child, port, spec, started);
    const pid = child.pid ?? 0;
    return { port, pid, readyMs, memory: () => readMemory(pid), cpuMs: () => readCpuMs(pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
