import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  effectiveMtls,
  isStrict,
  levelsOf,
  readPeerAuthentication,
  type MtlsMode,
  type PeerAuthenticationInfo,
} from '../../../src/policy/mesh/peer-authentication.js';
import { peerAuthentication } from '../helpers.js';

const pa = (name: string, namespace: string, spec: Record<string, unknown>): PeerAuthenticationInfo =>
  readPeerAuthentication(peerAuthentication(name, namespace, spec));
const mode = (m: MtlsMode | undefined, extra: Record<string, unknown> = {}) => ({
  ...(m === undefined ? {} : { mtls: { mode: m } }),
  ...extra,
});
const selector = { selector: { matchLabels: { app: 'web' } } };

function effective(
  inShop: PeerAuthenticationInfo[],
  inRoot: PeerAuthenticationInfo[],
  labels = { app: 'web' },
) {
  return effectiveMtls(levelsOf(inShop, inRoot, false), labels);
}

describe('readPeerAuthentication', () => {
  it('reads selector, mode and port-level modes', () => {
    const info = pa(
      'p',
      'shop',
      mode('STRICT', { ...selector, portLevelMtls: { '8080': { mode: 'PERMISSIVE' }, '9090': {} } }),
    );
    expect({
      selector: info.selector,
      mode: info.mode,
      ports: [...info.portLevel],
      errors: info.errors,
    }).toEqual({
      selector: { app: 'web' },
      mode: 'STRICT',
      ports: [
        ['8080', 'PERMISSIVE'],
        ['9090', 'UNSET'],
      ],
      errors: [],
    });
  });

  it.each([
    ['no mtls at all', {}, 'UNSET'],
    ['an empty mtls', { mtls: {} }, 'UNSET'],
    [
      'an empty selector is namespace-wide',
      { selector: { matchLabels: {} }, mtls: { mode: 'STRICT' } },
      'STRICT',
    ],
  ])('%s', (_name, spec, expected) => {
    const info = pa('p', 'shop', spec);
    expect([info.mode, info.selector]).toEqual([expected, undefined]);
  });

  it.each([
    ['an unknown mode (read as DISABLE: fail closed)', { mtls: { mode: 'strict' } }, 'spec.mtls.mode'],
    [
      'port-level settings without a selector',
      { mtls: { mode: 'STRICT' }, portLevelMtls: { '80': { mode: 'STRICT' } } },
      'spec.portLevelMtls',
    ],
    [
      'a port that is no number',
      { ...selector, portLevelMtls: { http: { mode: 'STRICT' } } },
      'spec.portLevelMtls.http',
    ],
  ])('reports %s', (_name, spec, path) => {
    expect(pa('p', 'shop', spec).errors.map((error) => error.path)).toEqual([path]);
  });
});

