import { describe, expect, it } from 'vitest';
import {
  describeClaimDefect,
  findClaimDefect,
  readOwnerReferences,
  type ClaimDefect,
} from '../../src/policy/ownership.js';
import {
  WORKLOAD_KINDS,
  type ControllerClaim,
  type WorkloadKind,
  type WorkloadRef,
} from '../../src/policy/types.js';

const reference = (overrides: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'web-5d4f8',
  uid: 'uid-1',
  controller: true,
  ...overrides,
});

describe('readOwnerReferences: the list as ObjectMeta validation reads it', () => {
  it.each([
    { name: 'no ownerReferences', metadata: {}, claim: undefined },
    { name: 'ownerReferences: null', metadata: { ownerReferences: null }, claim: undefined },
    { name: 'an empty list', metadata: { ownerReferences: [] }, claim: undefined },
    {
      name: 'only non-controller references (a garbage-collection owner is not a controller)',
      metadata: { ownerReferences: [reference({ controller: false }), reference({ controller: null })] },
      claim: undefined,
    },
    {
      name: 'one controller after a plain owner',
      metadata: { ownerReferences: [reference({ controller: false, name: 'x' }), reference()] },
      claim: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8', uid: 'uid-1', index: 1 },
    },
    {
      name: 'the core group written "v1" (ReplicationController)',
      metadata: { ownerReferences: [reference({ apiVersion: 'v1', kind: 'ReplicationController' })] },
      claim: { apiVersion: 'v1', kind: 'ReplicationController', name: 'web-5d4f8', uid: 'uid-1', index: 0 },
    },
  ])('$name', ({ metadata, claim }) => {
    expect(readOwnerReferences(metadata)).toEqual({ claim, errors: [] });
  });

  // Each is refused by the API server: a decode error for a wrong JSON type, ObjectMeta validation
  // (apimachinery validateOwnerReference / ValidateOwnerReferences) for the rest.
  it.each([
    { name: 'a string', refs: 'Deployment/api', paths: ['metadata.ownerReferences'] },
    { name: 'an object', refs: { kind: 'Deployment' }, paths: ['metadata.ownerReferences'] },
    { name: 'a number', refs: 7, paths: ['metadata.ownerReferences'] },
    { name: 'a null entry', refs: [null], paths: ['metadata.ownerReferences[0]'] },
    { name: 'a string entry', refs: [reference(), 'x'], paths: ['metadata.ownerReferences[1]'] },
    { name: 'no uid', refs: [reference({ uid: undefined })], paths: ['metadata.ownerReferences[0].uid'] },
    { name: 'an empty name', refs: [reference({ name: '' })], paths: ['metadata.ownerReferences[0].name'] },
    { name: 'a numeric uid', refs: [reference({ uid: 42 })], paths: ['metadata.ownerReferences[0].uid'] },
    { name: 'no kind', refs: [reference({ kind: undefined })], paths: ['metadata.ownerReferences[0].kind'] },
    {
      name: 'controller as a string',
      refs: [reference({ controller: 'true' })],
      paths: ['metadata.ownerReferences[0].controller'],
    },
    {
      name: 'blockOwnerDeletion as a number',
      refs: [reference({ blockOwnerDeletion: 1 })],
      paths: ['metadata.ownerReferences[0].blockOwnerDeletion'],
    },
    {
      name: 'an apiVersion without a version',
      refs: [reference({ apiVersion: 'apps/' })],
      paths: ['metadata.ownerReferences[0].apiVersion'],
    },
    {
      name: 'an apiVersion with two slashes',
      refs: [reference({ apiVersion: 'apps/v1/x' })],
      paths: ['metadata.ownerReferences[0].apiVersion'],
    },
    {
      name: 'a v1 Event as owner (BannedOwners)',
      refs: [reference({ apiVersion: 'v1', kind: 'Event' })],
      paths: ['metadata.ownerReferences[0]'],
    },
    {
      name: 'two controllers ("Only one reference can have Controller set to true")',
      refs: [reference(), reference({ kind: 'Deployment', name: 'api' })],
      paths: ['metadata.ownerReferences'],
    },
  ])('invalid: $name', ({ refs, paths }) => {
    const reading = readOwnerReferences({ ownerReferences: refs });
    expect(reading.claim).toBeUndefined();
    expect(reading.errors.map((error) => error.path)).toEqual(paths);
  });
});

/**
 * The reference model, written from kube-controller-manager rather than from ownership.ts: which
 * controller creates which kind, and the API group its controller references carry.
 * - pkg/controller/deployment: a Deployment creates ReplicaSets (apps/v1), never Pods;
 * - pkg/controller/replicaset: a ReplicaSet creates Pods; the ReplicationController manager is the
 *   same code with the core v1 kind;
 * - pkg/controller/statefulset, pkg/controller/daemon: Pods, apps/v1;
 * - pkg/controller/job: Pods, batch/v1;
 * - pkg/controller/cronjob: Jobs (batch/v1beta1 in 1.20, batch/v1 from 1.21), never Pods.
 */
const CREATES: readonly (readonly [string, string, WorkloadKind])[] = [
  ['Deployment', 'apps', 'ReplicaSet'],
  ['ReplicaSet', 'apps', 'Pod'],
  ['ReplicationController', '', 'Pod'],
  ['StatefulSet', 'apps', 'Pod'],
  ['DaemonSet', 'apps', 'Pod'],
  ['Job', 'batch', 'Pod'],
  ['CronJob', 'batch', 'Job'],
];

