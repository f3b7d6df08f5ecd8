import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripCiliumSource } from '../../../src/policy/policies/cilium.js';
import { normalizePolicy } from '../../../src/policy/policies/index.js';
import { evaluateCalicoSelector } from '../../../src/policy/selectors/calico-ast.js';
import { parseCalicoSelector } from '../../../src/policy/selectors/calico-parser.js';
import { matchesLabelSelector } from '../../../src/policy/selectors/label-selector.js';
import type { KubeObject, Labels, NormalizedPolicy, SelectTarget } from '../../../src/policy/types.js';

// Selection compiles selectors once and reads a target's labels through layered lookups instead of
// merged maps. These properties compare policies with a reference built the old way (merged label
// maps, selectors evaluated from their text on every call), and repeated questions about shared
// targets with the same questions about fresh copies.

const labelValue = fc.constantFrom('web', 'api', 'payments', 'x');
const labels = (keys: readonly string[]): fc.Arbitrary<Labels> =>
  fc.dictionary(fc.constantFrom(...keys), labelValue, { maxKeys: 3 });

const calicoSelector = fc.constantFrom(
  'all()',
  "app == 'web'",
  'has(tier)',
  "app in {'web', 'api'} && !has(canary)",
  "pcns.team == 'payments'",
  "projectcalico.org/namespace == 'pay'",
  "pcsa.role == 'x'",
  "projectcalico.org/serviceaccount == 'api'",
  "projectcalico.org/name == 'pay' || team == 'x'",
  "tier == 'web' && app == 'api'",
  "pcns.team == 'payments' && app == 'web'",
  "projectcalico.org/serviceaccount == 'api' && tier == 'x'",
  "pcsa.role == 'x' && has(app)",
);

const calico = fc.record({
  global: fc.boolean(),
  selector: calicoSelector,
  namespaceSelector: fc.option(calicoSelector, { nil: undefined }),
  serviceAccountSelector: fc.option(fc.constantFrom("role == 'x'", "projectcalico.org/name == 'api'"), {
    nil: undefined,
  }),
});

type CalicoSpec = typeof calico extends fc.Arbitrary<infer T> ? T : never;

const ciliumKey = fc.constantFrom(
  'app',
  'k8s:app',
  'any:tier',
  'io.kubernetes.pod.namespace',
  'io.cilium.k8s.namespace.labels.team',
  'io.cilium.k8s.policy.serviceaccount',
);
const cilium = fc.record({
  clusterWide: fc.boolean(),
  matchLabels: fc.dictionary(ciliumKey, labelValue, { maxKeys: 2 }),
  exists: fc.option(ciliumKey, { nil: undefined }),
});

/** What a generated Calico policy is made of (CalicoSpec, or any selector text). */
interface CalicoParts {
  readonly global: boolean;
  readonly selector: string;
  readonly namespaceSelector: string | undefined;
  readonly serviceAccountSelector: string | undefined;
}

function calicoObject(spec: CalicoParts): KubeObject {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: spec.global ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
    metadata: { name: 'p', ...(spec.global ? {} : { namespace: 'pay' }) },
    spec: {
      selector: spec.selector,
      ...(spec.namespaceSelector === undefined ? {} : { namespaceSelector: spec.namespaceSelector }),
      ...(spec.serviceAccountSelector === undefined
        ? {}
        : { serviceAccountSelector: spec.serviceAccountSelector }),
      ingress: [{ action: 'Allow' }],
    },
  };
}

type CiliumSpec = typeof cilium extends fc.Arbitrary<infer T> ? T : never;

/** What a generated Cilium policy is made of (CiliumSpec, or any labels). */
interface CiliumParts {
  readonly clusterWide: boolean;
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly exists: string | undefined;
}

function ciliumObject(spec: CiliumParts): KubeObject {
  const matchExpressions = spec.exists === undefined ? [] : [{ key: spec.exists, operator: 'Exists' }];
  return {
    apiVersion: 'cilium.io/v2',
    kind: spec.clusterWide ? 'CiliumClusterwideNetworkPolicy' : 'CiliumNetworkPolicy',
    metadata: { name: 'p', ...(spec.clusterWide ? {} : { namespace: 'pay' }) },
    spec: { endpointSelector: { matchLabels: spec.matchLabels, matchExpressions }, ingress: [{}] },
  };
}

