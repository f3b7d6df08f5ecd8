import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type DefaultDenyConfig, type ZtgateConfig } from '../../../src/policy/config.js';
import { buildDesiredPolicies, isSameNetworkPolicySpec } from '../../../src/policy/desired/index.js';
import { isSameNetworkPolicySpecUncached } from '../../../src/policy/desired/network-policy-spec.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';

// The default deny and its DNS allowance alone: the builtin injector adds no mesh companion
// (test/controllers/mesh.test.ts covers each mesh's).
const withDefaultDeny = (defaultDeny: DefaultDenyConfig): ZtgateConfig => ({
  ...BUILTIN_CONFIG,
  defaultDeny,
});

const denySpec = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };
const dnsSpec = {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    },
  ],
};

describe('buildDesiredPolicies', () => {
  it('builds the default deny and the DNS allowance with the default settings', () => {
    expect(buildDesiredPolicies(BUILTIN_CONFIG, 'shop')).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'ztgate-default-deny',
          namespace: 'shop',
          labels: { 'app.kubernetes.io/managed-by': 'ztgate' },
        },
        spec: denySpec,
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'ztgate-allow-dns',
          namespace: 'shop',
          labels: { 'app.kubernetes.io/managed-by': 'ztgate' },
        },
        spec: dnsSpec,
      },
    ]);
  });

  it('leaves the DNS policy out when dns.enabled is false, and uses the configured names', () => {
    const settings: DefaultDenyConfig = {
      ...DEFAULT_CONFIG.defaultDeny,
      policyName: 'deny-all',
      dns: { ...DEFAULT_CONFIG.defaultDeny.dns, enabled: false },
    };
    expect(
      buildDesiredPolicies(withDefaultDeny(settings), 'a').map((policy) => policy.metadata.name),
    ).toEqual(['deny-all']);
  });

  it('uses the configured DNS namespace, selector and ports', () => {
    const settings: DefaultDenyConfig = {
      ...DEFAULT_CONFIG.defaultDeny,
      dns: {
        enabled: true,
        policyName: 'dns',
        namespace: 'dns-system',
        podSelector: { app: 'coredns' },
        ports: [{ port: 5353, protocol: 'UDP' }],
      },
    };
    expect(buildDesiredPolicies(withDefaultDeny(settings), 'a')[1]?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns-system' } },
              podSelector: { matchLabels: { app: 'coredns' } },
            },
          ],
          ports: [{ protocol: 'UDP', port: 5353 }],
        },
      ],
    });
  });
});

describe("buildDesiredPolicies: the mesh's companion", () => {
  it.each<[ZtgateConfig['mesh']['provider'], string[]]>([
    ['istio', ['ztgate-default-deny', 'ztgate-allow-dns', 'ztgate-allow-mesh']],
    ['istio-ambient', ['ztgate-default-deny', 'ztgate-allow-dns', 'ztgate-allow-mesh']],
    ['linkerd', ['ztgate-default-deny', 'ztgate-allow-dns', 'ztgate-allow-mesh']],
    ['builtin', ['ztgate-default-deny', 'ztgate-allow-dns']],
  ])('%s: %j', (provider, names) => {
    const config = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider } };
    expect(buildDesiredPolicies(config, 'shop').map((policy) => policy.metadata.name)).toEqual(names);
  });
});

