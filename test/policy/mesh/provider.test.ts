import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { buildDesiredPeerAuthentication } from '../../../src/policy/desired/index.js';
import {
  captureExemption,
  meshContainerNames,
  meshInjector,
  meshProvider,
} from '../../../src/policy/mesh/index.js';

function withProvider(provider: ZtgateConfig['mesh']['provider'], runAsUser = 1337): ZtgateConfig {
  return {
    ...DEFAULT_CONFIG,
    mesh: { ...DEFAULT_CONFIG.mesh, provider },
    sidecar: { ...DEFAULT_CONFIG.sidecar, runAsUser },
  };
}

describe('mesh providers', () => {
  it('defaults to Istio sidecar mode', () => {
    expect(meshProvider(DEFAULT_CONFIG).name).toBe('istio');
  });

  it.each([
    // istio-iptables: `-u 1337 -g 1337` (owner match on both uid and gid).
    ['istio', 1337, { uids: [1337], gids: [1337] }],
    // linkerd2-proxy-init: `--proxy-uid 2102`, an owner match on the uid only.
    ['linkerd', 1337, { uids: [2102], gids: [] }],
    // ztgate-init's `--proxy-uid` follows sidecar.runAsUser.
    ['builtin', 4242, { uids: [4242], gids: [] }],
    // ztunnel is recognised by a packet mark, not by a uid inside the pod.
    ['istio-ambient', 1337, { uids: [], gids: [] }],
  ] as const)('%s exempts the proxy identity from capture', (provider, runAsUser, expected) => {
    expect(captureExemption(withProvider(provider, runAsUser))).toEqual(expected);
  });

  it.each([
    ['istio', ['istio-proxy', 'istio-init', 'istio-validation']],
    ['linkerd', ['linkerd-proxy', 'linkerd-init', 'linkerd-network-validator']],
    ['builtin', ['ztgate-proxy', 'ztgate-init']],
    ['istio-ambient', []],
  ] as const)('%s names its own containers', (provider, names) => {
    expect(meshContainerNames(withProvider(provider))).toEqual(names);
  });
});

describe('what the cluster side builds on', () => {
  const config = (
    provider: ZtgateConfig['mesh']['provider'],
    mesh: Partial<ZtgateConfig['mesh']> = {},
  ): ZtgateConfig => ({
    ...DEFAULT_CONFIG,
    mesh: { ...DEFAULT_CONFIG.mesh, provider, ...mesh },
  });

  it.each([
    ['istio', config('istio'), { kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' }],
    [
      'an Istio revision',
      config('istio', { revision: 'canary' }),
      { kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector-canary' },
    ],
    [
      'linkerd',
      config('linkerd'),
      { kind: 'MutatingWebhookConfiguration', name: 'linkerd-proxy-injector-webhook-config' },
    ],
    ['ambient', config('istio-ambient'), { kind: 'DaemonSet', namespace: 'istio-system', name: 'ztunnel' }],
    ['builtin', config('builtin'), undefined],
  ])('%s: the injector whose presence is checked at start-up', (_name, given, expected) => {
    expect(meshInjector(given)).toEqual(expected);
  });

  it.each([
    ['istio', config('istio'), true],
    ['ambient', config('istio-ambient'), true],
    ['switched off', config('istio', { createStrictPeerAuthentication: false }), false],
    ['linkerd (its namespace annotation instead)', config('linkerd'), false],
  ])('%s: the STRICT PeerAuthentication the controller keeps', (_name, given, creates) => {
    const desired = buildDesiredPeerAuthentication(given, 'shop');
    expect(desired === undefined ? undefined : [desired.metadata?.name, desired['spec']]).toEqual(
      creates ? ['ztgate-strict-mtls', { mtls: { mode: 'STRICT' } }] : undefined,
    );
  });
});
