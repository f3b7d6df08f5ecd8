import { describe, expect, it } from 'vitest';
import { resolveOwnership } from '../../../src/policy/cluster-view.js';
import { dedicatedServiceAccount } from '../../../src/policy/rules/dedicated-service-account.js';
import { ownerOf, ownershipOf } from '../../../src/policy/rules/ownership-of.js';
import type { Workload } from '../../../src/policy/types.js';
import { toWorkload } from '../../../src/policy/workload.js';
import { controller, deployment, pod, serviceAccount, viewOf } from '../helpers.js';
import { workloadContext } from './context.js';

// The rules share one resolution of the owner chain per decision (ownership-of.ts): a stale one
// would judge a pod by another view's ReplicaSet, or another pod's owner.
const rs = controller('ReplicaSet', 'apps/v1', 'web-5d4f8', {
  sa: 'web',
  owner: { kind: 'Deployment', name: 'web' },
});
const web = deployment('web', { sa: 'web' });
const podOfRs = pod('web-5d4f8-x', { sa: 'web', owner: { kind: 'ReplicaSet', name: 'web-5d4f8' } });

function workloadOf(object: Parameters<typeof toWorkload>[0]): Workload {
  const workload = toWorkload(object);
  if (workload === undefined) throw new Error('not a workload');
  return workload;
}

describe('ownershipOf', () => {
  it('answers what resolveOwnership answers, for each view in turn', () => {
    const known = viewOf([web, rs, podOfRs]);
    const unknown = viewOf([podOfRs]);
    const workload = workloadOf(podOfRs);
    const asked = [known, unknown, known, unknown].map((view) => ownerOf(workload, view));
    expect(asked).toEqual([
      { kind: 'Deployment', namespace: 'shop', name: 'web' },
      { kind: 'Pod', namespace: 'shop', name: 'web-5d4f8-x' },
      { kind: 'Deployment', namespace: 'shop', name: 'web' },
      { kind: 'Pod', namespace: 'shop', name: 'web-5d4f8-x' },
    ]);
    for (const view of [known, unknown]) {
      expect(ownershipOf(workload, view)).toEqual(resolveOwnership(view, workload));
    }
  });

  it('answers each workload for itself against one view', () => {
    const view = viewOf([web, rs]);
    const owned = workloadOf(podOfRs);
    const alone = workloadOf(pod('solo', { sa: 'solo' }));
    expect([owned, alone, owned].map((workload) => ownerOf(workload, view).name)).toEqual([
      'web',
      'solo',
      'web',
    ]);
  });

  it('reaches the rules: the same pod is a sharer in one view and its ReplicaSet’s own in the other', () => {
    const other = deployment('other', { sa: 'web' });
    const owned = viewOf([serviceAccount('web'), web, rs, podOfRs, other]);
    const orphaned = viewOf([serviceAccount('web'), web, podOfRs, other]);
    const sharers = (view: ReturnType<typeof viewOf>) =>
      dedicatedServiceAccount
        .check(workloadContext(podOfRs, view))
        .map((violation) => violation.message.includes('Deployment shop/other'));
    expect([owned, orphaned, owned].map(sharers)).toEqual([[true], [true], [true]]);
    // The ReplicaSet's Deployment is no sharer when the chain resolves, a sharer when it does not.
    const namesWeb = (view: ReturnType<typeof viewOf>) =>
      dedicatedServiceAccount
        .check(workloadContext(podOfRs, view))
        .some((violation) => violation.message.includes('Deployment shop/web'));
    expect([owned, orphaned, owned].map(namesWeb)).toEqual([false, true, false]);
  });
});