function kubernetesObject(podSelector: Labels): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'pay' },
    spec: { podSelector: { matchLabels: podSelector }, ingress: [{}] },
  };
}

function kubernetesExpressionObject(matchExpressions: readonly unknown[]): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'pay' },
    spec: { podSelector: { matchExpressions }, ingress: [{}] },
  };
}

const expression = fc.record({
  key: fc.constantFrom('app', 'tier'),
  operator: fc.constantFrom('In', 'NotIn', 'Exists'),
  values: fc.array(labelValue, { minLength: 1, maxLength: 2 }),
});

function istioObject(matchLabels: Labels): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'p', namespace: 'pay' },
    spec: { selector: { matchLabels }, rules: [{}] },
  };
}

const policyObject: fc.Arbitrary<KubeObject> = fc.oneof(
  calico.map((spec) => calicoObject(spec)),
  cilium.map(ciliumObject),
  labels(['app', 'tier']).map(kubernetesObject),
  fc
    .array(expression, { maxLength: 2 })
    .map((list) => list.map((e) => (e.operator === 'Exists' ? { key: e.key, operator: 'Exists' } : e)))
    .map(kubernetesExpressionObject),
  labels(['app', 'tier']).map(istioObject),
);

function normalize(object: KubeObject): NormalizedPolicy {
  const policy = normalizePolicy(object, { istioRootNamespace: 'istio-system' });
  if (policy === undefined) throw new Error('not a policy');
  return policy;
}

// Few namespace label objects, shared between targets of different namespaces, so the
// per-namespace memo is exercised with one labels object under two names.
const namespaceLabels = fc.array(labels(['team', 'env', 'projectcalico.org/name']), {
  minLength: 1,
  maxLength: 2,
});
const targetSpec = fc.record({
  namespace: fc.constantFrom('pay', 'shop'),
  labelsIndex: fc.nat(),
  // Pod labels that collide with the keys Calico and Cilium derive, to prove which layer wins.
  podLabels: labels([
    'app',
    'tier',
    'canary',
    'team',
    'pcns.team',
    'pcsa.role',
    'projectcalico.org/namespace',
    'projectcalico.org/serviceaccount',
    'io.kubernetes.pod.namespace',
    'io.cilium.k8s.namespace.labels.team',
    'io.cilium.k8s.policy.serviceaccount',
  ]),
  serviceAccountName: fc.option(fc.constantFrom('api', 'default'), { nil: undefined }),
  serviceAccountLabels: fc.option(labels(['role', 'projectcalico.org/name']), { nil: undefined }),
});

function buildTargets(
  shared: readonly Labels[],
  specs: readonly (typeof targetSpec extends fc.Arbitrary<infer T> ? T : never)[],
): SelectTarget[] {
  return specs.map((spec) => ({
    namespace: spec.namespace,
    namespaceLabels: shared[spec.labelsIndex % shared.length] as Labels,
    podLabels: spec.podLabels,
    serviceAccountName: spec.serviceAccountName,
    serviceAccountLabels: spec.serviceAccountLabels,
  }));
}

function prefixed(prefix: string, labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [`${prefix}${key}`, value]));
}

function calicoEndpointLabels(t: SelectTarget): Labels {
  const account = t.serviceAccountName ?? 'default';
  const accountLabels =
    t.serviceAccountLabels === undefined
      ? {}
      : { ...t.serviceAccountLabels, 'projectcalico.org/name': account };
  return {
    ...prefixed('pcsa.', accountLabels),
    ...t.podLabels,
    ...prefixed('pcns.', { ...t.namespaceLabels, 'projectcalico.org/name': t.namespace }),
    'projectcalico.org/namespace': t.namespace,
    'projectcalico.org/orchestrator': 'k8s',
    'projectcalico.org/serviceaccount': account,
  };
}

