import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { evaluate } from '../../src/policy/engine.js';
import type { EvaluationInput, KubeObject, UserInfo } from '../../src/policy/types.js';
import {
  controller,
  cronJob,
  defaultDeny,
  deployment,
  meshNamespace,
  peerAuthentication,
  pod,
  policy,
  serviceAccount,
  viewOf,
} from './helpers.js';

// ztgate judges what a change brings in. The deployment controller scales an old ReplicaSet down
// with an UPDATE of spec.replicas; the garbage collector adds and removes finalizers; HPAs and
// `kubectl scale` set replicas; a CronJob is suspended with spec.suspend. None of them touch the
// pod template, and the pods they lead to are judged when created. Refusing them because the
// template was non-compliant before stalls the very rollout that fixes it.

const controllerUser: UserInfo = {
  username: 'system:serviceaccount:kube-system:deployment-controller',
  groups: ['system:serviceaccounts', 'system:authenticated'],
};

// The old ReplicaSet of a Deployment whose ServiceAccount was just fixed: its template still runs
// as `default` (a controller copies the template once, when it creates the ReplicaSet).
const oldReplicaSet = (): KubeObject => {
  const rs = controller('ReplicaSet', 'apps/v1', 'legacy-68998d5bdf', {
    owner: { kind: 'Deployment', name: 'legacy' },
  });
  return { ...rs, spec: { ...(rs['spec'] as object), replicas: 2 } };
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests edit JSON documents in place
type Doc = Record<string, any>;

function withChange(object: KubeObject, change: (copy: Doc) => void): KubeObject {
  const copy = structuredClone(object) as Doc;
  change(copy);
  return copy as KubeObject;
}

// The namespace is ready for the default mesh (enrolled, STRICT), so only the rules at issue speak.
const view = viewOf(
  [
    meshNamespace('shop'),
    peerAuthentication('strict'),
    serviceAccount('legacy'),
    deployment('legacy', { sa: 'legacy' }),
    oldReplicaSet(),
  ],
  [defaultDeny(), policy({ name: 'legacy', matchLabels: { app: 'legacy' } })],
);

function judge(
  oldObject: KubeObject | undefined,
  object: KubeObject,
  operation: EvaluationInput['operation'] = 'UPDATE',
) {
  return evaluate({ operation, object, oldObject, user: controllerUser }, view, DEFAULT_CONFIG);
}

describe('an UPDATE that changes nothing ztgate judges', () => {
  it.each<[string, KubeObject, (copy: Doc) => void]>([
    [
      'the deployment controller scales the old ReplicaSet to 0',
      oldReplicaSet(),
      (c) => (c.spec.replicas = 0),
    ],
    [
      'the garbage collector adds foregroundDeletion',
      oldReplicaSet(),
      (c) => (c.metadata.finalizers = ['foregroundDeletion']),
    ],
    [
      'kubectl annotate on the workload itself',
      oldReplicaSet(),
      (c) => (c.metadata.annotations = { note: 'x' }),
    ],
    [
      'kubectl label on the workload itself',
      deployment('old', { sa: 'default' }),
      (c) => (c.metadata.labels = { team: 'a' }),
    ],
    ['a CronJob suspended', cronJob('nightly'), (c) => (c.spec.suspend = true)],
    ['a Pod gets a finalizer', pod('loose'), (c) => (c.metadata.finalizers = ['example.com/hold'])],
  ])('%s: admitted, its standing findings returned as warnings', (_, before, change) => {
    const decision = judge(before, withChange(before, change));
    expect(decision.allowed).toBe(true);
    expect(decision.mode).toBe('enforce');
    expect(decision.violations.map((v) => v.rule)).toContain('dedicated-service-account');
    expect(decision.warnings.length).toBe(decision.violations.length);
  });
});

describe('an UPDATE that changes what ztgate judges is judged in full', () => {
  it.each<[string, KubeObject, (copy: Doc) => void]>([
    [
      'a template change (new image)',
      oldReplicaSet(),
      (c) => (c.spec.template.spec.containers[0].image = 'app:2'),
    ],
    [
      'a template label change',
      deployment('old', { sa: 'default' }),
      (c) => (c.spec.template.metadata.labels.tier = 'x'),
    ],
    [
      'a template annotation',
      deployment('old', { sa: 'default' }),
      (c) => (c.spec.template.metadata.annotations = { a: 'b' }),
    ],
    ['an owner claim added', oldReplicaSet(), (c) => (c.metadata.ownerReferences[0].name = 'other')],
    ['an owner claim removed', oldReplicaSet(), (c) => delete c.metadata.ownerReferences],
    [
      'a Pod relabelled (policies select pods by label)',
      pod('loose'),
      (c) => (c.metadata.labels = { app: 'other' }),
    ],
    [
      'a Pod annotated (meshes read pod annotations)',
      pod('loose'),
      (c) => (c.metadata.annotations = { a: 'b' }),
    ],
    [
      'a CronJob template change',
      cronJob('nightly'),
      (c) => (c.spec.jobTemplate.spec.template.spec.containers[0].image = 'x:2'),
    ],
  ])('%s: refused', (_, before, change) => {
    const decision = judge(before, withChange(before, change));
    expect(decision.allowed).toBe(false);
    expect(decision.warnings).toEqual([]);
  });

  it('an UPDATE without its old object is judged in full (fail closed)', () => {
    expect(
      judge(
        undefined,
        withChange(oldReplicaSet(), (c) => (c.spec.replicas = 0)),
      ).allowed,
    ).toBe(false);
  });

  it('an old object of another name or kind does not vouch for the new one', () => {
    const renamed = withChange(oldReplicaSet(), (c) => (c.metadata.name = 'other'));
    expect(judge(renamed, oldReplicaSet()).allowed).toBe(false);
    const asDeployment = { ...oldReplicaSet(), kind: 'Deployment' };
    expect(judge(asDeployment, oldReplicaSet()).allowed).toBe(false);
  });

  it('a CREATE is always judged in full, whatever oldObject a request carries', () => {
    expect(judge(oldReplicaSet(), oldReplicaSet(), 'CREATE').allowed).toBe(false);
  });

  it('a compliant workload stays a plain allow (no warnings) on any update', () => {
    const fixed = deployment('legacy', { sa: 'legacy' });
    const decision = judge(
      fixed,
      withChange(fixed, (c) => (c.spec.replicas = 3)),
    );
    expect(decision.allowed).toBe(true);
    expect(decision.violations).toEqual([]);
    expect(decision.warnings).toEqual([]);
  });
});
