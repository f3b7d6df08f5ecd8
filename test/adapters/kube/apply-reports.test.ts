import { describe, expect, it } from 'vitest';
import { applyReports } from '../../../src/adapters/kube/apply-reports.js';
import { listClusterObjects, type ListProgress } from '../../../src/adapters/kube/list-cluster.js';
import { FakeKube } from './fake-kube.js';

const reports = [
  {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: { name: 'ztgate-audit', namespace: 'shop' },
    results: [],
  },
  {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'ClusterPolicyReport',
    metadata: { name: 'ztgate-audit' },
    results: [],
  },
];

describe('applyReports', () => {
  it('writes nothing and names the missing kinds when the CRDs are absent', async () => {
    const kube = new FakeKube();
    expect(await applyReports(kube, reports)).toEqual({
      crdsMissing: ['PolicyReport', 'ClusterPolicyReport'],
      created: 0,
      replaced: 0,
      unchanged: 0,
    });
    expect(kube.writes()).toEqual([]);
  });

  it('creates the reports, leaves an unchanged one alone, and replaces a changed one (current resourceVersion)', async () => {
    const kube = new FakeKube();
    kube.served.add('wgpolicyk8s.io/v1alpha2/policyreports');
    kube.served.add('wgpolicyk8s.io/v1alpha2/clusterpolicyreports');
    expect(await applyReports(kube, reports)).toEqual({
      crdsMissing: [],
      created: 2,
      replaced: 0,
      unchanged: 0,
    });
    expect(await applyReports(kube, reports)).toEqual({
      crdsMissing: [],
      created: 0,
      replaced: 0,
      unchanged: 2,
    });
    const result = { policy: 'ztgate', rule: 'r', result: 'fail', timestamp: { seconds: 9, nanos: 0 } };
    const changed = [{ ...reports[0]!, results: [result] }, reports[1]!];
    expect(await applyReports(kube, changed)).toEqual({
      crdsMissing: [],
      created: 0,
      replaced: 1,
      unchanged: 1,
    });
    expect(kube.writes().map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports',
      'POST /apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports',
      'PUT /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/ztgate-audit',
    ]);
  });
});

describe('listClusterObjects', () => {
  it('lists every served resource once, stamped and stripped, reporting progress', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', { metadata: { name: 'shop' } });
    kube.seed('apps/v1/deployments', {
      metadata: { name: 'web', namespace: 'shop', managedFields: [{}] },
      spec: {},
    });
    const progress: ListProgress[] = [];
    const objects = await listClusterObjects(kube, (p) => progress.push(p));
    expect(
      objects.map((o) => [o.apiVersion, o.kind, o.metadata?.name, o.metadata?.['managedFields']]),
    ).toEqual([
      ['v1', 'Namespace', 'shop', undefined],
      ['apps/v1', 'Deployment', 'web', undefined],
    ]);
    expect(progress.at(0)).toEqual({ done: 0, total: 11, resource: 'namespaces' });
    expect(progress.at(-1)).toEqual({ done: 11, total: 11, resource: '' });
  });

  it('fails when the API server refuses', async () => {
    const kube = new FakeKube();
    kube.failWith = 403;
    await expect(listClusterObjects(kube)).rejects.toMatchObject({ statusCode: 403 });
  });
});
