/**
 * The sidecar verifier's shortcuts answer exactly what they stand for: the volume check's two
 * early comparisons (as the patch wrote the volume, as the API server defaults it) never accept a
 * volume that the defaulted comparison refuses, nor the reverse, and the proxy's mounts are
 * compared as a multiset without sorting, as the sorted comparison did. Generated inputs start
 * from ztgate's own volumes and mounts and change them the ways an author could (the API server's
 * defaults, another audience or ConfigMap, nulls, extra keys, reordered or repeated mounts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, deepFreeze, type SidecarConfig } from '../../../src/policy/config.js';
import { buildVolumes } from '../../../src/policy/sidecar/volumes.js';
import { VOLUME_BASE_NAMES } from '../../../src/policy/sidecar/names.js';
import {
  expectedSources,
  isDefaultedSource,
  isExpectedSource,
} from '../../../src/policy/sidecar/verify-placement.js';
import { expectedContainers, mountsMatch, mountsMatchBySorting } from '../../../src/policy/sidecar/verify.js';

type Json = Record<string, unknown>;

const configs: SidecarConfig[] = [
  deepFreeze(structuredClone(DEFAULT_CONFIG.sidecar)),
  deepFreeze({ ...structuredClone(DEFAULT_CONFIG.sidecar), native: true }),
  // Not frozen: the memo builds afresh, the answers must not differ.
  { ...DEFAULT_CONFIG.sidecar, trustBundleConfigMap: 'other-bundle' },
];

/** A value an author could write where ztgate writes one: ztgate's, a default, or a look-alike. */
const scalar = fc.oneof(
  fc.constantFrom<unknown>(420, 0o600, 3600, 7200, 'token', 'ztgate-mtls', 'Memory', '', true, false, null),
  fc.string({ maxLength: 4 }),
  fc.integer(),
);

/** One change to a JSON value at a random depth: set, delete or null a key, or wrap it. */
function mutate(value: unknown, seed: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  if (value === null || typeof value !== 'object') return fc.oneof(fc.constant(value), seed);
  if (Array.isArray(value)) {
    return fc
      .tuple(fc.nat({ max: Math.max(value.length - 1, 0) }), fc.boolean())
      .chain(([index, drop]) =>
        value.length === 0
          ? fc.constant(value)
          : drop
            ? fc.constant(value.filter((_, i) => i !== index))
            : mutate(value[index], seed).map((item) => value.map((v, i) => (i === index ? item : v))),
      );
  }
  const record = value as Json;
  const keys = Object.keys(record);
  return fc.oneof(
    fc.constant(record),
    // Another value for an existing key, at any depth.
    keys.length === 0
      ? fc.constant(record)
      : fc
          .constantFrom(...keys)
          .chain((key) => mutate(record[key], seed).map((item) => ({ ...record, [key]: item }))),
    // A key set, removed, nulled or left undefined.
    fc
      .tuple(
        fc.constantFrom(...keys, 'defaultMode', 'optional', 'expirationSeconds', 'emptyDir', 'name', 'extra'),
        fc.oneof(seed, fc.constant(undefined), fc.constant('__delete__')),
      )
      .map(([key, item]) => {
        const copy: Json = { ...record };
        if (item === '__delete__') delete copy[key];
        else copy[key] = item;
        return copy;
      }),
  );
}

/** ztgate's volumes as written, as the API server stores them, and changed up to three times. */
function volumeFor(config: SidecarConfig): fc.Arbitrary<Json> {
  const written = buildVolumes(config, VOLUME_BASE_NAMES) as readonly Json[];
  const defaulted = written.map((volume) => {
    const copy = structuredClone(volume);
    const configMap = copy['configMap'] as Json | undefined;
    if (configMap !== undefined) {
      configMap['defaultMode'] = 420;
      configMap['optional'] = false;
    }
    return copy;
  });
  const base = fc.constantFrom(...written.map((v) => structuredClone(v)), ...defaulted);
  const once = base.chain((volume) => mutate(volume, scalar));
  const twice = once.chain((volume) => mutate(volume, scalar));
  return fc.oneof(
    base,
    once,
    twice,
    twice.chain((volume) => mutate(volume, scalar)),
  ) as fc.Arbitrary<Json>;
}

