import { describe, expect, it } from 'vitest';
import { buildSidecarPatch } from '../../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { sidecarConfig } from './helpers.js';

// The patch builder reads ownerReferences (a Job's pod tells the proxy to exit with the app) before
// the API server has validated them: /mutate refuses a malformed list first, but `ztgate inject` and
// `check` build patches for whatever a manifest holds, and must not throw on it.
describe('buildSidecarPatch with an ownerReferences the API server would refuse', () => {
  const pod = (ownerReferences: unknown): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ownerReferences } as KubeObject['metadata'],
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  });
  const proxyEnv = (ownerReferences: unknown): unknown => {
    const ops = buildSidecarPatch(pod(ownerReferences), sidecarConfig(), { namespace: 'shop' });
    const proxy = ops.find((op) => op.path === '/spec/containers/0');
    const value = proxy !== undefined && 'value' in proxy ? proxy.value : undefined;
    return (value as { env?: { name: string; value?: string }[] } | undefined)?.env?.find(
      (entry) => entry.name === 'ZTGATE_EXIT_ON_APP_EXIT',
    );
  };

  it.each([
    ['a string', 'Job/x'],
    ['an object', { kind: 'Job' }],
    ['null entries', [null, 3]],
  ])('%s: a patch, no TypeError', (_name, refs) => {
    expect(() => buildSidecarPatch(pod(refs), sidecarConfig(), { namespace: 'shop' })).not.toThrow();
  });

  it('still reads a Job owner from a well-formed list', () => {
    expect(
      proxyEnv([{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u', controller: true }]),
    ).toBeDefined();
    expect(proxyEnv([null])).toBeUndefined();
  });
});