function calicoMatches(text: string, labels: Labels): boolean {
  const parsed = parseCalicoSelector(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return evaluateCalicoSelector(parsed.selector, labels);
}

/** Felix's selection computed from merged label maps, as ztgate did before lookups. */
function calicoReference(spec: CalicoSpec, t: SelectTarget): boolean {
  const inScope = spec.global
    ? calicoMatches(spec.namespaceSelector ?? 'all()', {
        ...t.namespaceLabels,
        'projectcalico.org/name': t.namespace,
      })
    : t.namespace === 'pay';
  const account = spec.serviceAccountSelector;
  const accountMatches =
    account === undefined ||
    (t.serviceAccountLabels !== undefined &&
      calicoMatches(account, {
        ...t.serviceAccountLabels,
        'projectcalico.org/name': t.serviceAccountName ?? 'default',
      }));
  return inScope && calicoMatches(spec.selector, calicoEndpointLabels(t)) && accountMatches;
}

/** Cilium's selection computed from merged label maps. */
function ciliumReference(spec: CiliumSpec, t: SelectTarget): boolean {
  const merged = {
    ...t.podLabels,
    'io.cilium.k8s.policy.serviceaccount': t.serviceAccountName ?? 'default',
    ...prefixed('io.cilium.k8s.namespace.labels.', t.namespaceLabels),
    'io.kubernetes.pod.namespace': t.namespace,
  };
  const matchLabels = Object.fromEntries(
    Object.entries(spec.matchLabels).map(([key, value]) => [stripCiliumSource(key), value]),
  );
  const matchExpressions =
    spec.exists === undefined ? [] : [{ key: stripCiliumSource(spec.exists), operator: 'Exists' }];
  return (
    (spec.clusterWide || t.namespace === 'pay') &&
    matchesLabelSelector({ matchLabels, matchExpressions }, merged)
  );
}

describe('selection through label lookups', () => {
  it('selects what merged Calico label maps select', () => {
    fc.assert(
      fc.property(
        calico,
        namespaceLabels,
        fc.array(targetSpec, { minLength: 1, maxLength: 6 }),
        (spec, shared, specs) => {
          const policy = normalize(calicoObject(spec));
          for (const t of buildTargets(shared, specs))
            expect(policy.selects(t)).toBe(calicoReference(spec, t));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('selects what merged Cilium label maps select', () => {
    fc.assert(
      fc.property(
        cilium,
        namespaceLabels,
        fc.array(targetSpec, { minLength: 1, maxLength: 6 }),
        (spec, shared, specs) => {
          const policy = normalize(ciliumObject(spec));
          for (const t of buildTargets(shared, specs))
            expect(policy.selects(t)).toBe(ciliumReference(spec, t));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('selects the same targets with warm memos as with cold ones', () => {
    fc.assert(
      fc.property(
        fc.array(policyObject, { minLength: 1, maxLength: 6 }),
        namespaceLabels,
        fc.array(targetSpec, { minLength: 1, maxLength: 6 }),
        (objects, shared, specs) => {
          const policies = objects.map(normalize);
          const targets = buildTargets(shared, specs);
          const cold = targets.map((t) => policies.map((p) => p.selects(structuredClone(t))));
          for (let round = 0; round < 2; round++) {
            const warm = targets.map((t) => policies.map((p) => p.selects(t)));
            expect(warm).toEqual(cold);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('covers the same namespaces with warm memos as with cold ones', () => {
    fc.assert(
      fc.property(
        fc.array(policyObject, { minLength: 1, maxLength: 6 }),
        namespaceLabels,
        (objects, shared) => {
          const policies = objects.map(normalize);
          const asks = ['pay', 'shop'].flatMap((namespace) => shared.map((l) => ({ namespace, l })));
          const cold = asks.map(({ namespace, l }) =>
            policies.map((p) => p.coversNamespace(namespace, structuredClone(l))),
          );
          for (let round = 0; round < 2; round++) {
            const warm = asks.map(({ namespace, l }) => policies.map((p) => p.coversNamespace(namespace, l)));
            expect(warm).toEqual(cold);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a pod the selector names', { app: 'web' }, true],
    ['a pod it does not', { app: 'api' }, false],
  ])('a Calico policy asked twice about one target answers the same: %s', (_name, podLabels, expected) => {
    const policy = normalize(
      calicoObject({
        global: false,
        selector: "app == 'web'",
        namespaceSelector: undefined,
        serviceAccountSelector: undefined,
      }),
    );
    const target: SelectTarget = {
      namespace: 'pay',
      namespaceLabels: { team: 'payments' },
      podLabels,
      serviceAccountName: 'api',
      serviceAccountLabels: undefined,
    };
    expect([policy.selects(target), policy.selects(target)]).toEqual([expected, expected]);
  });

  it('files a policy under a label only its selected pods carry (the allow-list index is sound)', () => {
    let hinted = 0;
    fc.assert(
      fc.property(
        policyObject,
        namespaceLabels,
        fc.array(targetSpec, { minLength: 1, maxLength: 8 }),
        (object, shared, specs) => {
          const policy = normalize(object);
          const required = policy.requiredPodLabels ?? [];
          if (required.length === 0) return;
          hinted++;
          for (const t of buildTargets(shared, specs)) {
            if (!policy.selects(t)) continue;
            for (const label of required)
              expect(Object.hasOwn(t.podLabels, label.key) && t.podLabels[label.key]).toBe(label.value);
          }
        },
      ),
      { numRuns: 3000 },
    );
    // Not vacuous: most generated policies require a label.
    expect(hinted).toBeGreaterThan(1000);
  });

  it.each([
    [
      'a NetworkPolicy with matchLabels',
      kubernetesObject({ app: 'web', tier: 'x' }),
      [
        { key: 'app', value: 'web' },
        { key: 'tier', value: 'x' },
      ],
    ],
    ['a NetworkPolicy for every pod', kubernetesObject({}), []],
    [
      'a NetworkPolicy with expressions',
      kubernetesExpressionObject([
        { key: 'app', operator: 'In', values: ['web'] },
        { key: 'tier', operator: 'In', values: ['x', 'api'] },
        { key: 'team', operator: 'NotIn', values: ['x'] },
      ]),
      [{ key: 'app', value: 'web' }],
    ],
    ['an AuthorizationPolicy', istioObject({ tier: 'x' }), [{ key: 'tier', value: 'x' }]],
    [
      'a Calico conjunction',
      calicoObject({
        global: true,
        selector: "has(app) && tier == 'x'",
        namespaceSelector: undefined,
        serviceAccountSelector: undefined,
      }),
      [{ key: 'tier', value: 'x' }],
    ],
    [
      'a Calico equality on a namespace label only',
      calicoObject({
        global: true,
        selector: "pcns.team == 'x'",
        namespaceSelector: undefined,
        serviceAccountSelector: undefined,
      }),
      [],
    ],
    [
      'a Calico disjunction',
      calicoObject({
        global: false,
        selector: "app == 'web' || app == 'api'",
        namespaceSelector: undefined,
        serviceAccountSelector: undefined,
      }),
      [],
    ],
    [
      'a Cilium selector with a source prefix',
      ciliumObject({ clusterWide: true, matchLabels: { 'k8s:app': 'web' }, exists: undefined }),
      [{ key: 'app', value: 'web' }],
    ],
    [
      'a Cilium selector on the namespace and account only',
      ciliumObject({
        clusterWide: true,
        matchLabels: { 'io.kubernetes.pod.namespace': 'pay', 'io.cilium.k8s.policy.serviceaccount': 'api' },
        exists: undefined,
      }),
      [],
    ],
    [
      'a Cilium policy with two selecting rules',
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: { name: 'p', namespace: 'pay' },
        specs: [
          { endpointSelector: { matchLabels: { app: 'web' } }, ingress: [{}] },
          { endpointSelector: { matchLabels: { app: 'api' } }, ingress: [{}] },
        ],
      },
      [],
    ],
  ])('labels required by %s', (_name, object, expected) => {
    expect(normalize(object).requiredPodLabels).toEqual(expected);
  });
});
