import { describe, expect, it } from 'vitest';
import { ObjectStore } from '../../../src/adapters/kube/object-store.js';

const object = (namespace: string | undefined, name: string, tag = '') => ({
  kind: 'ServiceAccount',
  metadata: { name, ...(namespace === undefined ? {} : { namespace }), labels: { tag } },
});

const names = (objects: Iterable<{ metadata?: { name?: string } }>) =>
  [...objects].map((o) => o.metadata?.name).sort();

describe('ObjectStore', () => {
  it('keeps one object per namespace and name, the latest write winning', () => {
    const store = new ObjectStore();
    store.set(object('a', 'web'));
    store.set(object('a', 'web', 'new'));
    store.set(object('b', 'web'));
    store.set(object(undefined, 'ns-a'));
    expect(store.get('a', 'web')?.metadata?.labels).toEqual({ tag: 'new' });
    expect(names(store.values())).toEqual(['ns-a', 'web', 'web']);
    expect(names(store.in('a'))).toEqual(['web']);
    expect(names(store.in(''))).toEqual(['ns-a']);
    expect(names(store.in('absent'))).toEqual([]);
  });

  it('forgets deleted objects and empty namespaces', () => {
    const store = new ObjectStore();
    store.set(object('a', 'web'));
    store.set(object('a', 'db'));
    store.delete(object('a', 'web'));
    expect(names(store.in('a'))).toEqual(['db']);
    store.delete(object('a', 'db'));
    store.delete(object('never', 'there'));
    expect([...store.values()]).toEqual([]);
    expect(store.get('a', 'db')).toBeUndefined();
  });
});
