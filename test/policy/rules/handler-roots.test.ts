/**
 * `no-host-probes` and `no-proxy-ports` read each container's probe and lifecycle fields once and
 * walk each handler from there: the value they find is the one the full key path finds, for any
 * container an author could write (probes of the wrong type, arrays, nulls, nested look-alikes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRecord } from '../../../src/policy/objects.js';
import { handlerPath, handlerRoots, valueAt } from '../../../src/policy/rules/pod-security/read.js';

const PATHS = [
  ['livenessProbe', 'httpGet', 'host'],
  ['readinessProbe', 'tcpSocket', 'host'],
  ['startupProbe', 'grpc'],
  ['startupProbe', 'httpGet'],
  ['lifecycle', 'postStart', 'tcpSocket', 'host'],
  ['lifecycle', 'preStop', 'httpGet'],
  ['lifecycle', 'preStop', 'httpGet', 'host'],
];

/** A value at one level of a handler: an object holding the next key, or anything else. */
function level(keys: readonly string[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constantFrom<unknown>('', 'node', '127.0.0.1', null, 0, true, [], {}),
    fc.string(),
  );
  if (keys.length === 0) return leaf;
  const [key, ...rest] = keys as [string, ...string[]];
  return fc.oneof(
    leaf,
    fc.array(fc.anything(), { maxLength: 2 }),
    fc.record(
      { [key]: level(rest), port: fc.constantFrom<unknown>(15021, 8080, 'http') },
      { requiredKeys: [] },
    ),
  );
}

const container = fc.tuple(...PATHS.map((path) => level(path.slice(1)))).map((values) => {
  const built: Record<string, unknown> = { name: 'app' };
  values.forEach((value, index) => {
    const root = PATHS[index]![0]!;
    // The later path of the same root wins some of the time, as a real container has one probe per root.
    if (built[root] === undefined || index % 2 === 0) built[root] = value;
  });
  return built;
});

describe('handler roots', () => {
  it('find what the full key path finds', () => {
    fc.assert(
      fc.property(container, (built) => {
        const roots = handlerRoots(built);
        for (const keys of PATHS) {
          const { root, rest } = handlerPath(keys);
          const value = roots[root];
          const viaRoot = isRecord(value) ? valueAt(value, rest) : undefined;
          expect(viaRoot).toBe(valueAt(built, keys));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a path that no handler root starts', () => {
    expect(() => handlerPath(['ports', 'containerPort'])).toThrow(TypeError);
  });
});
