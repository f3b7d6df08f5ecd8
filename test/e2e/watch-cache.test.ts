import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKubeRest,
  createKubeViewSource,
  loadKubeConfig,
  type KubeRest,
} from '../../src/adapters/kube/index.js';
import { silentLogger } from '../../src/adapters/kube/logger.js';
import type { ViewSource } from '../../src/adapters/view-source.js';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { calicoPolicyCrd, customResourceDefinition } from './support/objects.js';
import { waitFor } from './support/processes.js';

const CNP_CRD = customResourceDefinition('cilium.io', 'CiliumNetworkPolicy', 'ciliumnetworkpolicies', 'v2');

describe('kube watch cache against a real API server', () => {
  let cp: ControlPlane;
  let rest: KubeRest;
  let source: ViewSource;
  const sources: ViewSource[] = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    const kubeConfig = loadKubeConfig({ kubeconfig: cp.adminKubeconfig });
    rest = createKubeRest(kubeConfig);
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'watched' } } });
    source = createKubeViewSource({ kubeConfig, config: DEFAULT_CONFIG, logger: silentLogger });
    sources.push(source);
    await source.start();
  });
  afterAll(async () => {
    for (const s of sources) await s.close();
    await cp?.stop();
  });

  it('syncs: ready, with the cluster namespaces in the view', async () => {
    await waitFor(
      async () => source.isReady(),
      30_000,
      () => `not ready: ${source.notReadyReason?.()}`,
    );
    const names = source
      .current()!
      .namespaces()
      .map((ns) => ns.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'watched']));
  });

  it('shows a new ServiceAccount within seconds, in a newer view', async () => {
    const before = source.current()!.revision;
    const started = Date.now();
    await rest.request('POST', '/api/v1/namespaces/watched/serviceaccounts', {
      body: { metadata: { name: 'api' } },
    });
    await waitFor(
      async () => source.current()!.serviceAccount('watched', 'api') !== undefined,
      5000,
      () => 'SA not in view',
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(source.current()!.revision).toBeGreaterThan(before);
  });

  it('confirms with a live read what the view does not hold yet', async () => {
    await rest.request('POST', '/api/v1/namespaces/watched/serviceaccounts', {
      body: { metadata: { name: 'just-made' } },
    });
    const view = await source.confirm!(
      [{ kind: 'ServiceAccount', namespace: 'watched', name: 'just-made' }],
      'watched',
    );
    expect(view.serviceAccount('watched', 'just-made')).toMatchObject({
      namespace: 'watched',
      name: 'just-made',
    });
  });

  it('starts watching CiliumNetworkPolicies once their CRD is created', async () => {
    await rest.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: CNP_CRD });
    const policy = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'web-from-front', namespace: 'watched' },
      spec: {
        endpointSelector: { matchLabels: { app: 'web' } },
        ingress: [{ fromEndpoints: [{ matchLabels: { app: 'front' } }] }],
      },
    };
    // The CRD's REST endpoint appears once it is established; retry the create until then.
    await waitFor(
      async () => {
        await rest.request('POST', '/apis/cilium.io/v2/namespaces/watched/ciliumnetworkpolicies', {
          body: policy,
        });
        return true;
      },
      15_000,
      () => 'could not create the CiliumNetworkPolicy',
    );
    await waitFor(
      async () =>
        source
          .current()!
          .policiesFor('watched')
          .some((p) => p.flavour === 'cilium' && p.name === 'web-from-front'),
      10_000,
      () => 'CiliumNetworkPolicy not in view',
    );
  });

  it("watches Calico's crd.projectcalico.org policies where no Calico API server serves v3", async () => {
    await rest.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: calicoPolicyCrd(),
    });
    const policy = {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default.api-from-web', namespace: 'watched' },
      spec: {
        selector: "app == 'api'",
        types: ['Ingress'],
        ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }],
      },
    };
    await waitFor(
      async () => {
        await rest.request('POST', '/apis/crd.projectcalico.org/v1/namespaces/watched/networkpolicies', {
          body: policy,
        });
        return true;
      },
      15_000,
      () => 'could not create the Calico NetworkPolicy',
    );
    await waitFor(
      async () =>
        source
          .current()!
          .policiesFor('watched')
          .some((p) => p.flavour === 'calico' && p.name === 'default.api-from-web'),
      10_000,
      () => 'Calico NetworkPolicy (crd.projectcalico.org/v1) not in view',
    );
  });

  it('stays not ready, saying why, when it cannot list (a user without cluster-wide read)', async () => {
    const denied = createKubeViewSource({
      kubeConfig: loadKubeConfig({ kubeconfig: cp.userKubeconfig }),
      config: DEFAULT_CONFIG,
      logger: silentLogger,
    });
    sources.push(denied);
    await denied.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect([denied.isReady(), denied.current()]).toEqual([false, undefined]);
    expect(denied.notReadyReason?.()).toMatch(/^cluster view not synced yet \(waiting for .*namespaces/);
  });
});
