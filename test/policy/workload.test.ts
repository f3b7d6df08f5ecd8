import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/policy/types.js';
import { isWorkloadObject, readWorkload, toWorkload } from '../../src/policy/workload.js';
import { controller, cronJob, deployment, pod } from './helpers.js';

describe('toWorkload: every kind reads its pod template from the right place', () => {
  it.each([
    { kind: 'Pod', object: pod('web', { sa: 'web' }), templatePath: '' },
    { kind: 'Deployment', object: deployment('web', { sa: 'web' }), templatePath: 'spec.template' },
    {
      kind: 'StatefulSet',
      object: controller('StatefulSet', 'apps/v1', 'web', { sa: 'web' }),
      templatePath: 'spec.template',
    },
    {
      kind: 'DaemonSet',
      object: controller('DaemonSet', 'apps/v1', 'web', { sa: 'web' }),
      templatePath: 'spec.template',
    },
    {
      kind: 'ReplicaSet',
      object: controller('ReplicaSet', 'apps/v1', 'web', { sa: 'web' }),
      templatePath: 'spec.template',
    },
    {
      kind: 'Job',
      object: controller('Job', 'batch/v1', 'web', { sa: 'web' }),
      templatePath: 'spec.template',
    },
    {
      kind: 'CronJob',
      object: cronJob('web', { sa: 'web' }),
      templatePath: 'spec.jobTemplate.spec.template',
    },
    {
      kind: 'ReplicationController',
      object: controller('ReplicationController', 'v1', 'web', { sa: 'web' }),
      templatePath: 'spec.template',
    },
  ])('$kind', ({ kind, object, templatePath }) => {
    const workload = toWorkload(object);
    expect(workload).toMatchObject({
      kind,
      namespace: 'shop',
      name: 'web',
      templatePath,
      podLabels: { app: 'web' },
      serviceAccountName: 'web',
      serviceAccountField: 'serviceAccountName',
      controller: undefined,
    });
    expect(workload?.podSpec['serviceAccountName']).toBe('web');
  });
});

describe('toWorkload: identity and ownership', () => {
  it('reads the deprecated serviceAccount field and names it', () => {
    const object = pod('web');
    const withDeprecated = { ...object, spec: { ...(object['spec'] as object), serviceAccount: 'old' } };
    expect(toWorkload(withDeprecated)).toMatchObject({
      serviceAccountName: 'old',
      serviceAccountField: 'serviceAccount',
    });
  });

  it('leaves the ServiceAccount undefined when none is set', () => {
    expect(toWorkload(deployment('web'))).toMatchObject({
      serviceAccountName: undefined,
      serviceAccountField: undefined,
    });
  });

  it('reads the controller owner reference as a claim, with apiVersion, uid and index', () => {
    const object = pod('web-abc-123', { owner: { kind: 'ReplicaSet', name: 'web-abc' } });
    expect(toWorkload(object)?.controller).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web-abc',
      uid: 'uid-replicaset-web-abc',
      index: 0,
    });
  });

  it('ignores owner references that are not the controller', () => {
    const object = pod('web');
    const meta = {
      ...object.metadata,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: 'u', controller: false },
      ],
    };
    expect(toWorkload({ ...object, metadata: meta })?.controller).toBeUndefined();
  });

  it('uses the fallback namespace when metadata has none, and generateName when there is no name', () => {
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'web-' },
      spec: {},
    };
    expect(toWorkload(object, 'default')).toMatchObject({ namespace: 'default', name: 'web-' });
  });
});

describe('isWorkloadObject', () => {
  it.each([
    ['apps/v1', 'Deployment', true],
    ['extensions/v1beta1', 'Deployment', true],
    ['batch/v1beta1', 'CronJob', true],
    ['v1', 'ConfigMap', false],
    ['example.com/v1', 'Deployment', false],
    ['apps/v1', 'Pod', false],
  ])('%s %s → %s', (apiVersion, kind, expected) => {
    expect(isWorkloadObject({ apiVersion, kind })).toBe(expected);
  });
});

describe('readWorkload: malformed workloads are errors, never skipped', () => {
  it.each([
    {
      name: 'no name',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'shop' }, spec: {} },
      errors: [{ path: 'metadata.name', message: 'the object has no metadata.name' }],
    },
    {
      name: 'no namespace and no fallback',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
      errors: [{ path: 'metadata.namespace', message: 'the object has no namespace' }],
    },
    {
      name: 'pod spec not an object',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 's' }, spec: 'x' },
      errors: [{ path: 'spec', message: 'the pod spec is not an object' }],
    },
    {
      name: 'no template',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: 's' },
        spec: {},
      },
      errors: [{ path: 'spec.template', message: 'spec.template is not an object' }],
    },
    {
      name: 'CronJob without jobTemplate',
      object: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 's' }, spec: {} },
      errors: [
        {
          path: 'spec.jobTemplate.spec.template',
          message: 'spec.jobTemplate.spec.template is not an object',
        },
      ],
    },
    {
      name: 'serviceAccountName not a string',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 's' },
        spec: { serviceAccountName: 7 },
      },
      errors: [{ path: 'spec.serviceAccountName', message: 'serviceAccountName is not a string' }],
    },
    {
      name: 'ownerReferences not a list (the API server cannot decode it)',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 's', ownerReferences: 'x' },
        spec: {},
      },
      errors: [
        {
          path: 'metadata.ownerReferences',
          message: 'metadata.ownerReferences is a string ("x"), not a list',
        },
      ],
    },
    {
      name: 'two controllers',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'p',
          namespace: 's',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'b', uid: '2', controller: true },
          ],
        },
        spec: {},
      },
      errors: [
        {
          path: 'metadata.ownerReferences',
          message: 'only one owner reference may set controller: true; found ReplicaSet/a and Deployment/b',
        },
      ],
    },
    {
      name: 'hostNetwork as a string',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: 's' },
        spec: { template: { spec: { hostNetwork: 'true' } } },
      },
      errors: [
        {
          path: 'spec.template.spec.hostNetwork',
          message: 'hostNetwork is a string ("true"), not a boolean',
        },
      ],
    },
  ])('$name', ({ object, errors }) => {
    expect(readWorkload(object as KubeObject)).toEqual({ errors });
  });

  it('returns undefined for kinds that are not workloads', () => {
    expect(
      readWorkload({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } }),
    ).toBeUndefined();
  });
});
