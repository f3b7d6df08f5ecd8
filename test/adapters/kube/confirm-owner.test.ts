import type { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/kube/logger.js';
import { createKubeViewSource } from '../../../src/adapters/kube/view-source.js';
import type { ViewSource } from '../../../src/adapters/view-source.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import type { ClusterView, KubeObject, MissingRef } from '../../../src/policy/types.js';
import { FakeKube, waitFor } from './fake-kube.js';

// The watch of ReplicaSets and the watch of Pods are separate streams: the ReplicaSet
// controller's pod can reach admission before ztgate's view holds its ReplicaSet. The claim is
// then confirmed by a live read, which brings the owner's uid and template with it.
const sources: ViewSource[] = [];
afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
});

type Json = Record<string, unknown>;
const meta = (object: Json): Json => object['metadata'] as Json;

function template(serviceAccountName: string): Json {
  return { metadata: { labels: { app: 'api' } }, spec: { serviceAccountName, containers: [{ name: 'a' }] } };
}

async function cluster(): Promise<{ kube: FakeKube; source: ViewSource; rsUid: string }> {
  const kube = new FakeKube();
  kube.seed('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  kube.seed('v1/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'api', namespace: 'shop' },
  });
  const deployment = kube.seed('apps/v1/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'shop' },
    spec: { template: template('api') },
  });
  const source = createKubeViewSource({
    kubeConfig: {} as KubeConfig,
    config: DEFAULT_CONFIG,
    logger: silentLogger,
    rest: kube,
    debounceMs: 10,
  });
  sources.push(source);
  await source.start();
  await waitFor(() => source.isReady());
  // From here on the view lags: what is seeded now reaches it only through a live read.
  kube.breakWatches();
  const replicaSet = kube.seed('apps/v1/replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'api-7c9d',
      namespace: 'shop',
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'api',
          uid: meta(deployment)['uid'],
          controller: true,
        },
      ],
    },
    spec: { template: template('api') },
  });
  return { kube, source, rsUid: String(meta(replicaSet)['uid']) };
}

function podOf(uid: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'api-7c9d-x1',
      namespace: 'shop',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7c9d', uid, controller: true },
      ],
    },
    spec: { serviceAccountName: 'api', containers: [{ name: 'a' }] },
  };
}

/** The pod's dedicated-service-account violations against a view, and what they ask to confirm. */
function identity(view: ClusterView, object: KubeObject): { count: number; missing: MissingRef[] } {
  const decision = evaluate({ operation: 'CREATE', object, namespace: 'shop' }, view, DEFAULT_CONFIG);
  const violations = decision.violations.filter((v) => v.rule === 'dedicated-service-account');
  return { count: violations.length, missing: violations.flatMap((v) => (v.missing ? [v.missing] : [])) };
}

describe('confirming a claimed owner live', () => {
  const ask: MissingRef = {
    kind: 'Workload',
    workloadKind: 'ReplicaSet',
    namespace: 'shop',
    name: 'api-7c9d',
  };

  it("admits the ReplicaSet controller's pod once the live read finds the ReplicaSet and its Deployment", async () => {
    const { source, rsUid } = await cluster();
    const watched = source.current() as ClusterView;
    expect(identity(watched, podOf(rsUid))).toEqual({ count: 1, missing: [ask] });
    const confirmed = await source.confirm!([ask], 'shop');
    expect(identity(confirmed, podOf(rsUid))).toEqual({ count: 0, missing: [] });
  });

  it('keeps refusing a pod whose claim names the ReplicaSet with a made-up uid', async () => {
    const { source } = await cluster();
    const confirmed = await source.confirm!([ask], 'shop');
    expect(identity(confirmed, podOf('made-up')).count).toBe(1);
  });

  it('fails closed: a live read that fails leaves the claim uncounted', async () => {
    const { kube, source, rsUid } = await cluster();
    kube.failWith = 500;
    const confirmed = await source.confirm!([ask], 'shop');
    expect(confirmed).toBe(source.current());
    expect(identity(confirmed, podOf(rsUid)).count).toBe(1);
    kube.failWith = undefined;
  });
});
