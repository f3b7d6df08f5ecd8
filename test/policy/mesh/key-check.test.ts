import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { meshProvider, MESH_PROVIDERS } from '../../../src/policy/mesh/index.js';
import { findMeshKey } from '../../../src/policy/mesh/key-check.js';
import type { MeshKey } from '../../../src/policy/mesh/provider.js';

/** The reference: the first key in list order that the label or annotation key matches. */
const reference = (keys: readonly MeshKey[], key: string): MeshKey | undefined =>
  keys.find((candidate) =>
    candidate.prefix === true ? key.startsWith(candidate.key) : key === candidate.key,
  );

const judge = (): undefined => undefined;

describe('findMeshKey: the first mesh key a label or annotation key matches', () => {
  it.each(MESH_PROVIDERS)(
    'answers as a scan of %s keys in order, for each key and look-alikes',
    (provider) => {
      const { keys } = meshProvider({ ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider } });
      const asked = keys.flatMap(({ key }) => [
        key,
        `${key}x`,
        `${key}/other`,
        key.slice(0, -1),
        key.toUpperCase(),
        ` ${key}`,
      ]);
      for (const key of [...asked, '', 'app', '__proto__', 'constructor'])
        expect(findMeshKey(keys, key)).toBe(reference(keys, key));
    },
  );

  it('answers as a scan in order for any list of exact and prefix keys, overlapping or repeated', () => {
    // Short keys over a small alphabet, so prefixes, repeats and overlaps are common.
    const name = fc.string({ unit: fc.constantFrom('a', 'b', '/', '.'), maxLength: 4 });
    const meshKey = fc.record({ key: name, prefix: fc.boolean(), effect: fc.constant('test') });
    fc.assert(
      fc.property(fc.array(meshKey, { maxLength: 8 }), fc.array(name, { maxLength: 12 }), (drawn, asked) => {
        const keys: MeshKey[] = drawn.map((key) => ({ ...key, judge }));
        for (const key of [...asked, ...drawn.map((k) => k.key)])
          expect(findMeshKey(keys, key)).toBe(reference(keys, key));
      }),
    );
  });
});
