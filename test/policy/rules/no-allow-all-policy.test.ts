import { describe, expect, it } from 'vitest';
import { noAllowAllPolicy, noAllowAllWorkload } from '../../../src/policy/rules/no-allow-all-policy.js';
import type { NormalizedPolicy } from '../../../src/policy/types.js';
import { deployment, policy, viewOf } from '../helpers.js';
import { policyContext, summarize, workloadContext } from './context.js';

const RULE = 'no-allow-all-policy';
const openRule = { path: 'spec.ingress[0]', message: 'the rule has no `from`: it admits every source' };
const openPeer = { path: 'spec.ingress[1].from[0]', message: 'an empty peer admits every source' };

describe('no-allow-all-policy on admitted policies', () => {
  it.each([
    { name: 'a policy naming its sources', allowAll: [], expected: [] },
    { name: 'one allow-all rule', allowAll: [openRule], expected: [{ rule: RULE, path: 'spec.ingress[0]' }] },
    {
      name: 'every finding reported',
      allowAll: [openRule, openPeer],
      expected: [
        { rule: RULE, path: 'spec.ingress[0]' },
        { rule: RULE, path: 'spec.ingress[1].from[0]' },
      ],
    },
  ])('$name', ({ allowAll, expected }) => {
    const admitted = policy({ name: 'p', matchLabels: { app: 'web' }, allowAll });
    expect(summarize(noAllowAllPolicy.check(policyContext(admitted, viewOf([]))))).toEqual(expected);
  });

  it('carries the finding message', () => {
    const admitted = policy({ name: 'p', allowAll: [openRule] });
    expect(noAllowAllPolicy.check(policyContext(admitted, viewOf([])))[0]?.message).toBe(openRule.message);
  });
});

describe('no-allow-all-policy on workloads', () => {
  const open = (name: string): NormalizedPolicy =>
    policy({ name, matchLabels: { app: 'web' }, allowAll: [openRule] });
  const narrow = policy({ name: 'narrow', matchLabels: { app: 'web' } });
  it.each([
    { name: 'no allow-list at all (rule 2 reports that)', policies: [], expected: [] },
    { name: 'a narrow allow-list', policies: [narrow], expected: [] },
    { name: 'an allow-all beside a narrow allow-list', policies: [open('open'), narrow], expected: [] },
    {
      name: 'only allow-all allow-lists',
      policies: [open('a'), open('b')],
      expected: [{ rule: RULE, path: 'spec.template.metadata.labels' }],
    },
  ])('$name', ({ policies, expected }) => {
    const context = workloadContext(deployment('web', { sa: 'web' }), viewOf([], policies));
    expect(summarize(noAllowAllWorkload.check(context))).toEqual(expected);
  });

  it('names the allow-all policies', () => {
    const context = workloadContext(deployment('web', { sa: 'web' }), viewOf([], [open('a')]));
    expect(noAllowAllWorkload.check(context)[0]?.message).toBe(
      'the only policies that allow-list these pods admit every source: NetworkPolicy shop/a',
    );
    expect(noAllowAllWorkload.check(context)[0]?.fix.split('\n')[0]).toBe(
      '# Replace the allow-all rules of NetworkPolicy shop/a with the callers by name, for example:',
    );
  });
});

describe('no-allow-all-policy on egress', () => {
  const openEgress = {
    path: 'spec.egress[0]',
    message: 'egress rule without `to` matches every destination',
  };
  it.each([
    { name: 'an egress allow-all on a one-pod policy', matchLabels: { app: 'web' } },
    { name: 'an egress allow-all on a namespace-wide policy', matchLabels: undefined },
  ])('refuses $name, whatever the selector', ({ matchLabels }) => {
    const admitted = policy({ name: 'p', matchLabels, allowAllEgress: [openEgress] });
    expect(summarize(noAllowAllPolicy.check(policyContext(admitted, viewOf([]))))).toEqual([
      { rule: RULE, path: 'spec.egress[0]' },
    ]);
  });

  it('reports ingress and egress findings together, each with its own fix', () => {
    const admitted = policy({ name: 'p', allowAll: [openRule], allowAllEgress: [openEgress] });
    const [ingress, egress] = noAllowAllPolicy.check(policyContext(admitted, viewOf([])));
    expect([ingress?.path, egress?.path]).toEqual(['spec.ingress[0]', 'spec.egress[0]']);
    expect(ingress?.fix).toContain('from:');
    expect(egress?.fix).toContain('to:');
    // The DNS allowance already lets pods resolve names: the fix says so rather than suggest port 53 to anywhere.
    expect(egress?.fix).toContain('DNS to kube-system is already allowed by ztgate-allow-dns');
  });

  it.each([
    ['calico', 'source:'],
    ['cilium-clusterwide', 'fromEndpoints:'],
    ['istio', 'principals: [cluster.local/ns/<caller-namespace>/sa/<caller-serviceaccount>]'],
  ] as const)('gives a %s fix in its own flavour', (flavour, fragment) => {
    const admitted = policy({ name: 'p', flavour, allowAll: [openRule] });
    expect(noAllowAllPolicy.check(policyContext(admitted, viewOf([])))[0]?.fix).toContain(fragment);
  });

  it("names the Istio principals in the mesh's configured trust domain, not Istio's default", () => {
    // Istio matches a principal against the peer certificate's SPIFFE ID, spiffe://<trust-domain>/ns/…/sa/…:
    // in a mesh whose trust domain is prod.example.org, a `cluster.local/...` principal names no caller.
    const admitted = policy({ name: 'p', flavour: 'istio', allowAll: [openRule] });
    const context = policyContext(admitted, viewOf([]));
    const config = {
      ...context.config,
      sidecar: { ...context.config.sidecar, trustDomain: 'prod.example.org' },
    };
    const fix = noAllowAllPolicy.check({ ...context, config })[0]?.fix ?? '';
    expect(fix).toContain('principals: [prod.example.org/ns/<caller-namespace>/sa/<caller-serviceaccount>]');
    expect(fix).not.toContain('cluster.local');
  });
});