describe('effectiveMtls: Istio inheritance (workload → namespace → mesh; nothing means PERMISSIVE)', () => {
  const strictRoot = pa('mesh', 'istio-system', mode('STRICT'));
  it.each([
    ['no policy anywhere', [], [], 'PERMISSIVE'],
    ['STRICT mesh-wide', [], [strictRoot], 'STRICT'],
    [
      'UNSET mesh-wide (nothing above: PERMISSIVE)',
      [],
      [pa('mesh', 'istio-system', mode('UNSET'))],
      'PERMISSIVE',
    ],
    ['STRICT namespace-wide', [pa('ns', 'shop', mode('STRICT'))], [], 'STRICT'],
    ['namespace UNSET under STRICT mesh', [pa('ns', 'shop', mode(undefined))], [strictRoot], 'STRICT'],
    [
      'namespace PERMISSIVE overrides STRICT mesh',
      [pa('ns', 'shop', mode('PERMISSIVE'))],
      [strictRoot],
      'PERMISSIVE',
    ],
    [
      'workload UNSET inherits the namespace',
      [pa('ns', 'shop', mode('STRICT')), pa('w', 'shop', mode('UNSET', selector))],
      [],
      'STRICT',
    ],
    ['workload DISABLE overrides', [pa('w', 'shop', mode('DISABLE', selector))], [strictRoot], 'DISABLE'],
    [
      'workload STRICT under PERMISSIVE namespace',
      [pa('ns', 'shop', mode('PERMISSIVE')), pa('w', 'shop', mode('STRICT', selector))],
      [],
      'STRICT',
    ],
    // Istio picks the oldest of two; ztgate the weakest, so no creation time decides.
    [
      'two namespace-wide policies: the weakest',
      [pa('a', 'shop', mode('STRICT')), pa('b', 'shop', mode('PERMISSIVE'))],
      [],
      'PERMISSIVE',
    ],
    [
      'an unreadable policy counts as DISABLE',
      [pa('a', 'shop', { mtls: { mode: 'Strict' } })],
      [strictRoot],
      'DISABLE',
    ],
    [
      'a root policy with a selector applies to root workloads only',
      [],
      [pa('w', 'istio-system', mode('STRICT', selector))],
      'PERMISSIVE',
    ],
  ])('%s', (_name, inShop, inRoot, expected) => {
    expect(effective(inShop, inRoot).workload).toBe(expected);
  });

  it('a workload policy that does not select the pod does not apply', () => {
    expect(effective([pa('w', 'shop', mode('STRICT', selector))], [], { app: 'api' }).workload).toBe(
      'PERMISSIVE',
    );
  });

  it('port-level: PERMISSIVE on one port is not STRICT; UNSET there inherits the policy', () => {
    const ports = (portLevelMtls: Record<string, unknown>) =>
      effective([pa('w', 'shop', mode('STRICT', { ...selector, portLevelMtls }))], []);
    expect(isStrict(ports({ '8080': { mode: 'PERMISSIVE' } }))).toBe(false);
    expect(isStrict(ports({ '8080': { mode: 'UNSET' } }))).toBe(true);
    expect(isStrict(ports({ '8080': { mode: 'STRICT' } }))).toBe(true);
  });
});

describe('effectiveMtls: properties', () => {
  const modes: MtlsMode[] = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];
  const anyMode = fc.constantFrom(...modes);
  const strength = { DISABLE: 0, PERMISSIVE: 1, STRICT: 2 } as const;
  // Reference: walk from the most specific level holding a policy that selects the pod, taking
  // each level's weakest setting; UNSET defers upwards; nothing explicit anywhere is PERMISSIVE.
  function reference(levels: MtlsMode[][]): keyof typeof strength {
    for (const level of levels) {
      if (level.length === 0) continue;
      const explicit = level.filter((m) => m !== 'UNSET') as (keyof typeof strength)[];
      const rest = reference(levels.slice(levels.indexOf(level) + 1));
      const candidates = level.length > explicit.length ? [...explicit, rest] : explicit;
      return candidates.reduce((a, b) => (strength[a] <= strength[b] ? a : b));
    }
    return 'PERMISSIVE';
  }

  it('matches the reference model', () => {
    fc.assert(
      fc.property(
        fc.array(anyMode, { maxLength: 3 }),
        fc.array(anyMode, { maxLength: 3 }),
        fc.array(anyMode, { maxLength: 3 }),
        (w, n, m) => {
          const inShop = [
            ...w.map((x, i) => pa(`w${i}`, 'shop', mode(x, selector))),
            ...n.map((x, i) => pa(`n${i}`, 'shop', mode(x))),
          ];
          const inRoot = m.map((x, i) => pa(`m${i}`, 'istio-system', mode(x)));
          expect(effective(inShop, inRoot).workload).toBe(reference([w, n, m]));
        },
      ),
    );
  });

  it('adding a PERMISSIVE or DISABLE policy never makes a pod STRICT', () => {
    fc.assert(
      fc.property(
        fc.array(anyMode, { maxLength: 3 }),
        fc.constantFrom<MtlsMode>('PERMISSIVE', 'DISABLE'),
        fc.boolean(),
        (n, weak, atWorkload) => {
          const base = n.map((x, i) => pa(`n${i}`, 'shop', mode(x)));
          const added = pa('weak', 'shop', mode(weak, atWorkload ? selector : {}));
          expect(isStrict(effective([...base, added], []))).toBe(false);
        },
      ),
    );
  });
});
