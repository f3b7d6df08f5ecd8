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
