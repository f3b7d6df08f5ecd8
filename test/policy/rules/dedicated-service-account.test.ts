import { describe, expect, it } from 'vitest';
import { extendClusterView } from '../../../src/policy/cluster-view.js';
import { dedicatedServiceAccount } from '../../../src/policy/rules/dedicated-service-account.js';
import type { ClusterView, KubeObject } from '../../../src/policy/types.js';
import { controller, cronJob, deployment, pod, serviceAccount, viewOf } from '../helpers.js';
import { summarize, workloadContext } from './context.js';

const RULE = 'dedicated-service-account';
const DEPLOYMENT_PATH = 'spec.template.spec.serviceAccountName';
const rsOfWeb = controller('ReplicaSet', 'apps/v1', 'web-5d4f8', {
  sa: 'web',
  owner: { kind: 'Deployment', name: 'web' },
});
const podOfRs = pod('web-5d4f8-x', { sa: 'web', owner: { kind: 'ReplicaSet', name: 'web-5d4f8' } });

function check(object: KubeObject, view: ClusterView) {
  // Like `check -f`: the judged object is part of the view it is judged against.
  return summarize(dedicatedServiceAccount.check(workloadContext(object, extendClusterView(view, [object]))));
}

describe('dedicated-service-account: valid', () => {
  it.each([
    {
      name: 'own existing ServiceAccount',
      object: deployment('web', { sa: 'web' }),
      view: viewOf([serviceAccount('web')]),
    },
    { name: 'namespace ServiceAccounts unknown', object: deployment('web', { sa: 'web' }), view: viewOf([]) },
    {
      name: 'its own ReplicaSet and pods use it',
      object: deployment('web', { sa: 'web' }),
      view: viewOf([serviceAccount('web'), rsOfWeb, podOfRs]),
    },
    {
      name: 'an UPDATE of itself',
      object: deployment('web', { sa: 'web' }),
      view: viewOf([serviceAccount('web'), deployment('web', { sa: 'web' })]),
    },
    {
      name: 'a pod of a known ReplicaSet of the Deployment using it',
      object: podOfRs,
      view: viewOf([deployment('web', { sa: 'web' }), rsOfWeb]),
    },
    {
      name: 'same name in another namespace',
      object: deployment('web', { sa: 'web' }),
      view: viewOf([deployment('other', { sa: 'web', namespace: 'elsewhere' })]),
    },
  ])('$name', ({ object, view }) => {
    expect(check(object, view)).toEqual([]);
  });
});