const API_VERSIONS = ['v1', 'apps/v1', 'batch/v1', 'batch/v1beta1', 'extensions/v1beta1', 'example.com/v1'];
const CLAIM_KINDS = [...WORKLOAD_KINDS, 'TaskRun'];
const group = (apiVersion: string): string =>
  apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';

function ownerRef(kind: string, uid: string, serviceAccountName: string | undefined): WorkloadRef {
  const namespace = 'shop';
  return {
    kind: kind as WorkloadKind,
    namespace,
    name: 'o',
    uid,
    owner: { kind, namespace, name: 'o' },
    serviceAccountName,
  };
}

describe('findClaimDefect against the controller facts, every kind × claim', () => {
  it('counts a claim exactly when the model says the claimed kind creates the child, in its group, with its uid and ServiceAccount', () => {
    let cases = 0;
    for (const child of WORKLOAD_KINDS) {
      for (const claimKind of CLAIM_KINDS) {
        for (const apiVersion of API_VERSIONS) {
          for (const present of [true, false]) {
            for (const sameUid of [true, false]) {
              for (const [childSa, ownerSa] of [
                ['web', 'web'],
                ['web', 'api'],
                [undefined, undefined],
                [undefined, 'default'],
              ] as const) {
                const claim: ControllerClaim = {
                  apiVersion,
                  kind: claimKind,
                  name: 'o',
                  uid: 'u-1',
                  index: 0,
                };
                const owner = present ? ownerRef(claimKind, sameUid ? 'u-1' : 'u-2', ownerSa) : undefined;
                const counts =
                  CREATES.some(([k, g, c]) => k === claimKind && g === group(apiVersion) && c === child) &&
                  present &&
                  sameUid &&
                  (childSa ?? 'default') === (ownerSa ?? 'default');
                const defect = findClaimDefect({ kind: child, serviceAccountName: childSa }, claim, owner);
                // The case travels with the verdict, so a failure names it.
                const facts = { child, claimKind, apiVersion, present, sameUid, childSa, ownerSa };
                expect({ ...facts, counts: defect === undefined }).toEqual({ ...facts, counts });
                cases += 1;
              }
            }
          }
        }
      }
    }
    expect(cases).toBe(WORKLOAD_KINDS.length * CLAIM_KINDS.length * API_VERSIONS.length * 2 * 2 * 4);
  });

  it.each<[string, WorkloadKind, Partial<ControllerClaim>, WorkloadRef | undefined, ClaimDefect]>([
    [
      'a Pod claiming a Deployment',
      'Pod',
      { kind: 'Deployment' },
      ownerRef('Deployment', 'u-1', 'web'),
      'kind',
    ],
    [
      'a Pod claiming a CronJob',
      'Pod',
      { kind: 'CronJob', apiVersion: 'batch/v1' },
      ownerRef('CronJob', 'u-1', 'web'),
      'kind',
    ],
    [
      'a ReplicaSet of extensions/v1beta1',
      'Pod',
      { apiVersion: 'extensions/v1beta1' },
      ownerRef('ReplicaSet', 'u-1', 'web'),
      'group',
    ],
    [
      'a ReplicaSet of a look-alike CRD group',
      'Pod',
      { apiVersion: 'example.com/v1' },
      ownerRef('ReplicaSet', 'u-1', 'web'),
      'group',
    ],
    ['a ReplicaSet the view lacks', 'Pod', {}, undefined, 'missing'],
    ['another uid', 'Pod', { uid: 'u-9' }, ownerRef('ReplicaSet', 'u-1', 'web'), 'uid'],
    [
      'an owner without uid (a hand-written state file)',
      'Pod',
      {},
      { ...ownerRef('ReplicaSet', 'u-1', 'web'), uid: undefined },
      'uid',
    ],
    ['another ServiceAccount', 'Pod', {}, ownerRef('ReplicaSet', 'u-1', 'api'), 'service-account'],
  ])('%s: %s', (_name, child, overrides, owner, defect) => {
    const claim: ControllerClaim = { ...reference(), index: 0, uid: 'u-1', ...overrides } as ControllerClaim;
    expect(findClaimDefect({ kind: child, serviceAccountName: 'web' }, claim, owner)).toBe(defect);
  });
});

describe('describeClaimDefect: the fact behind each refusal', () => {
  const child = { kind: 'Pod' as const, namespace: 'shop', serviceAccountName: 'api' };
  const claim = (kind: string, apiVersion = 'apps/v1'): ControllerClaim => ({
    apiVersion,
    kind,
    name: 'api',
    uid: 'u-1',
    index: 0,
  });
  it.each([
    ['kind', claim('Deployment'), ['a Deployment never owns Pods', 'creates ReplicaSets']],
    ['kind', claim('CronJob', 'batch/v1'), ['a CronJob never owns Pods', 'creates Jobs']],
    ['group', claim('ReplicaSet', 'extensions/v1beta1'), ['"extensions/v1beta1"', 'API group apps']],
    ['missing', claim('ReplicaSet'), ['ReplicaSet shop/api does not exist']],
    [
      'uid',
      claim('ReplicaSet'),
      ['uid u-1 is not the uid of ReplicaSet shop/api (u-2)', 'garbage collector'],
    ],
    ['service-account', claim('ReplicaSet'), ['runs as ServiceAccount web, not api']],
  ] as const)('%s', (defect, claimed, fragments) => {
    const text = describeClaimDefect(defect, child, claimed, ownerRef('ReplicaSet', 'u-2', 'web'));
    for (const fragment of fragments) expect(text).toContain(fragment);
  });
});
