/** The runner's handle on the forked load driver: send a job, await its result. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from './driver-protocol.js';

/** A running driver process. */
export interface DriverClient {
  run(job: Omit<LoadJob, 'id'>): Promise<LoadResult>;
  close(): void;
}

/** Forks test/bench/driver.ts (through tsx) and keeps it for the whole run. */
export function startDriver(): DriverClient {
  // The bench runs from source through tsx, so the driver is forked the same way.
  const child = fork(fileURLToPath(new URL('./driver.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();
  child.on('message', (message: LoadResult) => {
    pending.get(message.id)?.resolve(message);
    pending.delete(message.id);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load driver exited with ${code}`));
    pending.clear();
  });
  return {
    run(job) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...job, id });
      });
    },
    close() {
      if (child.connected) child.send('exit');
    },
  };
}
