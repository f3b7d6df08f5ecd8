/** Options of a keyed work queue. */
export interface WorkQueueOptions {
  /** Handles one key; a rejection retries the key after a per-key exponential backoff. */
  readonly process: (key: string) => Promise<void>;
  readonly onRetry?: (key: string, error: unknown, retryInMs: number) => void;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** A work queue keyed by namespace: a key queued twice is handled once. */
export interface WorkQueue {
  /** Queues a key ahead of bulk work: a watch event must not wait behind a resync of every namespace. */
  add(key: string): void;
  /** Queues keys behind the prompt ones (a resync, a relist). */
  addBulk(keys: Iterable<string>): void;
  /** Starts handling keys (this replica leads). */
  resume(): void;
  /** Stops taking new keys; queued keys stay queued. Resolves when the key in hand is done. */
  pause(): Promise<void>;
  /** Pauses, forgets the queue and cancels pending retries. */
  close(): Promise<void>;
  /** Keys queued and not yet handled. */
  size(): number;
}

/** Resolves after pending I/O callbacks have run: the event loop's turn. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Creates a paused work queue. */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 250, maxMs: 30_000 };
  const prompt = new Set<string>();
  const bulk = new Set<string>();
  const failures = new Map<string, number>();
  const retries = new Set<ReturnType<typeof setTimeout>>();
  let running = false;
  let draining: Promise<void> | undefined;

  function next(): string | undefined {
    for (const set of [prompt, bulk]) {
      const key = set.values().next();
      if (!key.done) {
        prompt.delete(key.value);
        bulk.delete(key.value);
        return key.value;
      }
    }
    return undefined;
  }

  function retryLater(key: string, error: unknown): void {
    const attempt = (failures.get(key) ?? 0) + 1;
    failures.set(key, attempt);
    const delay = Math.min(initialMs * 2 ** (attempt - 1), maxMs);
    const retryInMs = delay + Math.floor(Math.random() * delay * 0.2);
    options.onRetry?.(key, error, retryInMs);
    const timer = setTimeout(() => {
      retries.delete(timer);
      add(key);
    }, retryInMs);
    timer.unref();
    retries.add(timer);
  }

  async function drain(): Promise<void> {
    for (let key = next(); running && key !== undefined; key = running ? next() : undefined) {
      try {
        await options.process(key);
        failures.delete(key);
      } catch (error) {
        retryLater(key, error);
      }
      // A key that needed no I/O ran in microtasks alone: without a turn of the event loop between
      // keys, a pass over every namespace would hold admission requests until it ended.
      await nextTurn();
    }
  }

  function kick(): void {
    if (!running || draining !== undefined) return;
    // A key added while the loop was finishing is picked up by the next round.
    draining = drain().finally(() => {
      draining = undefined;
      if (running && prompt.size + bulk.size > 0) kick();
    });
  }

  function add(key: string): void {
    bulk.delete(key);
    prompt.add(key);
    kick();
  }

  return {
    add,
    addBulk(keys) {
      for (const key of keys) if (!prompt.has(key)) bulk.add(key);
      kick();
    },
    resume() {
      running = true;
      kick();
    },
    async pause() {
      running = false;
      await draining;
    },
    async close() {
      running = false;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      prompt.clear();
      bulk.clear();
      failures.clear();
      await draining;
    },
    size: () => prompt.size + bulk.size,
  };
}
