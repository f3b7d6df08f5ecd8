import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePolicy } from '../../../src/policy/policies/index.js';
import { allowListPolicy, findAllowListPolicies } from '../../../src/policy/rules/allow-list-policy.js';
import { selectTargetFor, toWorkload } from '../../../src/policy/workload.js';
import type { KubeObject, NormalizedPolicy } from '../../../src/policy/types.js';
import { cronJob, defaultDeny, deployment, policy, viewOf } from '../helpers.js';
import { summarize, workloadContext } from './context.js';

const web = deployment('web', { sa: 'web' });
const forWeb = { name: 'web-allow', matchLabels: { app: 'web' } };

function check(policies: readonly NormalizedPolicy[], object = web) {
  return summarize(allowListPolicy.check(workloadContext(object, viewOf([], policies))));
}

describe('allow-list-policy: valid', () => {
  it.each([
    { name: 'a NetworkPolicy selecting the pod labels', policies: [policy(forWeb)] },
    {
      name: 'a cluster-wide policy selecting them',
      policies: [policy({ ...forWeb, namespace: undefined, clusterWide: true, flavour: 'calico-global' })],
    },
    {
      name: 'an allow-all allow-list (rule 3 judges it)',
      policies: [policy({ ...forWeb, allowAll: [{ path: 'spec.ingress[0]', message: 'x' }] })],
    },
    {
      name: 'one matching among others',
      policies: [defaultDeny(), policy({ name: 'x', matchLabels: { app: 'x' } }), policy(forWeb)],
    },
  ])('$name', ({ policies }) => {
    expect(check(policies)).toEqual([]);
  });
});

describe('allow-list-policy: invalid', () => {
  const expected = [
    {
      rule: 'allow-list-policy',
      path: 'spec.template.metadata.labels',
      missing: { kind: 'Policy', namespace: 'shop' },
    },
  ];
  it.each([
    { name: 'no policy at all', policies: [] },
    { name: 'only the namespace default deny', policies: [defaultDeny()] },
    { name: 'an allow-list for every pod', policies: [policy({ name: 'everyone' })] },
    {
      // A NotIn/DoesNotExist-only selector matches this pod only because it lacks a label: written for no one.
      name: 'an allow-list whose selector picks pods nobody labelled',
      policies: [policy({ ...forWeb, selectsUnlabelledPods: true })],
    },
    { name: 'a policy for other labels', policies: [policy({ name: 'api', matchLabels: { app: 'api' } })] },
    {
      name: 'an egress-only policy',
      policies: [policy({ ...forWeb, appliesToIngress: false, appliesToEgress: true })],
    },
    {
      name: 'a policy that is not an allow-list (Istio allow-nothing)',
      policies: [policy({ ...forWeb, isAllowList: false, flavour: 'istio' })],
    },
    { name: 'a policy of another namespace', policies: [policy({ ...forWeb, namespace: 'other' })] },
  ])('$name', ({ policies }) => {
    expect(check(policies)).toEqual(expected);
  });

  it('points into a CronJob job template and fixes with a NetworkPolicy for its labels', () => {
    const [violation] = allowListPolicy.check(
      workloadContext(cronJob('backup', { sa: 'backup' }), viewOf([])),
    );
    expect(violation?.path).toBe('spec.jobTemplate.spec.template.metadata.labels');
    expect(violation?.message).toBe(
      'no policy in namespace shop allow-lists ingress to pods labelled {app=backup}',
    );
    expect(violation?.fix).toContain('name: backup-allow-ingress');
  });
});

describe('findAllowListPolicies across namespaces of one view (candidates kept per namespace)', () => {
  const view = viewOf(
    [],
    [
      policy({ name: 'shop-web', matchLabels: { app: 'web' } }),
      policy({ name: 'shop-api', matchLabels: { app: 'api' } }),
      policy({ name: 'pay-web', namespace: 'pay', matchLabels: { app: 'web' } }),
      policy({ name: 'pay-all', namespace: 'pay' }),
      policy({ name: 'global-web', namespace: undefined, clusterWide: true, matchLabels: { app: 'web' } }),
      policy({ name: 'mesh-api', namespace: 'istio-system', clusterWide: true, matchLabels: { app: 'api' } }),
    ],
  );
  const cases = [
    { namespace: 'shop', app: 'web', expected: ['shop-web', 'global-web'] },
    { namespace: 'shop', app: 'api', expected: ['shop-api', 'mesh-api'] },
    { namespace: 'pay', app: 'web', expected: ['pay-web', 'global-web'] },
    { namespace: 'bare', app: 'web', expected: ['global-web'] },
    { namespace: 'other', app: 'api', expected: ['mesh-api'] },
    { namespace: 'other', app: 'x', expected: [] },
  ];

  it('finds each workload its own, asked in any order and again', () => {
    const ask = () =>
      cases.map(({ namespace, app }) => {
        const workload = toWorkload(deployment(app, { namespace, labels: { app } }));
        if (workload === undefined) throw new Error('not a workload');
        return findAllowListPolicies(workload, view).map((found) => found.name);
      });
    const expected = cases.map((entry) => entry.expected);
    expect([ask(), ask().reverse()]).toEqual([expected, [...expected].reverse()]);
  });
});

