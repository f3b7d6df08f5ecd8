import { afterEach, describe, expect, it } from 'vitest';
import {
  startLeaseElector,
  toMicroTime,
  type LeaseElector,
} from '../../../src/controllers/runtime/lease-elector.js';
import { silentLogger } from '../../../src/adapters/kube/logger.js';
import { FakeKube, waitFor } from '../../adapters/kube/fake-kube.js';

const electors: LeaseElector[] = [];
afterEach(async () => {
  for (const elector of electors.splice(0)) await elector.stop();
});

function elect(kube: FakeKube, identity: string, now: () => number, events: string[] = []): LeaseElector {
  const elector = startLeaseElector({
    rest: kube,
    logger: silentLogger,
    namespace: 'ztgate-system',
    name: 'ztgate-leader',
    identity,
    leaseDurationSeconds: 15,
    renewIntervalMs: 20,
    now,
    onStartedLeading: () => events.push(`${identity} leads`),
    onStoppedLeading: () => events.push(`${identity} stops`),
  });
  electors.push(elector);
  return elector;
}

const holder = (kube: FakeKube) =>
  (
    kube.get('coordination.k8s.io/v1/leases', 'ztgate-system', 'ztgate-leader')?.['spec'] as {
      holderIdentity?: string | null;
    }
  )?.holderIdentity;

describe('toMicroTime', () => {
  it('writes six fractional digits, as Kubernetes MicroTime requires', () => {
    expect(toMicroTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe('2024-01-02T03:04:05.678000Z');
  });
});

describe('startLeaseElector', () => {
  it('creates the Lease and leads; a second replica follows while the lease is renewed', async () => {
    const kube = new FakeKube();
    const clock = { now: 0 };
    const events: string[] = [];
    const first = elect(kube, 'a', () => clock.now, events);
    await waitFor(() => first.isLeader());
    const second = elect(kube, 'b', () => clock.now, events);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([first.isLeader(), second.isLeader(), holder(kube)]).toEqual([true, false, 'a']);
    expect(events).toEqual(['a leads']);
  });

  it('lets a follower take over once the holder has not renewed for a lease duration (own clock)', async () => {
    const kube = new FakeKube();
    // A dead leader's lease: its renewTime is in the far future by our clock; only observation counts.
    kube.seed('coordination.k8s.io/v1/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ztgate-leader', namespace: 'ztgate-system' },
      spec: {
        holderIdentity: 'dead',
        leaseDurationSeconds: 15,
        renewTime: '2999-01-01T00:00:00.000000Z',
        leaseTransitions: 3,
      },
    });
    const clock = { now: 0 };
    const follower = elect(kube, 'b', () => clock.now);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(follower.isLeader()).toBe(false);
    clock.now = 14_000;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(follower.isLeader()).toBe(false);
    clock.now = 15_500;
    await waitFor(() => follower.isLeader(), 3000);
    const spec = kube.get('coordination.k8s.io/v1/leases', 'ztgate-system', 'ztgate-leader')?.['spec'];
    expect(spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 4 });
  });

  it('releases the lease on stop so a follower takes over at once', async () => {
    const kube = new FakeKube();
    const first = elect(kube, 'a', () => 0);
    await waitFor(() => first.isLeader());
    await first.stop();
    electors.splice(electors.indexOf(first), 1);
    expect(holder(kube)).toBeNull();
    const second = elect(kube, 'b', () => 0);
    await waitFor(() => second.isLeader());
  });

  it('stops leading when renewals fail past the lease duration', async () => {
    const kube = new FakeKube();
    const clock = { now: 0 };
    const events: string[] = [];
    const first = elect(kube, 'a', () => clock.now, events);
    await waitFor(() => first.isLeader());
    kube.failWith = 500;
    clock.now = 20_000;
    await waitFor(() => !first.isLeader());
    expect(events).toEqual(['a leads', 'a stops']);
    kube.failWith = undefined;
  });
});