describe('dedicated-service-account: invalid', () => {
  const missing = { kind: 'ServiceAccount', namespace: 'shop', name: 'ghost' };
  it.each([
    {
      name: 'no serviceAccountName',
      object: deployment('web'),
      view: viewOf([]),
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH }],
    },
    {
      name: 'the default ServiceAccount',
      object: deployment('web', { sa: 'default' }),
      view: viewOf([]),
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH }],
    },
    {
      name: 'a Pod with none',
      object: pod('p'),
      view: viewOf([]),
      expected: [{ rule: RULE, path: 'spec.serviceAccountName' }],
    },
    {
      name: 'missing from a known namespace',
      object: deployment('web', { sa: 'ghost' }),
      view: viewOf([serviceAccount('web')]),
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH, missing }],
    },
    {
      name: 'shared with another Deployment',
      object: deployment('web', { sa: 'web' }),
      view: viewOf([serviceAccount('web'), deployment('api', { sa: 'web' })]),
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH }],
    },
    {
      name: 'a CronJob sharing with a Deployment (path into the job template)',
      object: cronJob('backup', { sa: 'web' }),
      view: viewOf([serviceAccount('web'), deployment('web', { sa: 'web' })]),
      expected: [{ rule: RULE, path: 'spec.jobTemplate.spec.template.spec.serviceAccountName' }],
    },
    {
      name: 'a pod whose ReplicaSet is unknown, beside a Deployment using it (owner to confirm live)',
      object: podOfRs,
      view: viewOf([deployment('web', { sa: 'web' })]),
      expected: [
        {
          rule: RULE,
          path: 'spec.serviceAccountName',
          missing: { kind: 'Workload', workloadKind: 'ReplicaSet', namespace: 'shop', name: 'web-5d4f8' },
        },
      ],
    },
    {
      name: 'missing and shared at once',
      object: deployment('web', { sa: 'ghost' }),
      view: viewOf([serviceAccount('web'), deployment('api', { sa: 'ghost' })]),
      expected: [
        { rule: RULE, path: DEPLOYMENT_PATH, missing },
        { rule: RULE, path: DEPLOYMENT_PATH },
      ],
    },
  ])('$name', ({ object, view, expected }) => {
    expect(check(object, view)).toEqual(expected);
  });

  it('points at the deprecated serviceAccount field when that set it', () => {
    const object = deployment('web');
    const spec = object['spec'] as { template: { spec: Record<string, unknown> } };
    spec.template.spec['serviceAccount'] = 'default';
    expect(check(object, viewOf([]))).toEqual([{ rule: RULE, path: 'spec.template.spec.serviceAccount' }]);
  });

  it('names the sharers and suggests a ServiceAccount of its own', () => {
    const object = deployment('api', { sa: 'web' });
    const view = extendClusterView(
      viewOf([deployment('web', { sa: 'web' }), cronJob('backup', { sa: 'web' })]),
      [object],
    );
    const [violation] = dedicatedServiceAccount.check(workloadContext(object, view));
    expect(violation?.message).toBe(
      'ServiceAccount web is also used by Deployment shop/web, CronJob shop/backup; distinct workloads need distinct identities',
    );
    expect(violation?.fix).toContain('name: api');
  });

  it('tells a workload owning the shared name to move the others out', () => {
    const object = deployment('web', { sa: 'web' });
    const view = extendClusterView(viewOf([deployment('api', { sa: 'web' })]), [object]);
    const [violation] = dedicatedServiceAccount.check(workloadContext(object, view));
    expect(violation?.fix).toContain('named after this workload');
    expect(violation?.fix).toContain('name: api');
  });
});

/**
 * Identity theft through a forged owner (issue 12 §1): a workload that names another's controller
 * to borrow its ServiceAccount. The cluster: Deployment api (ServiceAccount api), the ReplicaSet
 * its controller made and a pod of that ReplicaSet, with the uids the API server gave them.
 */
