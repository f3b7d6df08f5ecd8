/**
 * allow-list-policy keeps, per frozen view, the allow-lists found for a namespace, ServiceAccount
 * name and pod labels. The memo must answer as a fresh selection for every workload, on every view,
 * in any order: a key that left out something a selector reads (the ServiceAccount's labels, which
 * Calico's serviceAccountSelector matches; an unset ServiceAccount, which is not `default`; the
 * namespace's labels, which namespace selectors match) would let one workload's allow-list cover
 * another. The views hold Kubernetes, Calico, Cilium and Istio policies whose selection depends on
 * each of these.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClusterView } from '../../../src/policy/cluster-view.js';
import {
  findAllowListPolicies,
  SELECTIONS_KEPT,
  selectAfresh,
} from '../../../src/policy/rules/allow-list-policy.js';
import type { ClusterView, KubeObject, Workload } from '../../../src/policy/types.js';
import { toWorkload } from '../../../src/policy/workload.js';

const NAMESPACES = ['shop', 'bank', 'ghost'] as const; // ghost: not in the view

function namespace(name: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function serviceAccount(ns: string, name: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: ns, name, labels } };
}

function objectsFor(variant: number): KubeObject[] {
  const objects: KubeObject[] = [
    namespace('shop', { team: variant === 0 ? 'red' : 'blue' }),
    namespace('bank', { team: 'red' }),
  ];
  for (const ns of ['shop', 'bank']) {
    objects.push(serviceAccount(ns, 'web', { role: 'front' }));
    objects.push(serviceAccount(ns, 'api', { role: variant === 0 ? 'back' : 'front' }));
    objects.push(serviceAccount(ns, 'default', { role: 'front' }));
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { namespace: ns, name: 'web-allow' },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
      },
    });
    // Calico: pods labelled app=api whose ServiceAccount is labelled role=front.
    objects.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { namespace: ns, name: 'api-front' },
      spec: {
        selector: "app == 'api'",
        serviceAccountSelector: "role == 'front'",
        types: ['Ingress'],
        ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }],
      },
    });
    // Cilium: pods labelled tier=db running as the ServiceAccount `default` (set or not).
    objects.push({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { namespace: ns, name: 'db-default' },
      spec: {
        endpointSelector: {
          matchLabels: { tier: 'db', 'io.cilium.k8s.policy.serviceaccount': 'default' },
        },
        ingress: [{ fromEndpoints: [{ matchLabels: { app: 'api' } }] }],
      },
    });
  }
  // Calico cluster-wide: pods labelled tier=cache in namespaces of team red.
  objects.push({
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'cache-red' },
    spec: {
      selector: "tier == 'cache'",
      namespaceSelector: "team == 'red'",
      types: ['Ingress'],
      ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }],
    },
  });
  // Istio: pods labelled app=web in the istio root namespace's mesh (cluster-wide).
  objects.push({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { namespace: 'bank', name: 'istio-tier' },
    spec: {
      selector: { matchLabels: { tier: 'cache' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }],
    },
  });
  return objects;
}

const views: ClusterView[] = [0, 1].map((variant) =>
  createClusterView(objectsFor(variant), {
    istioRootNamespace: 'istio-system',
    serviceAccountsComplete: true,
  }),
);

const podArb = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  serviceAccount: fc.constantFrom<string | undefined>(undefined, 'default', 'web', 'api', 'nobody'),
  labels: fc.dictionary(
    fc.constantFrom('app', 'tier', 'version'),
    fc.constantFrom('web', 'api', 'db', 'cache', 'v1'),
    { maxKeys: 3 },
  ),
  view: fc.nat({ max: views.length - 1 }),
});

function pod(spec: {
  namespace: string;
  serviceAccount: string | undefined;
  labels: Record<string, string>;
}): Workload {
  const workload = toWorkload({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: spec.namespace, labels: spec.labels },
    spec: {
      ...(spec.serviceAccount === undefined ? {} : { serviceAccountName: spec.serviceAccount }),
      containers: [{ name: 'app', image: 'app:1' }],
    },
  });
  if (workload === undefined) throw new Error('test pod unreadable');
  return workload;
}

const names = (policies: readonly { name: string }[]) => policies.map((policy) => policy.name);

describe('allow-list-policy: the per-view selection memo', () => {
  it('answers as a fresh selection, for any sequence of workloads and views', () => {
    let selectedSome = 0;
    fc.assert(
      fc.property(fc.array(podArb, { minLength: 1, maxLength: 30 }), (pods) => {
        for (const spec of pods) {
          const view = views[spec.view] as ClusterView;
          const workload = pod(spec);
          const memo = findAllowListPolicies(workload, view);
          expect(names(memo)).toEqual(names(selectAfresh(workload, view)));
          if (memo.length > 0) selectedSome += 1;
        }
      }),
      { numRuns: 500 },
    );
    // The generator reaches allow-lists, not only empty answers.
    expect(selectedSome).toBeGreaterThan(100);
  });

  it('tells apart what selectors read: ServiceAccount labels, unset from default, namespace labels, view', () => {
    const [red, blue] = views as [ClusterView, ClusterView];
    const api = (sa: string | undefined, ns = 'shop') =>
      pod({ namespace: ns, serviceAccount: sa, labels: { app: 'api' } });
    // role=front on `web`, role=back on `api` in the first view.
    expect(names(findAllowListPolicies(api('web'), red))).toEqual(['api-front']);
    expect(names(findAllowListPolicies(api('api'), red))).toEqual([]);
    // The same key on another view, whose `api` is role=front.
    expect(names(findAllowListPolicies(api('api'), blue))).toEqual(['api-front']);
    const db = (sa: string | undefined) =>
      pod({ namespace: 'shop', serviceAccount: sa, labels: { tier: 'db' } });
    expect(names(findAllowListPolicies(db('default'), red))).toEqual(['db-default']);
    expect(names(findAllowListPolicies(db('web'), red))).toEqual([]);
    expect(names(findAllowListPolicies(db(undefined), red))).toEqual(['db-default']);
    const cache = (ns: string) => pod({ namespace: ns, serviceAccount: 'web', labels: { tier: 'cache' } });
    // Namespace `shop` is team red in the first view and blue in the second.
    expect(names(findAllowListPolicies(cache('shop'), red))).toContain('cache-red');
    expect(names(findAllowListPolicies(cache('shop'), blue))).not.toContain('cache-red');
  });

  it('stays bounded: keys invented in requests evict the oldest, answers stay right', () => {
    const view = views[0] as ClusterView;
    const first = pod({ namespace: 'shop', serviceAccount: 'web', labels: { app: 'web' } });
    expect(names(findAllowListPolicies(first, view))).toEqual(['web-allow']);
    for (let index = 0; index < SELECTIONS_KEPT + 10; index += 1) {
      const invented = pod({ namespace: 'ghost', serviceAccount: 'web', labels: { app: `x${index}` } });
      expect(findAllowListPolicies(invented, view)).toEqual([]);
    }
    const again = pod({ namespace: 'shop', serviceAccount: 'web', labels: { app: 'web' } });
    expect(names(findAllowListPolicies(again, view))).toEqual(['web-allow']);
  });

  it('selects afresh on a view that is not frozen', () => {
    const view = views[0] as ClusterView;
    const open = { ...view } as ClusterView;
    const workload = pod({ namespace: 'shop', serviceAccount: 'web', labels: { app: 'web' } });
    expect(Object.isFrozen(open)).toBe(false);
    expect(names(findAllowListPolicies(workload, open))).toEqual(['web-allow']);
  });
});
