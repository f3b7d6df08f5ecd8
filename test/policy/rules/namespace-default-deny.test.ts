import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { hasDefaultDeny, namespaceDefaultDeny } from '../../../src/policy/rules/namespace-default-deny.js';
import type { ClusterView, KubeObject, NormalizedPolicy } from '../../../src/policy/types.js';
import { defaultDeny, deployment, namespace, policy, viewOf } from '../helpers.js';
import { summarize, workloadContext } from './context.js';

const web = deployment('web', { sa: 'web' });
const globalDeny = (covers: boolean): NormalizedPolicy => ({
  ...defaultDeny(),
  namespace: undefined,
  clusterWide: true,
  flavour: 'calico-global',
  coversNamespace: () => covers,
});

describe('namespace-default-deny', () => {
  it.each([
    { name: 'the namespace default deny', policies: [defaultDeny()], denied: false },
    {
      name: 'a cluster-wide default deny covering the namespace',
      policies: [globalDeny(true)],
      denied: false,
    },
    { name: 'no policy', policies: [], denied: true },
    { name: 'a default deny in another namespace', policies: [defaultDeny('other')], denied: true },
    { name: 'a cluster-wide default deny not covering it', policies: [globalDeny(false)], denied: true },
    {
      name: 'an allow-list only',
      policies: [policy({ name: 'a', matchLabels: { app: 'web' } })],
      denied: true,
    },
  ])('$name', ({ policies, denied }) => {
    const expected = denied
      ? [
          {
            rule: 'namespace-default-deny',
            path: 'metadata.namespace',
            // ztgate's own controller creates it (defaultDeny.create): check does not count it.
            missing: {
              kind: 'Policy',
              namespace: 'shop',
              name: 'ztgate-default-deny',
              providedByZtgate: true,
            },
          },
        ]
      : [];
    expect(summarize(namespaceDefaultDeny.check(workloadContext(web, viewOf([], policies))))).toEqual(
      expected,
    );
  });

  // Only the webhook's caller retries the same request; `check` in CI and `audit` never do.
  it.each([
    {
      create: true,
      caller: undefined,
      says: 'ztgate creates ztgate-default-deny there shortly; retry in a few seconds',
    },
    {
      create: true,
      caller: 'webhook',
      says: 'ztgate creates ztgate-default-deny there shortly; retry in a few seconds',
    },
    {
      create: true,
      caller: 'offline',
      says: "ztgate's controller creates ztgate-default-deny in every namespace it enforces",
    },
    ...(['webhook', 'offline'] as const).map((caller) => ({
      create: false,
      caller,
      says: 'an administrator must create one (ztgate does not: defaultDeny.create is false)',
    })),
  ] as const)('says who creates it (create: $create, caller: $caller)', ({ create, caller, says }) => {
    const config: ZtgateConfig = {
      ...DEFAULT_CONFIG,
      defaultDeny: { ...DEFAULT_CONFIG.defaultDeny, create },
    };
    const context = workloadContext(web, viewOf([]), config);
    const [violation] = namespaceDefaultDeny.check({ ...context, input: { ...context.input, caller } });
    expect(violation?.message).toBe(`namespace shop has no default deny for ingress and egress; ${says}`);
    expect(violation?.missing?.providedByZtgate === true).toBe(create);
    if (caller === 'offline') expect(violation?.message).not.toMatch(/retry/i);
  });

  it.each(['webhook', 'offline'] as const)(
    'tells no one to retry in a namespace ztgate does not enforce yet (caller %s)',
    (caller) => {
      const rollout = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop', labels: { 'ztgate.dev/mode': 'audit' } },
      };
      const context = workloadContext(web, viewOf([rollout]));
      const [violation] = namespaceDefaultDeny.check({ ...context, input: { ...context.input, caller } });
      expect(violation?.message).toBe(
        'namespace shop has no default deny for ingress and egress; ztgate creates ztgate-default-deny there once namespace shop is enforced (it is not: label ztgate.dev/mode=audit)',
      );
    },
  );
});

// hasDefaultDeny keeps one answer per frozen view and namespace: a stale answer would let a
// workload through in a namespace whose default deny was deleted, or refuse one after it appeared.
describe('hasDefaultDeny cache', () => {
  const shopLabelled = (team: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', labels: { team } },
  });
  const teamDeny: NormalizedPolicy = {
    ...globalDeny(false),
    coversNamespace: (_namespace, labels) => labels['team'] === 'guarded',
  };

  // The views hold the namespaces asked about: only those are cached (see the last case).
  const shop = namespace('shop');
  const other = namespace('other');

  it('answers each view for itself, asked in turns', () => {
    const withDeny = viewOf([shop], [defaultDeny()]);
    const without = viewOf([shop]);
    expect([withDeny, without, withDeny, without].map((view) => hasDefaultDeny('shop', view))).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('answers each namespace of one view for itself', () => {
    const view = viewOf([shop, other], [defaultDeny('shop')]);
    expect(['shop', 'other', 'shop', 'other'].map((namespace) => hasDefaultDeny(namespace, view))).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('reads the namespace labels of each view (a relabelled namespace is a new view)', () => {
    const guarded = viewOf([shopLabelled('guarded')], [teamDeny]);
    const open = viewOf([shopLabelled('open')], [teamDeny]);
    expect(hasDefaultDeny('shop', guarded)).toBe(true);
    expect(hasDefaultDeny('shop', open)).toBe(false);
    expect(hasDefaultDeny('shop', guarded)).toBe(true);
  });

  it('never caches a view that is not frozen (it could change under the cache)', () => {
    let policies: readonly NormalizedPolicy[] = [defaultDeny()];
    const view: ClusterView = { ...viewOf([]), policiesFor: () => policies };
    expect(hasDefaultDeny('shop', view)).toBe(true);
    policies = [];
    expect(hasDefaultDeny('shop', view)).toBe(false);
  });

  it('answers a namespace the view does not hold afresh each time, from that view', () => {
    const covering = viewOf([], [globalDeny(true)]);
    const none = viewOf([]);
    expect([covering, none, covering, none].map((view) => hasDefaultDeny('ghost', view))).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('reaches the rule: the same workload is refused in the view that lost its default deny', () => {
    const withDeny = viewOf([shop], [defaultDeny()]);
    const without = viewOf([shop]);
    const rules = (view: ClusterView) =>
      namespaceDefaultDeny.check(workloadContext(web, view)).map((violation) => violation.rule);
    expect(rules(withDeny)).toEqual([]);
    expect(rules(without)).toEqual(['namespace-default-deny']);
    expect(rules(withDeny)).toEqual([]);
  });
});
