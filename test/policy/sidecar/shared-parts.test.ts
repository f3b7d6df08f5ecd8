import { describe, expect, it } from 'vitest';
import { deepFreeze, type SidecarConfig } from '../../../src/policy/config.js';
import { buildSidecarPatch, type JsonPatchOp } from '../../../src/policy/sidecar/index.js';
import { isDeepFrozen, memoByConfig } from '../../../src/policy/sidecar/shared-parts.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { sidecarConfig } from './helpers.js';

const PROBED_POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', annotations: { team: 'a' } },
  spec: {
    serviceAccountName: 'web',
    containers: [
      {
        name: 'app',
        image: 'web:1',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 2 },
      },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
};

const CLASHING_POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'batch',
    ownerReferences: [{ kind: 'Job', name: 'j', apiVersion: 'batch/v1', uid: 'u' }],
  },
  spec: {
    restartPolicy: 'Never',
    containers: [{ name: 'job', image: 'job:1' }],
    volumes: [
      { name: 'ztgate-token', emptyDir: {} },
      { name: 'ztgate-workdir', emptyDir: {} },
    ],
  },
};

const CONFIGS: readonly [string, SidecarConfig][] = [
  ['defaults', sidecarConfig()],
  ['classic mode', sidecarConfig({ native: false })],
  [
    'custom ports, resources and exclusions',
    sidecarConfig({
      ports: { inbound: 16006, outbound: 16001, health: 16021, admin: 16000 },
      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      exclude: { inboundPorts: [9090], outboundPorts: [5432], outboundCIDRs: ['10.0.0.0/8'] },
      runAsUser: 2000,
    }),
  ],
];

const PODS: readonly [string, KubeObject][] = [
  ['a probed pod with preferred volume names', PROBED_POD],
  ['a job pod whose volumes clash with ztgate names', CLASHING_POD],
];

const CASES = CONFIGS.flatMap(([configName, config]) =>
  PODS.map(([podName, pod]) => [configName, podName, config, pod] as const),
);

function valueAt(ops: readonly JsonPatchOp[], path: string): unknown {
  const op = ops.find((candidate) => candidate.path === path);
  return op !== undefined && 'value' in op ? op.value : undefined;
}

function patchFor(pod: KubeObject, config: SidecarConfig): readonly JsonPatchOp[] {
  return buildSidecarPatch(pod, config, { namespace: 'shop' });
}

describe('shared sidecar parts', () => {
  it.each(CASES)(
    '%s, %s: a frozen (cached) config builds what a fresh config builds',
    (_c, _p, config, pod) => {
      const frozen = deepFreeze(structuredClone(config));
      const fresh = patchFor(pod, structuredClone(config));
      expect(patchFor(pod, frozen)).toEqual(fresh);
      // The second build comes from the cache and must still be the same patch.
      expect(patchFor(pod, frozen)).toEqual(fresh);
      expect(JSON.stringify(patchFor(pod, frozen))).toBe(JSON.stringify(fresh));
    },
  );

  it('shares the init container across pods of a frozen config and builds it anew for a mutable one', () => {
    const frozen = deepFreeze(structuredClone(sidecarConfig()));
    const mutable = structuredClone(sidecarConfig());
    const initOf = (ops: readonly JsonPatchOp[]): unknown =>
      (valueAt(ops, '/spec/initContainers') as unknown[])[0];
    const other: KubeObject = { ...PROBED_POD, metadata: { name: 'other' } };
    expect(initOf(patchFor(PROBED_POD, frozen))).toBe(initOf(patchFor(other, frozen)));
    expect(initOf(patchFor(PROBED_POD, mutable))).not.toBe(initOf(patchFor(PROBED_POD, mutable)));
    // A pod whose volume names clash gets its own: the init container mounts the renamed workdir.
    const clashing = initOf(patchFor(CLASHING_POD, frozen)) as { volumeMounts: { name: string }[] };
    expect(clashing).not.toBe(initOf(patchFor(PROBED_POD, frozen)));
    expect(clashing.volumeMounts.map((mount) => mount.name)).toEqual(['ztgate-workdir-1']);
  });

  it('a mutable config that changes between calls is never served a stale part', () => {
    const config = structuredClone(sidecarConfig()) as {
      -readonly [K in keyof SidecarConfig]: SidecarConfig[K];
    };
    const before = JSON.stringify(patchFor(PROBED_POD, config));
    config.image = 'registry.example/proxy:2';
    const after = JSON.stringify(patchFor(PROBED_POD, config));
    expect(after).not.toBe(before);
    expect(after).toContain('registry.example/proxy:2');
  });

  it('a shared part cannot be changed through a returned patch', () => {
    const config = deepFreeze(structuredClone(sidecarConfig()));
    const expected = JSON.stringify(patchFor(PROBED_POD, config));
    const ops = patchFor(PROBED_POD, config);
    // Native mode: [init, proxy]; the proxy's resources are shared across pods.
    const proxy = (valueAt(ops, '/spec/initContainers') as Record<string, unknown>[])[1];
    const resources = proxy?.['resources'] as { limits: Record<string, string> };
    expect(() => {
      resources.limits['cpu'] = '64';
    }).toThrow(TypeError);
    const volumes = valueAt(ops, '/spec/volumes/-') as Record<string, unknown>;
    expect(() => {
      volumes['name'] = 'hijacked';
    }).toThrow(TypeError);
    expect(JSON.stringify(patchFor(PROBED_POD, config))).toBe(expected);
  });

  it.each([
    ['a primitive', 1, true],
    ['a frozen flat object', Object.freeze({ a: 1 }), true],
    ['a frozen object with a mutable child', Object.freeze({ a: { b: 1 } }), false],
    ['a deep-frozen object', deepFreeze({ a: { b: [1, { c: 2 }] } }), true],
    ['a mutable object', { a: 1 }, false],
  ])('isDeepFrozen: %s → %s', (_name, value, expected) => {
    expect(isDeepFrozen(value)).toBe(expected);
  });

  it('memoByConfig builds once per frozen config and on every call for a mutable one', () => {
    let builds = 0;
    const memo = memoByConfig(() => ({ n: (builds += 1) }));
    const frozen = deepFreeze(structuredClone(sidecarConfig()));
    expect(memo(frozen)).toBe(memo(frozen));
    expect(builds).toBe(1);
    const mutable = structuredClone(sidecarConfig());
    memo(mutable);
    memo(mutable);
    expect(builds).toBe(3);
  });
});
