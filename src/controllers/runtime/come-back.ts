/** Brings a work item back once the posts the rate limit held back for it may go. */
export interface ComeBacks {
  /** Schedules `key` again after the time `count` more posts need; a key already waiting is left as it is. */
  schedule(key: string, count: number): void;
  /** Schedules `key` again in `ms` (a post held back until a time); a key already waiting is left as it is. */
  scheduleIn(key: string, ms: number): void;
  /** How many keys are waiting. */
  pending(): number;
  stop(): void;
}

/**
 * One pending come-back per key. Every pass over a namespace whose posts were held back used to
 * reserve its posts again and start another timer: under pod churn (a pass per change) the timers
 * and the reservations grew without bound, about one per pod created. The pass a come-back starts
 * reserves again for whatever is still held back then.
 */
export function createComeBacks(
  reserve: (count: number) => number,
  requeue: (key: string) => void,
): ComeBacks {
  const waiting = new Map<string, ReturnType<typeof setTimeout>>();
  const start = (key: string, ms: () => number): void => {
    if (waiting.has(key)) return;
    const timer = setTimeout(
      () => {
        waiting.delete(key);
        requeue(key);
      },
      Math.max(0, ms()),
    );
    timer.unref();
    waiting.set(key, timer);
  };
  return {
    schedule: (key, count) => start(key, () => reserve(count)),
    scheduleIn: (key, ms) => start(key, () => ms),
    pending: () => waiting.size,
    stop() {
      for (const timer of waiting.values()) clearTimeout(timer);
      waiting.clear();
    },
  };
}