describe('sidecar verifier shortcuts', () => {
  it('isExpectedSource answers as the defaulted comparison, for every volume and mount path', () => {
    for (const config of configs) {
      const sources = [...expectedSources(config).values()];
      fc.assert(
        fc.property(volumeFor(config), (volume) => {
          for (const expected of sources)
            expect(isExpectedSource(volume, expected)).toBe(isDefaultedSource(volume, expected));
        }),
        { numRuns: 3000 },
      );
    }
  });

  it("refuses the proxy's mounts with one dropped or one repeated in its place", () => {
    const { proxy } = expectedContainers(configs[0] as SidecarConfig);
    const own = proxy.container['volumeMounts'] as readonly Json[];
    // token, trust bundle, workdir, and the empty directory over the API token path.
    expect(own.length).toBe(4);
    expect(mountsMatch({ volumeMounts: own.slice(1) }, proxy)).toBe(false);
    expect(mountsMatch({ volumeMounts: [own[1], ...own.slice(1)] }, proxy)).toBe(false);
    expect(mountsMatch({ volumeMounts: [{ ...own[0], readOnly: false }, ...own.slice(1)] }, proxy)).toBe(
      false,
    );
  });

  it('accepts ztgate volumes as written and as defaulted, and refuses another ConfigMap', () => {
    const config = configs[0] as SidecarConfig;
    const sources = expectedSources(config);
    const [token, bundle, workdir] = buildVolumes(config, VOLUME_BASE_NAMES) as readonly Json[];
    const byPath = [...sources.values()];
    expect(isExpectedSource(token as Json, byPath[0]!)).toBe(true);
    expect(isExpectedSource(bundle as Json, byPath[1]!)).toBe(true);
    expect(isExpectedSource(workdir as Json, byPath[2]!)).toBe(true);
    const stored = {
      name: 'ztgate-trust-bundle',
      configMap: { name: config.trustBundleConfigMap, defaultMode: 420 },
    };
    expect(isExpectedSource(stored, byPath[1]!)).toBe(true);
    const other = { name: 'ztgate-trust-bundle', configMap: { name: 'kube-root-ca.crt' } };
    expect(isExpectedSource(other, byPath[1]!)).toBe(false);
    // A volume's name is not its source: a written volume under another name still matches.
    expect(isExpectedSource({ ...(token as Json), name: 'ztgate-token-2' }, byPath[0]!)).toBe(true);
  });

  it('mountsMatch answers as the sorted comparison, for reordered, repeated and changed mounts', () => {
    for (const config of configs) {
      const { init, proxy } = expectedContainers(config);
      for (const expected of [init, proxy]) {
        const own = (expected.container['volumeMounts'] as readonly Json[] | undefined) ?? [];
        const mount = fc.oneof(
          fc.constantFrom(...own, {
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
          }),
          fc.record(
            {
              mountPath: fc.oneof(
                fc.constantFrom<unknown>(...own.map((m) => m['mountPath']), ['/var/lib/ztgate'], 7, null),
                fc.string({ maxLength: 3 }),
              ),
              readOnly: fc.constantFrom<unknown>(true, false, 'true', undefined),
              name: fc.constant('x'),
            },
            { requiredKeys: [] },
          ),
          fc.constantFrom<unknown>(null, 'mount', []),
        );
        const mounts = fc.oneof(
          fc.shuffledSubarray([...own], { minLength: 0 }),
          fc.array(mount, { maxLength: 6 }),
          fc.constantFrom<unknown>(undefined, null, 'mounts', {}),
        );
        fc.assert(
          fc.property(mounts, (volumeMounts) => {
            const found = { name: 'c', volumeMounts };
            expect(mountsMatch(found, expected)).toBe(mountsMatchBySorting(found, expected));
          }),
          { numRuns: 2000 },
        );
        // ztgate's own mounts, in any order, match.
        expect(mountsMatch({ volumeMounts: [...own].reverse() }, expected)).toBe(true);
      }
    }
  });
});
