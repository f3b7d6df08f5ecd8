/**
 * A pre-injected pod is judged whole (issue 12 §6): where ztgate's containers sit and which volumes
 * back the proxy's mounts, not only each container's own fields. The facts: the kubelet runs init
 * containers in order, so one placed before the redirect talks before the redirect exists; in
 * classic mode the proxy's postStart hook holds only the containers after it; a mount path says
 * nothing about the volume behind it (another token audience, another CA, a disk for the key).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type SidecarConfig } from '../../../src/policy/config.js';
import { injectPodTemplate, spiffeIdFor } from '../../../src/policy/sidecar/index.js';
import { findForgedSidecarFields } from '../../../src/policy/sidecar/verify.js';
import type { KubeObject } from '../../../src/policy/types.js';

type Json = Record<string, unknown>;
type PodSpec = { initContainers: Json[]; containers: Json[]; volumes: Json[] };

const classic: SidecarConfig = DEFAULT_CONFIG.sidecar;
const native: SidecarConfig = { ...DEFAULT_CONFIG.sidecar, native: true };
const app = { name: 'app', image: 'registry.example/app:1' };

/** An injected pod spec with one change applied. */
function injectedWith(change: (spec: PodSpec) => void, config: SidecarConfig = classic): PodSpec {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'w' },
    spec: { serviceAccountName: 'web', containers: [app] },
  };
  const spec = structuredClone(injectPodTemplate(pod, config, 'shop')['spec']) as PodSpec;
  change(spec);
  return spec;
}

function forged(spec: PodSpec, config: SidecarConfig = classic): { path: string; field: string }[] {
  const spiffeId = spiffeIdFor({ spec }, config, 'shop');
  return findForgedSidecarFields(spec, config, spiffeId).map(({ path, field }) => ({ path, field }));
}

const paths = (spec: PodSpec, config: SidecarConfig = classic) =>
  forged(spec, config).map(({ path }) => path);
const proxy = (spec: PodSpec) => spec.containers[0]!;
const volume = (spec: PodSpec, name: string) =>
  spec.volumes.find((v) => v['name'] === name) as Record<string, Json>;
const tokenSource = (spec: PodSpec) =>
  (volume(spec, 'ztgate-token')['projected']!['sources'] as Json[])[0]!['serviceAccountToken'] as Json;

describe('pre-injected pods: look-alikes', () => {
  it.each([
    ['the pod as ztgate injects it (classic)', injectedWith(() => {}), classic],
    ['the pod as ztgate injects it (native)', injectedWith(() => {}, native), native],
    // The API server writes defaultMode 420 into configMap volumes and 3600 s into a token without expiry.
    [
      'the pod after the API server defaulted its volumes',
      injectedWith((spec) => {
        volume(spec, 'ztgate-trust-bundle')['configMap']!['defaultMode'] = 420;
        volume(spec, 'ztgate-trust-bundle')['configMap']!['optional'] = false;
      }),
      classic,
    ],
    [
      'app init containers after the native proxy',
      injectedWith((spec) => spec.initContainers.push({ name: 'fetch', image: 'f' }), native),
      native,
    ],
    [
      'app containers after the classic proxy',
      injectedWith((spec) => spec.containers.push({ name: 'helper', image: 'h' })),
      classic,
    ],
  ] as const)('%s', (_name, spec, config) => {
    expect(forged(spec, config)).toEqual([]);
  });
});

