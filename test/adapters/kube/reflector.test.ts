import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../src/adapters/kube/kube-rest.js';
import { silentLogger } from '../../../src/adapters/kube/logger.js';
import {
  createReflector,
  type Reflector,
  type ReflectorChange,
} from '../../../src/adapters/kube/reflector.js';
import { CORE_RESOURCES } from '../../../src/adapters/kube/resources.js';
import { FakeKube, waitFor } from './fake-kube.js';

const serviceAccounts = CORE_RESOURCES.find((spec) => spec.plural === 'serviceaccounts')!;
const sa = (namespace: string, name: string) => ({ metadata: { name, namespace, managedFields: [{}] } });
const names = (reflector: Reflector) =>
  [...reflector.objects()].map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort();

let running: Reflector | undefined;
afterEach(() => running?.stop());

function start(kube: FakeKube, changes: ReflectorChange['type'][] = [], now?: () => number): Reflector {
  running = createReflector({
    rest: kube,
    spec: serviceAccounts,
    logger: silentLogger,
    onChange: (change) => changes.push(change.type),
    backoff: { initialMs: 5, maxMs: 20 },
    now,
  });
  running.start();
  return running;
}

describe('createReflector', () => {
  it('lists, stamps apiVersion/kind, strips, then follows watch events', async () => {
    const kube = new FakeKube();
    kube.seed('v1/serviceaccounts', sa('a', 'one'));
    const changes: ReflectorChange['type'][] = [];
    const reflector = start(kube, changes);
    await waitFor(() => reflector.synced() && kube.watcherCount() === 1);
    expect(reflector.get('a', 'one')).toMatchObject({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'one' },
    });
    expect(reflector.get('a', 'one')?.metadata?.['managedFields']).toBeUndefined();
    kube.seed('v1/serviceaccounts', sa('b', 'two'));
    kube.remove('v1/serviceaccounts', 'a', 'one');
    expect(names(reflector)).toEqual(['b/two']);
    expect(changes).toEqual(['RELISTED', 'ADDED', 'DELETED']);
  });

  it('relists after a broken watch, with what changed meanwhile, and reports the break until then', async () => {
    const kube = new FakeKube();
    let clock = 1000;
    const reflector = start(kube, [], () => clock);
    await waitFor(() => kube.watcherCount() === 1);
    kube.failWith = 500;
    kube.breakWatches();
    await waitFor(() => reflector.brokenSince() !== undefined);
    expect(reflector.brokenSince()).toBe(1000);
    clock = 5000;
    kube.failWith = undefined;
    kube.seed('v1/serviceaccounts', sa('a', 'missed'));
    await waitFor(() => reflector.brokenSince() === undefined && kube.watcherCount() === 1);
    expect(names(reflector)).toEqual(['a/missed']);
  });

  it('relists at once on 410 Gone without reporting a break', async () => {
    const kube = new FakeKube();
    const reflector = start(kube);
    await waitFor(() => kube.watcherCount() === 1);
    const lists = () => kube.calls.filter((call) => call.method === 'GET').length;
    expect(lists()).toBe(1);
    kube.breakWatches(new KubeApiError(410, 'too old resource version'));
    await waitFor(() => lists() === 2 && kube.watcherCount() === 1);
    expect(reflector.brokenSince()).toBeUndefined();
  });

  it('stops watching when stopped', async () => {
    const kube = new FakeKube();
    const reflector = start(kube);
    await waitFor(() => kube.watcherCount() === 1);
    reflector.stop();
    expect(kube.watcherCount()).toBe(0);
  });
});
