import { describe, expect, it } from 'vitest';
import { lastCallMemo } from '../../src/policy/last-memo.js';

/** A memo over a computation that counts its calls and answers with fresh objects. */
function counted() {
  const calls: [object, object][] = [];
  const memo = lastCallMemo((key: object, dependency: object) => {
    calls.push([key, dependency]);
    return { key, dependency };
  });
  return { memo, calls };
}

describe('lastCallMemo', () => {
  it('computes once for repeated asks with the same key and dependency', () => {
    const { memo, calls } = counted();
    const key = {};
    const view = {};
    const first = memo(key, view);
    expect(memo(key, view)).toBe(first);
    expect(calls).toHaveLength(1);
  });

  it('recomputes for the same key against another dependency (a new view revision reads its own)', () => {
    const { memo, calls } = counted();
    const key = {};
    const oldView = {};
    const newView = {};
    const old = memo(key, oldView);
    const fresh = memo(key, newView);
    expect(fresh).not.toBe(old);
    expect(fresh.dependency).toBe(newView);
    // And back: the old view's answer is recomputed, never the newer one's handed out.
    expect(memo(key, oldView).dependency).toBe(oldView);
    expect(calls).toHaveLength(3);
  });

  it('recomputes for another key with the same dependency', () => {
    const { memo, calls } = counted();
    const view = {};
    const a = {};
    const b = {};
    expect(memo(a, view).key).toBe(a);
    expect(memo(b, view).key).toBe(b);
    expect(memo(a, view).key).toBe(a);
    expect(calls).toHaveLength(3);
  });

  it('keeps nothing from a computation that threw', () => {
    let fail = true;
    const memo = lastCallMemo((key: object, dependency: object) => {
      if (fail) throw new Error('boom');
      return { key, dependency };
    });
    const key = {};
    const view = {};
    expect(() => memo(key, view)).toThrow('boom');
    fail = false;
    expect(memo(key, view).key).toBe(key);
  });
});
