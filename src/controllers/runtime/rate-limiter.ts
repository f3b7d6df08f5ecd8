/** A token bucket pacing requests that may wait (Events): a burst at once, then a steady rate. */
export interface RateLimiter {
  /** Takes a token when one is there. */
  take(): boolean;
  /**
   * Milliseconds until `count` more tokens will have come in behind those promised to earlier
   * callers, so work that waits comes back in turn instead of all at once.
   */
  reserve(count: number): number;
}

/** The pace of a rate limiter. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** Creates a full token bucket. */
export function createRateLimiter(
  limit: RateLimit,
  now: () => number = () => performance.now(),
): RateLimiter {
  const intervalMs = 1000 / limit.perSecond;
  let tokens = limit.burst;
  let refilledAt = now();
  let promisedUntil = Number.NEGATIVE_INFINITY;

  function refill(): number {
    const at = now();
    tokens = Math.min(limit.burst, tokens + (at - refilledAt) / intervalMs);
    refilledAt = at;
    return at;
  }

  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    reserve(count) {
      const at = refill();
      const first = Math.max(at + Math.max(0, 1 - tokens) * intervalMs, promisedUntil + intervalMs);
      promisedUntil = first + Math.max(0, count - 1) * intervalMs;
      return Math.ceil(promisedUntil - at);
    },
  };
}
