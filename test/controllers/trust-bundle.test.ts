import { describe, expect, it } from 'vitest';
import type { ZtgateConfig } from '../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../support/builtin-config.js';
import { FakeKube, waitFor } from '../adapters/kube/fake-kube.js';
import { namespace, pause, start } from './support.js';
import type { ControllerWrite } from '../../src/controllers/index.js';

const CM = 'v1/configmaps';
const NP = 'networking.k8s.io/v1/networkpolicies';
const BUNDLE = 'ztgate-trust-bundle';
const PEM_A = '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n';
const PEM_B = '-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n';
const seedSource = (kube: FakeKube, pem = PEM_A) =>
  kube.seed(CM, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: BUNDLE, namespace: 'ztgate-system' },
    data: { 'ca.crt': pem },
  });
const copyData = (kube: FakeKube, ns: string) => kube.get(CM, ns, BUNDLE)?.['data'];
const bundleWrites = (writes: ControllerWrite[]) =>
  writes.filter((write) => write.kind === 'ConfigMap').map((write) => `${write.action} ${write.namespace}`);
const MISSING = 'trust bundle source ConfigMap is missing; injected pods cannot start until it exists';

describe('trust-bundle controller', () => {
  it('copies the source into every non-exempt, non-terminating namespace, and into a new one', async () => {
    const kube = new FakeKube();
    for (const ns of ['shop', 'kube-system', 'ztgate-system']) kube.seed('v1/namespaces', namespace(ns));
    kube.seed('v1/namespaces', namespace('leaving', {}, 'Terminating'));
    seedSource(kube);
    start(kube);
    await waitFor(() => copyData(kube, 'shop') !== undefined);
    kube.seed('v1/namespaces', namespace('new'));
    await waitFor(() => copyData(kube, 'new') !== undefined);
    expect(kube.get(CM, 'new', BUNDLE)).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'ztgate' } },
      data: { 'ca.crt': PEM_A },
    });
    expect([copyData(kube, 'kube-system'), copyData(kube, 'leaving')]).toEqual([undefined, undefined]);
    // The source itself is left as the admin wrote it: ztgate's namespace is exempt.
    expect(kube.get(CM, 'ztgate-system', BUNDLE)?.['metadata']).not.toHaveProperty('labels');
  });

  it('copies into audit namespaces (their pods are injected too) and never into exempt ones', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('legacy', { 'ztgate.dev/mode': 'audit' }));
    kube.seed('v1/namespaces', namespace('lab', { 'ztgate.dev/exempt': 'true' }));
    seedSource(kube);
    const audit: ZtgateConfig = { ...BUILTIN_CONFIG, mode: 'audit' };
    kube.seed('v1/namespaces', namespace('shop'));
    const { writes } = start(kube, { config: audit });
    await waitFor(() => bundleWrites(writes).length === 2);
    await pause(50);
    expect(bundleWrites(writes).sort()).toEqual(['create legacy', 'create shop']);
    expect([copyData(kube, 'lab'), kube.get(NP, 'shop', 'ztgate-default-deny')]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('re-creates a deleted copy, restores an edited one, and leaves identical ones alone', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    seedSource(kube);
    const { writes } = start(kube);
    await waitFor(() => bundleWrites(writes).length === 1);
    kube.remove(CM, 'shop', BUNDLE);
    await waitFor(() => bundleWrites(writes).length === 2);
    const current = kube.get(CM, 'shop', BUNDLE)!;
    await kube.request('PUT', `/api/v1/namespaces/shop/configmaps/${BUNDLE}`, {
      body: { ...current, data: { 'ca.crt': PEM_B, 'evil.crt': PEM_B } },
    });
    await waitFor(() => bundleWrites(writes).length === 3);
    await pause(100);
    expect(bundleWrites(writes)).toEqual(['create shop', 'create shop', 'replace shop']);
    expect(copyData(kube, 'shop')).toEqual({ 'ca.crt': PEM_A });
  });

  it('takes back a copy whose managed-by label was removed (the label watch reports it as deleted)', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    seedSource(kube);
    const { writes } = start(kube);
    await waitFor(() => copyData(kube, 'shop') !== undefined);
    const current = kube.get(CM, 'shop', BUNDLE)!;
    const metadata = { ...(current['metadata'] as object), labels: {} };
    await kube.request('PUT', `/api/v1/namespaces/shop/configmaps/${BUNDLE}`, {
      body: { ...current, metadata, data: { 'ca.crt': PEM_B } },
    });
    await waitFor(() => bundleWrites(writes).length === 2);
    expect(kube.get(CM, 'shop', BUNDLE)).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'ztgate' } },
      data: { 'ca.crt': PEM_A },
    });
  });

  it('updates every copy when the source changes', async () => {
    const kube = new FakeKube();
    for (const ns of ['shop', 'billing']) kube.seed('v1/namespaces', namespace(ns));
    seedSource(kube);
    const { writes } = start(kube);
    await waitFor(() => bundleWrites(writes).length === 2);
    seedSource(kube, PEM_B);
    await waitFor(() => bundleWrites(writes).length === 4);
    expect([copyData(kube, 'shop'), copyData(kube, 'billing')]).toEqual([
      { 'ca.crt': PEM_B },
      { 'ca.crt': PEM_B },
    ]);
    expect(bundleWrites(writes).slice(2).sort()).toEqual(['replace billing', 'replace shop']);
  });

  it('writes no copy while the source is absent, still writes the policies, and warns once per change', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    const { writes, warnings } = start(kube, { resyncIntervalMs: 30 });
    await waitFor(() => kube.get(NP, 'shop', 'ztgate-default-deny') !== undefined);
    kube.seed('v1/namespaces', namespace('new'));
    await waitFor(() => kube.get(NP, 'new', 'ztgate-allow-dns') !== undefined);
    await pause(150); // several resyncs
    expect([bundleWrites(writes), warnings()]).toEqual([[], [MISSING]]);
    seedSource(kube);
    await waitFor(() => bundleWrites(writes).length === 2);
    kube.remove(CM, 'ztgate-system', BUNDLE);
    await pause(150);
    // The copies stay (ztgate never deletes); the warning comes back once.
    expect([copyData(kube, 'shop'), warnings()]).toEqual([{ 'ca.crt': PEM_A }, [MISSING, MISSING]]);
  });

  it('lets only the leader write copies', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    seedSource(kube);
    const a = start(kube, { identity: 'a' });
    await waitFor(() => a.controllers.isLeader());
    const b = start(kube, { identity: 'b' });
    kube.seed('v1/namespaces', namespace('second'));
    await waitFor(() => copyData(kube, 'second') !== undefined);
    seedSource(kube, PEM_B);
    const updated = (ns: string) =>
      JSON.stringify(copyData(kube, ns)) === JSON.stringify({ 'ca.crt': PEM_B });
    await waitFor(() => updated('shop') && updated('second'));
    await pause(50);
    expect([b.controllers.isLeader(), b.writes, bundleWrites(a.writes).sort()]).toEqual([
      false,
      [],
      ['create second', 'create shop', 'replace second', 'replace shop'],
    ]);
  });

  it('copies the bundle even when an admin owns default deny (defaultDeny.create false)', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    seedSource(kube);
    const config = { ...BUILTIN_CONFIG, defaultDeny: { ...BUILTIN_CONFIG.defaultDeny, create: false } };
    const { writes } = start(kube, { config });
    await waitFor(() => copyData(kube, 'shop') !== undefined);
    await pause(50);
    expect(writes).toEqual([
      {
        controller: 'trust-bundle',
        action: 'create',
        kind: 'ConfigMap',
        namespace: 'shop',
        name: BUNDLE,
        dryRun: false,
      },
    ]);
    expect(kube.calls.filter((call) => call.path.includes('networkpolicies'))).toEqual([]);
  });

  it('never reads or writes a ConfigMap with sidecar.distributeTrustBundle false', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    seedSource(kube);
    const config = {
      ...BUILTIN_CONFIG,
      sidecar: { ...BUILTIN_CONFIG.sidecar, distributeTrustBundle: false },
    };
    start(kube, { config });
    await waitFor(() => kube.get(NP, 'shop', 'ztgate-allow-dns') !== undefined);
    expect([kube.calls.filter((call) => call.path.includes('configmaps')), copyData(kube, 'shop')]).toEqual([
      [],
      undefined,
    ]);
  });

  it('reads and writes ConfigMaps only by the bundle name: its own copies, and the one source object', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', namespace('shop'));
    kube.seed(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: 'shop' },
    });
    seedSource(kube);
    start(kube);
    await waitFor(() => copyData(kube, 'shop') !== undefined);
    const collections = kube.calls
      .filter((call) => call.path.endsWith('/configmaps') && ['GET', 'WATCH'].includes(call.method))
      .map((call) => ({
        path: call.path,
        labelSelector: call.query?.['labelSelector'],
        fieldSelector: call.query?.['fieldSelector'],
      }));
    const unique = [...new Set(collections.map((call) => JSON.stringify(call)))].map(
      (text) => JSON.parse(text) as unknown,
    );
    expect(unique.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
      {
        path: '/api/v1/configmaps',
        labelSelector: 'app.kubernetes.io/managed-by=ztgate',
        fieldSelector: `metadata.name=${BUNDLE}`,
      },
      { path: '/api/v1/namespaces/ztgate-system/configmaps', fieldSelector: `metadata.name=${BUNDLE}` },
    ]);
    expect(kube.get(CM, 'shop', 'app-config')?.['metadata']).not.toHaveProperty('labels');
    // What manifests/rbac.yaml grants: every ConfigMap request names the bundle (in its path or,
    // for a list or watch, in metadata.name), but for create, which RBAC cannot restrict by name.
    const unnamed = kube.calls.filter(
      (call) =>
        call.path.includes('/configmaps') &&
        !call.path.endsWith(`/configmaps/${BUNDLE}`) &&
        call.query?.['fieldSelector'] !== `metadata.name=${BUNDLE}` &&
        call.method !== 'POST',
    );
    expect(unnamed).toEqual([]);
  });
});
