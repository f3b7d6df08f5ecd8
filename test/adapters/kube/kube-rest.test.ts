import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIRM_TIMEOUT_MS, confirmMissing } from '../../../src/adapters/kube/confirm.js';
import { createKubeRest, KubeApiError } from '../../../src/adapters/kube/kube-rest.js';
import { CORE_RESOURCES } from '../../../src/adapters/kube/resources.js';
import { createClusterView } from '../../../src/policy/cluster-view.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback API server: `hang` never answers (a stuck API server), otherwise a 404 Status. */
async function apiServer(behaviour: 'hang' | 'not-found'): Promise<KubeConfig> {
  const server = createServer((request, response) => {
    if (behaviour === 'hang') return;
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ kind: 'Status', message: `${request.url} not found`, reason: 'NotFound' }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('kube REST client deadlines', () => {
  it('gives up on a request that gets no answer by its deadline', async () => {
    const rest = createKubeRest(await apiServer('hang'));
    const started = Date.now();
    await expect(rest.request('GET', '/api/v1/namespaces/x', { timeoutMs: 200 })).rejects.toThrow(
      /timed out after 200 ms/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('turns a non-2xx answer into a KubeApiError with the Status reason', async () => {
    const rest = createKubeRest(await apiServer('not-found'));
    const error = await rest.request('GET', '/api/v1/namespaces/x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubeApiError);
    expect({ ...(error as KubeApiError) }).toMatchObject({ statusCode: 404, reason: 'NotFound' });
  });

  it('keeps the view (the denial stands) when live confirm reads hang, within one 2 s deadline for all of them', async () => {
    const rest = createKubeRest(await apiServer('hang'));
    const view = createClusterView([], { istioRootNamespace: 'istio-system' });
    const started = Date.now();
    const confirmed = await confirmMissing({
      rest,
      view,
      // Five reads against a stuck server: one deadline covers them all (not 2 s each).
      missing: [
        { kind: 'ServiceAccount', namespace: 'shop', name: 'web' },
        { kind: 'Namespace', name: 'shop' },
        { kind: 'Workload', workloadKind: 'ReplicaSet', namespace: 'shop', name: 'web-5d4f8' },
        { kind: 'Policy', namespace: 'shop' },
      ],
      namespace: 'shop',
      policySpecs: [...CORE_RESOURCES],
      logger: silentLogger,
      istioRootNamespace: 'istio-system',
    });
    const elapsed = Date.now() - started;
    expect(confirmed).toBe(view);
    expect(elapsed).toBeGreaterThanOrEqual(CONFIRM_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(CONFIRM_TIMEOUT_MS + 1_500);
  });
});
