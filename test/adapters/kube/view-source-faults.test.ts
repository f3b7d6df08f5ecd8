/**
 * The watch cache when the cluster misbehaves: an API server that refuses every call (readiness
 * says why), and a stored policy the core cannot read (it used to throw out of the publish timer
 * and crash the process, every restart, for as long as the object stayed).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/adapters/kube/logger.js';
import { createKubeViewSource } from '../../../src/adapters/kube/view-source.js';
import type { ViewSource } from '../../../src/adapters/view-source.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { FakeKube, waitFor } from './fake-kube.js';

vi.mock('../../../src/policy/policies/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/policy/policies/index.js')>();
  return {
    ...original,
    normalizePolicy: (object: { metadata?: { name?: string } }, options: never) => {
      if (object.metadata?.name === 'poison') throw new RangeError('Maximum call stack size exceeded');
      return original.normalizePolicy(object as never, options);
    },
  };
});

const sources: ViewSource[] = [];
afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
});

function create(kube: FakeKube): ViewSource {
  const warnings: string[] = [];
  const source = createKubeViewSource({
    kubeConfig: {} as KubeConfig,
    config: DEFAULT_CONFIG,
    logger: { ...silentLogger, warn: (_fields: unknown, message: string) => void warnings.push(message) },
    rest: kube,
    debounceMs: 10,
  });
  sources.push(source);
  return source;
}

const policy = (name: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'shop' },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
});

describe('the watch cache under faults', () => {
  it('says on /readyz why it is not synced when every call fails', async () => {
    const kube = new FakeKube();
    kube.failWith = 503;
    const source = create(kube);
    await source.start();
    await waitFor(() => (source.notReadyReason?.() ?? '').includes('last error'), 3000);
    expect(source.isReady()).toBe(false);
    expect(source.notReadyReason?.()).toMatch(
      /^cluster view not synced yet \(waiting for .*; last error: injected failure\)$/,
    );
  });

  it('publishes the view without a policy the core cannot read, and keeps publishing', async () => {
    const kube = new FakeKube();
    kube.seed('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    kube.seed('networking.k8s.io/v1/networkpolicies', policy('poison'));
    kube.seed('networking.k8s.io/v1/networkpolicies', policy('deny-all'));
    const source = create(kube);
    await source.start();
    await waitFor(() => source.isReady());
    const names = (): string[] =>
      source
        .current()!
        .allPolicies()
        .map((p) => p.name)
        .sort();
    expect(names()).toEqual(['deny-all']);
    kube.seed('networking.k8s.io/v1/networkpolicies', policy('later'));
    await waitFor(() => names().includes('later'));
    expect(names()).toEqual(['deny-all', 'later']);
  });
});
