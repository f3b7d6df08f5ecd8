import { afterEach, describe, expect, it, vi } from 'vitest';
import { createComeBacks } from '../../../src/controllers/runtime/come-back.js';
import { createRateLimiter } from '../../../src/controllers/runtime/rate-limiter.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('come-backs for posts the rate limit held back', () => {
  it('keeps one pending come-back per namespace however often its pass is held back', () => {
    // Under pod churn a namespace is judged on every change; each pass whose Events the limit
    // held back used to reserve them again and start another timer: 20 pods/s piled up timers
    // (3,207 in 150 s in bench:cluster) and pushed the reservations ever further out.
    vi.useFakeTimers();
    let clock = 0;
    const limiter = createRateLimiter({ perSecond: 10, burst: 1 }, () => clock);
    const reserve = vi.fn((count: number) => limiter.reserve(count));
    const requeued: string[] = [];
    const comeBacks = createComeBacks(reserve, (key) => requeued.push(key));
    for (let pass = 0; pass < 1000; pass++) {
      comeBacks.schedule('shop', 5);
      clock += 1;
    }
    comeBacks.schedule('cart', 5);
    expect([reserve.mock.calls.length, comeBacks.pending(), vi.getTimerCount()]).toEqual([2, 2, 2]);
    // 5 posts at 10/s for shop, 5 more queued behind them for cart: both come back, once each.
    vi.advanceTimersByTime(1100);
    expect(requeued).toEqual(['shop', 'cart']);
    expect(comeBacks.pending()).toBe(0);
    // Still held back on that pass: it waits again.
    comeBacks.schedule('shop', 1);
    expect(comeBacks.pending()).toBe(1);
    comeBacks.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('brings a namespace back at a time (a post held until then), once, beside the rate-limit ones', () => {
    vi.useFakeTimers();
    const requeued: string[] = [];
    const comeBacks = createComeBacks(
      () => 10_000,
      (key) => requeued.push(key),
    );
    comeBacks.scheduleIn('shop', 1000);
    comeBacks.scheduleIn('shop', 200); // already waiting: left as it is
    comeBacks.scheduleIn('late', -5); // a time already past: at once
    comeBacks.schedule('cart', 1); // the rate limit's own delay
    expect(comeBacks.pending()).toBe(3);
    vi.advanceTimersByTime(0);
    expect(requeued).toEqual(['late']);
    vi.advanceTimersByTime(999);
    expect(requeued).toEqual(['late']);
    vi.advanceTimersByTime(1);
    expect(requeued).toEqual(['late', 'shop']);
    vi.advanceTimersByTime(10_000);
    expect(requeued).toEqual(['late', 'shop', 'cart']);
    expect(comeBacks.pending()).toBe(0);
  });
});