describe('isSameNetworkPolicySpec', () => {
  it.each([
    ['identical', denySpec, denySpec],
    ['policy types in another order', { podSelector: {}, policyTypes: ['Egress', 'Ingress'] }, denySpec],
    [
      'empty matchLabels for the empty selector',
      { podSelector: { matchLabels: {} }, policyTypes: ['Ingress', 'Egress'] },
      denySpec,
    ],
    ['empty rule lists', { ...denySpec, ingress: [], egress: [] }, denySpec],
    [
      'ports in another order, protocol defaulted, port as string',
      {
        ...dnsSpec,
        egress: [{ to: dnsSpec.egress[0]?.to, ports: [{ port: '53' }, { protocol: 'UDP', port: 53 }] }],
      },
      dnsSpec,
    ],
  ])('treats %s as the same', (_name, actual, desired) => {
    expect(isSameNetworkPolicySpec(actual, desired)).toBe(true);
  });

  it.each([
    ['an ingress rule added', { ...denySpec, ingress: [{}] }, denySpec],
    ['egress allowed to everything', { ...denySpec, egress: [{}] }, denySpec],
    ['Egress dropped', { podSelector: {}, policyTypes: ['Ingress'] }, denySpec],
    [
      'a pod selector narrowed',
      { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Ingress', 'Egress'] },
      denySpec,
    ],
    [
      'a DNS port changed',
      { ...dnsSpec, egress: [{ to: dnsSpec.egress[0]?.to, ports: [{ protocol: 'UDP', port: 54 }] }] },
      dnsSpec,
    ],
    ['the DNS peer removed', { ...dnsSpec, egress: [{ ports: dnsSpec.egress[0]?.ports }] }, dnsSpec],
    ['a missing spec', undefined, denySpec],
  ])('treats %s as different', (_name, actual, desired) => {
    expect(isSameNetworkPolicySpec(actual, desired)).toBe(false);
  });
});

describe('isSameNetworkPolicySpec remembered shapes', () => {
  // Specs from a small vocabulary, so that equal and unequal pairs both come up often.
  const labels = fc.constantFrom({}, { app: 'a' }, { app: 'b' });
  const peer = fc.oneof(
    fc.record({ podSelector: fc.record({ matchLabels: labels }) }),
    fc.record({ namespaceSelector: fc.record({ matchLabels: labels }) }),
  );
  const port = fc.record(
    { port: fc.constantFrom(53, '53', 80), protocol: fc.constantFrom('TCP', 'UDP') },
    { requiredKeys: ['port'] },
  );
  const rule = (key: 'from' | 'to') =>
    fc.record(
      { [key]: fc.array(peer, { maxLength: 2 }), ports: fc.array(port, { maxLength: 2 }) },
      {
        requiredKeys: [],
      },
    );
  const spec = fc.record(
    {
      podSelector: fc.record({ matchLabels: labels }),
      policyTypes: fc.shuffledSubarray(['Ingress', 'Egress']),
      ingress: fc.array(rule('from'), { maxLength: 2 }),
      egress: fc.array(rule('to'), { maxLength: 2 }),
    },
    { requiredKeys: ['policyTypes'] },
  );
  const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

  it('answers as the comparison without memos, for the same objects asked again and for fresh copies', () => {
    fc.assert(
      fc.property(fc.array(spec, { minLength: 2, maxLength: 6 }), fc.nat(), fc.nat(), (specs, i, j) => {
        const actual = specs[i % specs.length];
        const desired = specs[j % specs.length];
        const expected = isSameNetworkPolicySpecUncached(actual, desired);
        // Warm both memos with every pair first: a remembered shape must never answer for another spec.
        for (const a of specs) for (const d of specs) isSameNetworkPolicySpec(a, d);
        expect(isSameNetworkPolicySpec(actual, desired)).toBe(expected);
        expect(isSameNetworkPolicySpec(clone(actual), clone(desired))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('judges a replaced stored object anew: an edit arrives as a new object from the watch', () => {
    const stored = clone(dnsSpec);
    expect(isSameNetworkPolicySpec(stored, dnsSpec)).toBe(true);
    // Someone opens the allowance to all egress: the watch delivers a new object.
    const edited = { ...clone(dnsSpec), egress: [{}] };
    expect(isSameNetworkPolicySpec(edited, dnsSpec)).toBe(false);
    expect(isSameNetworkPolicySpec(stored, dnsSpec)).toBe(true);
    // A desired spec with another text is another spec.
    expect(isSameNetworkPolicySpec(stored, { ...dnsSpec, policyTypes: ['Egress', 'Ingress'] })).toBe(false);
  });
});
