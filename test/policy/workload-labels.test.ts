import { describe, expect, it } from 'vitest';
import { readWorkload } from '../../src/policy/workload.js';
import type { KubeObject } from '../../src/policy/types.js';
import { controller, cronJob, deployment, pod } from './helpers.js';

// The API server validates labels of the object, of its pod template and of its selector before a
// webhook sees it (ValidateObjectMeta, ValidatePodTemplateSpec, ValidateLabelSelector); `ztgate
// check` must refuse the same objects, with the field path.
const errorsOf = (object: KubeObject) => (readWorkload(object)?.errors ?? []).map((error) => error.path);

describe('workload label syntax', () => {
  it.each([
    [
      'a Pod label key with a space',
      pod('web', { labels: { 'app name': 'web' } }),
      ['metadata.labels.app name'],
    ],
    [
      'a Deployment template label value of 64 characters',
      deployment('web', { labels: { app: 'x'.repeat(64) } }),
      ['spec.template.metadata.labels.app', 'spec.selector.matchLabels.app'],
    ],
    [
      'a Deployment selector expression with a bad value',
      {
        ...deployment('web'),
        spec: {
          selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a b'] }] },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } },
        },
      },
      ['spec.selector.matchExpressions[0].values[0]'],
    ],
    [
      'a CronJob template label',
      cronJob('web', { labels: { '-bad': 'x' } }),
      ['spec.jobTemplate.spec.template.metadata.labels.-bad'],
    ],
    [
      'a ReplicationController selector (a label map)',
      controller('ReplicationController', 'v1', 'web', { labels: { 'a/b/c': 'x' } }),
      ['spec.template.metadata.labels.a/b/c', 'spec.selector.a/b/c'],
    ],
    [
      'an object label that is a number (YAML `version: 1`)',
      {
        ...deployment('web'),
        metadata: { name: 'web', namespace: 'shop', labels: { version: 1 as unknown as string } },
      },
      ['metadata.labels.version'],
    ],
  ])('refuses %s', (_name, object, paths) => {
    expect(errorsOf(object)).toEqual(paths);
  });

  it.each([
    ['a plain Deployment', deployment('web', { sa: 'web' })],
    [
      'qualified keys and empty values',
      deployment('web', { labels: { 'app.kubernetes.io/name': 'web', canary: '' } }),
    ],
    ['a Pod', pod('web')],
  ])('reads %s', (_name, object) => {
    expect(readWorkload(object)?.workload).toBeDefined();
  });
});