describe('findAllowListPolicies remembers one decision, never another view', () => {
  // The memo keeps the last workload's answer (last-memo.ts); the same workload object judged
  // against a newer view (the policy created since) must read that view, and back again.
  it('answers the same workload from each view it is asked against', () => {
    const workload = toWorkload(web);
    if (workload === undefined) throw new Error('not a workload');
    const before = viewOf([], [defaultDeny()]);
    const after = viewOf([], [defaultDeny(), policy(forWeb)]);
    const names = (view: typeof before) => findAllowListPolicies(workload, view).map((found) => found.name);
    expect([names(before), names(after), names(after), names(before)]).toEqual([
      [],
      ['web-allow'],
      ['web-allow'],
      [],
    ]);
  });
});

describe('allow-list-policy: the label index', () => {
  const value = fc.constantFrom('web', 'api', 'db');
  const matchLabels = fc.dictionary(fc.constantFrom('app', 'tier', 'team'), value, { maxKeys: 2 });
  const calicoTerm = fc
    .tuple(fc.constantFrom('app', 'tier', 'pcns.team'), value)
    .map(([key, v]) => `${key} == '${v}'`);
  const calicoSelector = fc
    .tuple(fc.array(calicoTerm, { minLength: 1, maxLength: 2 }), fc.constantFrom(' && ', ' || '))
    .map(([terms, join]) => terms.join(join));
  const objectAt = (index: number, name: string): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${name}-${index}`, namespace: 'shop' },
  });
  const policyObject = fc.oneof(
    matchLabels.map((labels) => ({ ...objectAt(0, 'np'), spec: { podSelector: { matchLabels: labels } } })),
    fc.tuple(calicoSelector, fc.boolean()).map(([selector, global]) => ({
      apiVersion: 'projectcalico.org/v3',
      kind: global ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
      metadata: global ? { name: 'gnp' } : { name: 'cnp', namespace: 'shop' },
      spec: { selector, ingress: [{ action: 'Allow' }] },
    })),
    matchLabels.map((labels) => ({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: 'ccnp' },
      spec: { endpointSelector: { matchLabels: labels }, ingress: [{}] },
    })),
    matchLabels.map((labels) => ({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'ap', namespace: 'shop' },
      spec: { selector: { matchLabels: labels }, rules: [{}] },
    })),
  );

  it('finds exactly the policies a scan of every candidate finds, in the same order', () => {
    fc.assert(
      fc.property(
        fc.array(policyObject, { maxLength: 12 }),
        fc.array(matchLabels, { minLength: 1, maxLength: 5 }),
        (objects, podLabelSets) => {
          const policies = objects.flatMap((object, index) => {
            const named = { ...object, metadata: { ...object.metadata, name: `p${index}` } };
            return normalizePolicy(named, { istioRootNamespace: 'istio-system' }) ?? [];
          });
          const namespace = {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: 'shop', labels: { team: 'web' } },
          };
          const view = viewOf([namespace], policies);
          for (const labels of podLabelSets) {
            const workload = toWorkload(deployment('w', { sa: 'w', labels }));
            if (workload === undefined) throw new Error('not a workload');
            const target = selectTargetFor(workload, view);
            const scanned = view
              .policiesFor('shop')
              .filter(
                (p) =>
                  (p.clusterWide || p.namespace === 'shop') &&
                  p.isAllowList &&
                  p.appliesToIngress &&
                  !p.selectsEveryPod &&
                  p.selectsUnlabelledPods !== true &&
                  p.selects(target),
              )
              .map((p) => p.name);
            expect(findAllowListPolicies(workload, view).map((p) => p.name)).toEqual(scanned);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('finds them in each namespace of one view, the cluster-wide candidates filed once for all', () => {
    const inNamespace = (object: KubeObject, namespace: string): KubeObject =>
      object.metadata?.namespace === undefined
        ? object
        : { ...object, metadata: { ...object.metadata, namespace } };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(policyObject, fc.constantFrom('shop', 'pay')), { maxLength: 12 }),
        fc.array(fc.tuple(matchLabels, fc.constantFrom('shop', 'pay', 'bare')), {
          minLength: 1,
          maxLength: 8,
        }),
        (objects, asked) => {
          const policies = objects.flatMap(([object, namespace], index) => {
            const named = inNamespace(
              { ...object, metadata: { ...object.metadata, name: `p${index}` } },
              namespace,
            );
            return normalizePolicy(named, { istioRootNamespace: 'istio-system' }) ?? [];
          });
          const namespaces = ['shop', 'pay', 'bare'].map((name) => ({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name, labels: { team: 'web' } },
          }));
          const view = viewOf(namespaces, policies);
          // Asked twice: the second round reads the candidates the first one filed.
          for (const [labels, namespace] of [...asked, ...asked]) {
            const workload = toWorkload(deployment('w', { sa: 'w', labels, namespace }));
            if (workload === undefined) throw new Error('not a workload');
            const target = selectTargetFor(workload, view);
            const scanned = view
              .policiesFor(namespace)
              .filter(
                (p) =>
                  (p.clusterWide || p.namespace === namespace) &&
                  p.isAllowList &&
                  p.appliesToIngress &&
                  !p.selectsEveryPod &&
                  p.selectsUnlabelledPods !== true &&
                  p.selects(target),
              )
              .map((p) => p.name);
            expect(findAllowListPolicies(workload, view).map((p) => p.name)).toEqual(scanned);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('cluster-wide candidates shared by the namespaces of a view', () => {
  // Layers can shadow a cluster-wide policy for some namespaces: each sees its own list, never
  // the candidates filed for another namespace's list.
  it('answers each namespace from the cluster-wide policies it sees', () => {
    const global = (name: string) =>
      policy({
        name,
        namespace: undefined,
        clusterWide: true,
        flavour: 'calico-global',
        matchLabels: { app: 'web' },
      });
    const [first, second] = [global('global-a'), global('global-b')];
    const namespaces = ['shop', 'pay'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    }));
    const real = viewOf(namespaces, [first, second]);
    const view = {
      ...real,
      policiesFor: (namespace: string) =>
        namespace === 'pay'
          ? real.policiesFor(namespace).filter((p) => p !== first)
          : real.policiesFor(namespace),
    };
    const names = (namespace: string) => {
      const workload = toWorkload(deployment(`web-${namespace}`, { namespace, labels: { app: 'web' } }));
      if (workload === undefined) throw new Error('not a workload');
      return findAllowListPolicies(workload, view).map((found) => found.name);
    };
    expect([names('shop'), names('pay'), names('shop'), names('pay')]).toEqual([
      ['global-a', 'global-b'],
      ['global-b'],
      ['global-a', 'global-b'],
      ['global-b'],
    ]);
  });
});

// The candidates are indexed once per view and namespace the view holds; a namespace it does not
// hold is indexed afresh on every ask (names in request bodies must not grow the cache).
describe('allow-list candidates per view and namespace', () => {
  const shop: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
  const found = (objects: readonly KubeObject[], policies: readonly NormalizedPolicy[]) => {
    const view = viewOf(objects, policies);
    return () => {
      const workload = toWorkload(web);
      if (workload === undefined) throw new Error('not a workload');
      return findAllowListPolicies(workload, view).map((p) => p.name);
    };
  };

  it.each([
    { held: 'held by the view', objects: [shop] },
    { held: 'unknown to the view', objects: [] },
  ])('answers each view for itself, asked in turns (namespace $held)', ({ objects }) => {
    const covered = found(objects, [policy(forWeb)]);
    const bare = found(objects, [defaultDeny()]);
    const other = found(objects, [policy({ ...forWeb, name: 'other-allow' })]);
    expect([covered, bare, other, covered, bare, other].map((ask) => ask())).toEqual([
      ['web-allow'],
      [],
      ['other-allow'],
      ['web-allow'],
      [],
      ['other-allow'],
    ]);
  });
});