describe('pre-injected pods: placement', () => {
  it.each([
    [
      'an app init container before the redirect',
      (spec: PodSpec) => spec.initContainers.unshift({ name: 'migrate', image: 'm' }),
      ['spec.initContainers[1]'],
    ],
    [
      'an app container before the classic proxy',
      (spec: PodSpec) => spec.containers.unshift({ name: 'early', image: 'e' }),
      ['spec.containers[1]'],
    ],
  ])('refuses %s', (_name, change, expected) => {
    expect(paths(injectedWith(change))).toEqual(expected);
  });

  it.each([
    [
      'an app init container between the redirect and the native proxy',
      (spec: PodSpec) => spec.initContainers.splice(1, 0, { name: 'fetch', image: 'f' }),
      ['spec.initContainers[2]'],
    ],
    [
      'the native proxy moved to containers',
      (spec: PodSpec) => spec.containers.unshift(...spec.initContainers.splice(1, 1)),
      ['spec.containers[0]'],
    ],
  ])('refuses (native) %s', (_name, change, expected) => {
    expect(paths(injectedWith(change, native), native)).toEqual(expected);
  });

  it('says why a misplaced redirect matters', () => {
    const [finding] = forged(
      injectedWith((spec) => spec.initContainers.unshift({ name: 'migrate', image: 'm' })),
    );
    expect(finding?.field).toContain('runs before the redirect exists');
  });
});

describe('pre-injected pods: the proxy volumes by their source', () => {
  it.each([
    // A token for another audience is a token for another service (the API server's, a vault's).
    [
      'the projected token with another audience',
      (spec: PodSpec) => (tokenSource(spec)['audience'] = 'kubernetes.default.svc'),
      ['spec.volumes[0]'],
    ],
    [
      'the projected token with another expiry',
      (spec: PodSpec) => (tokenSource(spec)['expirationSeconds'] = 86400),
      ['spec.volumes[0]'],
    ],
    [
      'the projected token under another file name',
      (spec: PodSpec) => (tokenSource(spec)['path'] = 'other'),
      ['spec.volumes[0]'],
    ],
    // Another CA bundle makes the proxy trust whoever that CA signs.
    [
      'the trust bundle from another ConfigMap',
      (spec: PodSpec) => (volume(spec, 'ztgate-trust-bundle')['configMap']!['name'] = 'my-own-ca'),
      ['spec.volumes[1]'],
    ],
    [
      'the trust bundle with another key mapped to ca.crt',
      (spec: PodSpec) =>
        (volume(spec, 'ztgate-trust-bundle')['configMap']!['items'] = [{ key: 'evil.crt', path: 'ca.crt' }]),
      ['spec.volumes[1]'],
    ],
    [
      'an optional trust bundle (the pod starts without one)',
      (spec: PodSpec) => (volume(spec, 'ztgate-trust-bundle')['configMap']!['optional'] = true),
      ['spec.volumes[1]'],
    ],
    // The proxy's private key would outlive the pod on a disk.
    [
      'the workdir on a persistent volume claim',
      (spec: PodSpec) => {
        const workdir = volume(spec, 'ztgate-workdir') as Json;
        delete workdir['emptyDir'];
        workdir['persistentVolumeClaim'] = { claimName: 'keys' };
      },
      ['spec.volumes[2]'],
    ],
    [
      'the token mount pointed at a volume of its own (ztgate-token left in place)',
      (spec: PodSpec) => {
        spec.volumes.push({
          name: 'mine',
          projected: {
            sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } }],
          },
        });
        (proxy(spec)['volumeMounts'] as Json[])[0]!['name'] = 'mine';
      },
      ['spec.volumes[3]'],
    ],
    ['a mount without its volume', (spec: PodSpec) => spec.volumes.splice(1, 1), ['spec.volumes']],
    [
      'a subPath on the trust bundle mount',
      (spec: PodSpec) => ((proxy(spec)['volumeMounts'] as Json[])[1]!['subPath'] = 'ca.crt'),
      ['spec.containers[0].volumeMounts'],
    ],
  ])('refuses %s', (_name, change, expected) => {
    expect(paths(injectedWith(change))).toEqual(expected);
  });

  it('names the source it expected', () => {
    const [finding] = forged(injectedWith((spec) => (tokenSource(spec)['audience'] = 'api')));
    expect(finding?.field).toContain('audience ztgate-mtls, 3600 s, path token');
  });
});