describe('dedicated-service-account: owner claims must be real', () => {
  const api = deployment('api', { sa: 'api' });
  const apiRs = controller('ReplicaSet', 'apps/v1', 'api-7c9d', {
    sa: 'api',
    owner: { kind: 'Deployment', name: 'api' },
  });
  const apiPod = pod('api-7c9d-x1', { sa: 'api', owner: { kind: 'ReplicaSet', name: 'api-7c9d' } });
  const cluster = viewOf([
    serviceAccount('api'),
    serviceAccount('evil'),
    api,
    apiRs,
    apiPod,
    cronJob('nightly', { sa: 'api' }),
  ]);
  const cronOnly = viewOf([serviceAccount('api'), cronJob('nightly', { sa: 'api' })]);
  const apiOnly = viewOf([serviceAccount('api'), api, apiRs, apiPod]);

  type Owner = { kind: string; name: string; apiVersion?: string; uid?: string };
  const forgedPod = (owner: Owner, sa = 'api') => pod('evil', { sa, owner });
  const sharing = (missing?: unknown) => [
    { rule: RULE, path: 'spec.serviceAccountName', ...(missing === undefined ? {} : { missing }) },
  ];
  const confirm = (kind: string, name: string) => ({
    kind: 'Workload',
    workloadKind: kind,
    namespace: 'shop',
    name,
  });

  it.each([
    // The Deployment controller creates ReplicaSets; the ReplicaSet controller creates the Pods.
    {
      name: 'a Pod claiming the Deployment (with its real uid)',
      object: forgedPod({ kind: 'Deployment', name: 'api' }),
      view: cluster,
      expected: sharing(),
    },
    // The CronJob controller creates Jobs; the Job controller creates the Pods.
    {
      name: 'a Pod claiming a CronJob',
      object: forgedPod({ kind: 'CronJob', name: 'nightly' }),
      view: cronOnly,
      expected: sharing(),
    },
    // The garbage collector resolves an owner by uid: another uid names no existing object.
    {
      name: 'a Pod claiming the real ReplicaSet with another uid',
      object: forgedPod({ kind: 'ReplicaSet', name: 'api-7c9d', uid: 'made-up' }),
      view: cluster,
      expected: sharing(confirm('ReplicaSet', 'api-7c9d')),
    },
    {
      name: 'a Pod claiming a ReplicaSet that does not exist',
      object: forgedPod({ kind: 'ReplicaSet', name: 'api-0000' }),
      view: cluster,
      expected: sharing(confirm('ReplicaSet', 'api-0000')),
    },
    {
      name: 'a Pod claiming the ReplicaSet through a look-alike group (example.com/v1)',
      object: forgedPod({ kind: 'ReplicaSet', name: 'api-7c9d', apiVersion: 'example.com/v1' }),
      view: cluster,
      expected: sharing(),
    },
    {
      name: 'a Pod claiming the ReplicaSet as extensions/v1beta1 (no longer served; the controller writes apps/v1)',
      object: forgedPod({ kind: 'ReplicaSet', name: 'api-7c9d', apiVersion: 'extensions/v1beta1' }),
      view: cluster,
      expected: sharing(),
    },
    {
      name: 'a ReplicaSet claiming the Deployment with another uid',
      object: controller('ReplicaSet', 'apps/v1', 'evil-rs', {
        sa: 'api',
        owner: { kind: 'Deployment', name: 'api', uid: 'made-up' },
      }),
      view: cluster,
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH, missing: confirm('Deployment', 'api') }],
    },
    {
      name: 'a ReplicaSet claiming a StatefulSet (StatefulSets create Pods, not ReplicaSets)',
      object: controller('ReplicaSet', 'apps/v1', 'evil-rs', {
        sa: 'api',
        owner: { kind: 'StatefulSet', name: 'api' },
      }),
      view: viewOf([serviceAccount('api'), api, controller('StatefulSet', 'apps/v1', 'api', { sa: 'api' })]),
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH }],
    },
    {
      name: 'a Job claiming the Deployment',
      object: controller('Job', 'batch/v1', 'evil-job', {
        sa: 'api',
        owner: { kind: 'Deployment', name: 'api' },
      }),
      view: cluster,
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH }],
    },
    {
      name: 'a Deployment claiming another Deployment (nothing creates Deployments from a template)',
      object: deployment('evil', { sa: 'api', owner: { kind: 'Deployment', name: 'api' } }),
      view: cluster,
      expected: [{ rule: RULE, path: DEPLOYMENT_PATH }],
    },
  ])('refused: $name', ({ object, view, expected }) => {
    expect(check(object, view)).toEqual(expected);
  });

  it('a Pod claiming a real ReplicaSet whose template runs as another ServiceAccount is its own workload', () => {
    const webRs = controller('ReplicaSet', 'apps/v1', 'web-1', {
      sa: 'web',
      owner: { kind: 'Deployment', name: 'web' },
    });
    const view = viewOf([serviceAccount('api'), api, deployment('web', { sa: 'web' }), webRs]);
    const object = forgedPod({ kind: 'ReplicaSet', name: 'web-1' });
    expect(check(object, view)).toEqual(sharing(confirm('ReplicaSet', 'web-1')));
  });

  it('a Pod whose controller reference is not marked controller: true claims nothing', () => {
    const object = pod('evil', { sa: 'api' });
    const meta = object.metadata as Record<string, unknown>;
    meta['ownerReferences'] = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7c9d', uid: 'uid-replicaset-api-7c9d' },
    ];
    expect(check(object, cluster)).toEqual(sharing());
  });

  it('names the forged claim, why it does not count, and the fix removes it', () => {
    const object = forgedPod({ kind: 'Deployment', name: 'api' });
    const [violation] = dedicatedServiceAccount.check(
      workloadContext(object, extendClusterView(cluster, [object])),
    );
    expect(violation?.message).toBe(
      'ServiceAccount api is also used by Deployment shop/api, CronJob shop/nightly; distinct workloads need distinct identities. ' +
        'metadata.ownerReferences[0] names Deployment api as its controller, which does not count: a Deployment never owns Pods: ' +
        'Pods are created by ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController controllers (the Deployment controller ' +
        'creates ReplicaSets, and the ReplicaSets create the Pods); so this Pod is judged as a workload of its own',
    );
    expect(violation?.fix.split('\n')[0]).toBe(
      '# Remove metadata.ownerReferences[0] (Deployment api): only the controller that creates an object may name itself its owner.',
    );
    expect(violation?.fix).toContain('name: evil');
  });

  it('a forged pod already in the view is its own workload, so it is a sharer of the real one', () => {
    const forged = forgedPod({ kind: 'Deployment', name: 'api' });
    expect(check(api, viewOf([serviceAccount('api'), forged]))).toEqual([
      { rule: RULE, path: DEPLOYMENT_PATH },
    ]);
  });

  it.each([
    { name: "the Deployment's ReplicaSet", object: apiRs, view: viewOf([serviceAccount('api'), api]) },
    {
      name: "that ReplicaSet's pod",
      object: pod('api-7c9d-x2', { sa: 'api', owner: { kind: 'ReplicaSet', name: 'api-7c9d' } }),
      view: apiOnly,
    },
    {
      name: "a StatefulSet's pod",
      object: pod('db-0', { sa: 'db', owner: { kind: 'StatefulSet', name: 'db' } }),
      view: viewOf([
        controller('StatefulSet', 'apps/v1', 'db', { sa: 'db' }),
        pod('db-1', { sa: 'db', owner: { kind: 'StatefulSet', name: 'db' } }),
      ]),
    },
    {
      name: "a DaemonSet's pod",
      object: pod('agent-x', { sa: 'agent', owner: { kind: 'DaemonSet', name: 'agent' } }),
      view: viewOf([controller('DaemonSet', 'apps/v1', 'agent', { sa: 'agent' })]),
    },
    {
      name: "a ReplicationController's pod",
      object: pod('legacy-x', { sa: 'legacy', owner: { kind: 'ReplicationController', name: 'legacy' } }),
      view: viewOf([controller('ReplicationController', 'v1', 'legacy', { sa: 'legacy' })]),
    },
    {
      name: 'a Job created by its CronJob',
      object: controller('Job', 'batch/v1', 'nightly-2900', {
        sa: 'nightly',
        owner: { kind: 'CronJob', name: 'nightly' },
      }),
      view: viewOf([cronJob('nightly', { sa: 'nightly' })]),
    },
    {
      name: "that Job's pod",
      object: pod('nightly-2900-x', { sa: 'nightly', owner: { kind: 'Job', name: 'nightly-2900' } }),
      view: viewOf([
        cronJob('nightly', { sa: 'nightly' }),
        controller('Job', 'batch/v1', 'nightly-2900', {
          sa: 'nightly',
          owner: { kind: 'CronJob', name: 'nightly' },
        }),
        controller('Job', 'batch/v1', 'nightly-2800', {
          sa: 'nightly',
          owner: { kind: 'CronJob', name: 'nightly' },
        }),
      ]),
    },
    {
      name: 'a pod of a CronJob written as batch/v1beta1 (the 1.20 CronJob controller)',
      object: controller('Job', 'batch/v1', 'nightly-2900', {
        sa: 'nightly',
        owner: { kind: 'CronJob', name: 'nightly', apiVersion: 'batch/v1beta1' },
      }),
      view: viewOf([cronJob('nightly', { sa: 'nightly' })]),
    },
  ])('admitted: $name', ({ object, view }) => {
    expect(check(object, view)).toEqual([]);
  });

  it('a pod that arrives before the watch delivered its ReplicaSet: denied pending a live read, admitted once it confirms', () => {
    const early = pod('api-7c9d-x2', { sa: 'api', owner: { kind: 'ReplicaSet', name: 'api-7c9d' } });
    const watched = viewOf([serviceAccount('api'), api, apiPod]);
    expect(check(early, watched)).toEqual(sharing(confirm('ReplicaSet', 'api-7c9d')));
    // What confirmMissing adds: the ReplicaSet and its owner chain, read live.
    expect(check(early, extendClusterView(watched, [apiRs, api]))).toEqual([]);
  });

  it('…also when a sibling pod reached the view before the ReplicaSet did (its claim is re-checked, not lost)', () => {
    const early = pod('api-7c9d-x2', { sa: 'api', owner: { kind: 'ReplicaSet', name: 'api-7c9d' } });
    const watched = viewOf([serviceAccount('api'), api, apiPod]);
    expect(check(early, extendClusterView(watched, [apiRs]))).toEqual([]);
  });
});
