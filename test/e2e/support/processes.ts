/**
 * Process and network helpers for the e2e suite: free loopback ports, child processes with their
 * output in a log file, and waiting for an HTTPS endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';

/** A child process whose stdout and stderr go to `logFile`. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited (immediately if it already has). */
  readonly exited: Promise<void>;
}

const live = new Set<ChildProcess>();
// A crashed test run must not leave an API server behind on the machine.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function findFreePort(): Promise<number> {
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

/** Starts `command` with `args`, logging to `logFile`. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): ManagedProcess {
  const log = createWriteStream(logFile);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    const done = (): void => {
      live.delete(child);
      log.end();
      resolve();
    };
    if (child.exitCode !== null) done();
    child.once('exit', done);
    child.once('error', (error) => {
      log.write(`spawn error: ${error.message}\n`);
      done();
    });
  });
  return { name, child, logFile, exited };
}

/** Whether the process is still running. */
export function isRunning(proc: ManagedProcess): boolean {
  return proc.child.exitCode === null && proc.child.signalCode === null && live.has(proc.child);
}

/** Sends SIGTERM, then SIGKILL after `graceMs`, and waits for the exit. */
export async function stopProcess(proc: ManagedProcess, graceMs = 10_000): Promise<void> {
  if (!isRunning(proc)) return proc.exited;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** The last `lines` lines of a process log, for error messages. */
export function tailLog(proc: ManagedProcess, lines = 30): string {
  try {
    return readFileSync(proc.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Response of an HTTPS GET against a test server. */
export interface HttpsResult {
  readonly status: number;
  readonly body: string;
}

/** GETs `url` trusting `ca`, with an optional bearer token. */
export async function httpsGet(url: string, ca: string, token?: string): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const req = request(url, { ca, headers, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` every `intervalMs` until it returns true; throws `describe()` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
