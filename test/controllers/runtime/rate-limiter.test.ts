import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../src/controllers/runtime/rate-limiter.js';

describe('createRateLimiter', () => {
  it('gives a burst at once, then one token per interval, never more than the burst saved up', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 10, burst: 3 }, () => now);
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now = 99;
    expect(limiter.take()).toBe(false);
    now = 100;
    expect([limiter.take(), limiter.take()]).toEqual([true, false]);
    now = 10_000;
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('promises later callers later times, in turn', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 10, burst: 1 }, () => now);
    expect(limiter.take()).toBe(true);
    // Empty: the first waiter's 2 posts go at 100 and 200 ms, the next one's 3 after those.
    expect(limiter.reserve(2)).toBe(200);
    expect(limiter.reserve(3)).toBe(500);
    now = 1_000;
    expect(limiter.reserve(1)).toBe(0);
  });
});
