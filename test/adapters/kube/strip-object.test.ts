import { describe, expect, it } from 'vitest';
import { REPORT_DIGEST_FIELD, reportDigest } from '../../../src/adapters/kube/report-digest.js';
import { stripObject } from '../../../src/adapters/kube/strip-object.js';

const metadata = {
  name: 'web',
  namespace: 'shop',
  labels: { app: 'web' },
  annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}', note: 'kept' },
  managedFields: [{ manager: 'kubectl' }],
};
const podSpec = {
  serviceAccountName: 'web',
  containers: [
    {
      name: 'app',
      image: 'web:1',
      env: [
        { name: 'PASSWORD', value: 'hunter2' },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      ],
    },
  ],
  initContainers: [{ name: 'init', image: 'init:1' }],
};
const strippedSpec = {
  serviceAccountName: 'web',
  containers: [{ name: 'app', image: 'web:1', env: [{ name: 'PASSWORD' }, { name: 'TOKEN' }] }],
  initContainers: [{ name: 'init', image: 'init:1' }],
};
const strippedMeta = {
  name: 'web',
  namespace: 'shop',
  labels: { app: 'web' },
  annotations: { note: 'kept' },
};

describe('stripObject', () => {
  it('strips a pod: managedFields, last-applied, status and env values go; apiVersion and kind are stamped', () => {
    expect(stripObject({ metadata, spec: podSpec, status: { phase: 'Running' } }, 'v1', 'Pod')).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: strippedMeta,
      spec: strippedSpec,
    });
  });

  it.each([
    [
      'Deployment',
      'apps/v1',
      { replicas: 2, template: { metadata, spec: podSpec } },
      { replicas: 2, template: { metadata: strippedMeta, spec: strippedSpec } },
    ],
    [
      'CronJob',
      'batch/v1',
      { schedule: '* * * * *', jobTemplate: { spec: { template: { metadata, spec: podSpec } } } },
      {
        schedule: '* * * * *',
        jobTemplate: { spec: { template: { metadata: strippedMeta, spec: strippedSpec } } },
      },
    ],
  ])('strips the pod template of a %s', (kind, apiVersion, spec, expected) => {
    expect(stripObject({ metadata, spec }, apiVersion, kind)['spec']).toEqual(expected);
  });

  it('keeps a namespace phase (a terminating namespace is skipped by the reconciler) and nothing else of status', () => {
    expect(
      stripObject(
        { metadata: { name: 'a' }, status: { phase: 'Terminating', conditions: [] } },
        'v1',
        'Namespace',
      ),
    ).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'a' },
      status: { phase: 'Terminating' },
    });
  });

  it('leaves a policy spec as it is', () => {
    const spec = { podSelector: {}, policyTypes: ['Ingress'] };
    expect(
      stripObject({ metadata: { name: 'p', namespace: 'a' }, spec }, 'networking.k8s.io/v1', 'NetworkPolicy')[
        'spec'
      ],
    ).toEqual(spec);
  });
});

describe('stripObject on JSON that carries a __proto__ key', () => {
  // JSON.parse makes "__proto__" a plain property, as the API server, Istio and Cilium read it. A
  // copy that set it as a key would give the stored object a prototype of the author's choosing:
  // fields ztgate reads (an AuthorizationPolicy's rules, a pod's hostNetwork) that nothing else sees.
  const body = (inner: string) =>
    JSON.parse(
      `{"metadata": {"name": "p", "namespace": "shop"}, "spec": ${inner}, "__proto__": {"status": "hidden"}}`,
    ) as Record<string, unknown>;

  it.each([
    [
      'an Istio AuthorizationPolicy (spec kept as is)',
      'security.istio.io/v1',
      'AuthorizationPolicy',
      '{"template": {}, "__proto__": {"rules": [{}]}}',
    ],
    [
      'a Deployment (spec and template copied)',
      'apps/v1',
      'Deployment',
      '{"template": {"spec": {"hostNetwork": false, "__proto__": {"hostPID": true}}}, "__proto__": {"paused": true}}',
    ],
  ])('keeps __proto__ a plain property of %s, never a prototype', (_name, apiVersion, kind, inner) => {
    const stripped = stripObject(body(inner), apiVersion, kind) as Record<string, unknown>;
    const objects: unknown[] = [stripped, stripped['spec']];
    const template = (stripped['spec'] as Record<string, unknown>)['template'] as Record<string, unknown>;
    objects.push(template, template['spec']);
    for (const object of objects.filter((value) => value !== undefined)) {
      expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    }
    expect(Object.hasOwn(stripped, '__proto__')).toBe(true);
    expect(stripped['status']).toBeUndefined();
    expect((stripped['spec'] as Record<string, unknown>)['rules']).toBeUndefined();
    expect((stripped['spec'] as Record<string, unknown>)['paused']).toBeUndefined();
    expect((template['spec'] as Record<string, unknown> | undefined)?.['hostPID']).toBeUndefined();
  });
});

describe('stripObject on a CRD', () => {
  it('keeps group, names, served versions and conditions, and drops the schema', () => {
    const crd = {
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', kind: 'Widget' },
        versions: [
          { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
        ],
      },
      status: { conditions: [{ type: 'Established', status: 'True' }], acceptedNames: { plural: 'widgets' } },
    };
    expect(stripObject(crd, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition')).toEqual({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', kind: 'Widget' },
        versions: [{ name: 'v1', served: true }],
      },
      status: { conditions: [{ type: 'Established', status: 'True' }] },
    });
  });
});

describe('stripObject on a policy report', () => {
  it('keeps metadata and summary, and the digest of the results in their place', () => {
    const results = [{ policy: 'ztgate', rule: 'r', result: 'fail', timestamp: { seconds: 1, nanos: 0 } }];
    const report = {
      metadata: { ...metadata, name: 'ztgate-audit' },
      scope: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' },
      summary: { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 },
      results,
    };
    const stripped = stripObject(report, 'wgpolicyk8s.io/v1alpha2', 'PolicyReport');
    expect(stripped).toEqual({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { ...strippedMeta, name: 'ztgate-audit' },
      summary: report.summary,
      [REPORT_DIGEST_FIELD]: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // The cached digest is the digest of the full report: the cache compares like a live read.
    const full = { ...report, apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport' };
    expect(reportDigest(stripped)).toBe(reportDigest(full));
    expect(
      reportDigest(stripObject({ ...report, results: [] }, 'wgpolicyk8s.io/v1alpha2', 'PolicyReport')),
    ).not.toBe(reportDigest(stripped));
  });
});
