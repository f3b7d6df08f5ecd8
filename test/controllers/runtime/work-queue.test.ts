import { afterEach, describe, expect, it } from 'vitest';
import { createWorkQueue, type WorkQueue } from '../../../src/controllers/runtime/work-queue.js';
import { waitFor } from '../../adapters/kube/fake-kube.js';
import { pause } from '../support.js';

const queues: WorkQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
});

function queueOf(process: (key: string) => Promise<void>, retries: [string, number][] = []): WorkQueue {
  const queue = createWorkQueue({
    process,
    backoff: { initialMs: 20, maxMs: 80 },
    onRetry: (key, _error, retryInMs) => retries.push([key, retryInMs]),
  });
  queues.push(queue);
  return queue;
}

describe('createWorkQueue', () => {
  it('handles nothing while paused, a key queued twice once, and prompt keys before bulk ones', async () => {
    const seen: string[] = [];
    const queue = queueOf(async (key) => void seen.push(key));
    queue.addBulk(['a', 'b', 'c']);
    queue.add('c');
    queue.add('z');
    queue.addBulk(['z', 'a']);
    await pause(20);
    expect([seen, queue.size()]).toEqual([[], 4]);
    queue.resume();
    await waitFor(() => queue.size() === 0 && seen.length === 4);
    expect(seen).toEqual(['c', 'z', 'a', 'b']);
  });

  it('lets a watch event overtake a long resync backlog', async () => {
    const seen: string[] = [];
    const queue = queueOf(async (key) => {
      seen.push(key);
      await pause(2);
    });
    queue.resume();
    queue.addBulk(Array.from({ length: 50 }, (_, index) => `bulk-${index}`));
    await pause(10);
    queue.add('relabelled');
    await waitFor(() => seen.includes('relabelled'));
    expect(seen.indexOf('relabelled')).toBeLessThan(20);
  });

  it('retries a failing key with a growing backoff, and resets it after a success', async () => {
    const retries: [string, number][] = [];
    let failures = 3;
    const seen: string[] = [];
    const queue = queueOf(async (key) => {
      seen.push(key);
      if (key === 'bad' && failures-- > 0) throw new Error('API server said 500');
    }, retries);
    queue.resume();
    queue.add('bad');
    queue.add('good');
    await waitFor(() => seen.filter((key) => key === 'bad').length === 4);
    expect(retries.map(([key]) => key)).toEqual(['bad', 'bad', 'bad']);
    const delays = retries.map(([, ms]) => ms);
    // 20, 40, 80 ms (+ up to 20% jitter), capped at maxMs.
    expect(delays.map((ms, index) => ms >= 20 * 2 ** index && ms <= 20 * 2 ** index * 1.2)).toEqual([
      true,
      true,
      true,
    ]);
    failures = 1;
    queue.add('bad');
    await waitFor(() => retries.length === 4);
    expect(retries[3]![1]).toBeLessThanOrEqual(24);
  });

  it('stops between keys when paused and drops queued keys and pending retries when closed', async () => {
    const seen: string[] = [];
    const queue = queueOf(async (key) => {
      seen.push(key);
      await pause(5);
      if (key === 'x') throw new Error('fails');
    });
    queue.resume();
    queue.addBulk(['x', 'a', 'b', 'c']);
    await waitFor(() => seen.length >= 1);
    await queue.pause();
    const handled = seen.length;
    await pause(60);
    expect(seen.length).toBe(handled);
    await queue.close();
    queue.resume();
    await pause(100);
    expect([seen.length, queue.size()]).toEqual([handled, 0]);
  });
});
