import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { buildMeshControlPlanePolicy } from '../../../src/policy/desired/index.js';
import { buildAllowListFix } from '../../../src/policy/fix/index.js';
import { normalizePolicy } from '../../../src/policy/policies/index.js';
import type { KubeObject, NormalizedPolicy } from '../../../src/policy/types.js';
import { selectTargetFor, toWorkload } from '../../../src/policy/workload.js';
import { deployment, viewOf } from '../helpers.js';

const withProvider = (
  provider: ZtgateConfig['mesh']['provider'],
  mesh: Partial<ZtgateConfig['mesh']> = {},
): ZtgateConfig => ({ ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider, ...mesh } });
const web = toWorkload(deployment('web', { sa: 'web' }))!;

function documents(text: string): KubeObject[] {
  return parseAllDocuments(text).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as KubeObject;
  });
}

const normalize = (object: KubeObject): NormalizedPolicy =>
  normalizePolicy(object, { istioRootNamespace: 'istio-system' }) as NormalizedPolicy;

describe('allow-list fix: two enforcement points, one fix', () => {
  it('under Istio: the NetworkPolicy and an AuthorizationPolicy naming SPIFFE principals', () => {
    const [policy, authorization] = documents(buildAllowListFix(web, 'web', [], DEFAULT_CONFIG));
    expect(policy?.kind).toBe('NetworkPolicy');
    expect(authorization).toEqual({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'web-allow-callers', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        action: 'ALLOW',
        rules: [
          {
            from: [
              { source: { principals: ['cluster.local/ns/<caller-namespace>/sa/<caller-serviceaccount>'] } },
            ],
            to: [{ operation: { ports: ['8080'] } }],
          },
        ],
      },
    });
  });

  it('names the principals in the configured trust domain', () => {
    const config = {
      ...DEFAULT_CONFIG,
      sidecar: { ...DEFAULT_CONFIG.sidecar, trustDomain: 'prod.example.org' },
    };
    expect(buildAllowListFix(web, 'web', [], config)).toContain(
      '- prod.example.org/ns/<caller-namespace>/sa/',
    );
  });

  it('the AuthorizationPolicy, once its caller is named, is an allow-list for the workload and no allow-all', () => {
    const text = buildAllowListFix(web, 'web', [], DEFAULT_CONFIG).replace(
      '<caller-namespace>/sa/<caller-serviceaccount>',
      'shop/sa/api',
    );
    const authorization = normalize(documents(text)[1]!);
    expect([authorization.isAllowList, authorization.allowAll, authorization.errors]).toEqual([true, [], []]);
    expect(authorization.selects(selectTargetFor(web, viewOf([])))).toBe(true);
  });

  it("under ambient: HBONE port 15008 in the app's own policy, never a namespace-wide rule", () => {
    const [policy] = documents(buildAllowListFix(web, 'web', [], withProvider('istio-ambient')));
    const spec = policy?.['spec'] as { podSelector: unknown; ingress: { ports: unknown[] }[] };
    expect(spec.podSelector).toEqual({ matchLabels: { app: 'web' } });
    expect(spec.ingress[0]?.ports).toEqual([
      { protocol: 'TCP', port: 8080 },
      { protocol: 'TCP', port: 15008 },
    ]);
  });

  it.each([
    ['Linkerd', withProvider('linkerd')],
    ['the builtin injector', withProvider('builtin')],
  ])('under %s: the NetworkPolicy alone', (_name, config) => {
    expect(documents(buildAllowListFix(web, 'web', [], config)).map((d) => d.kind)).toEqual([
      'NetworkPolicy',
    ]);
  });
});

describe("the default deny's mesh companion (ztgate-allow-mesh)", () => {
  it('Istio: egress to istiod on 15012 in its namespace only', () => {
    expect(buildMeshControlPlanePolicy(DEFAULT_CONFIG, 'shop')?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
              podSelector: { matchLabels: { app: 'istiod' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 15012 }],
        },
      ],
    });
  });

  it('follows mesh.controlPlaneNamespace', () => {
    const spec = buildMeshControlPlanePolicy(
      withProvider('istio', { controlPlaneNamespace: 'mesh' }),
      'shop',
    )?.spec;
    expect(JSON.stringify(spec)).toContain('"kubernetes.io/metadata.name":"mesh"');
  });

  it('Linkerd: identity on 8080, destination on 8086 and policy on 8090', () => {
    const spec = buildMeshControlPlanePolicy(withProvider('linkerd'), 'shop')?.spec as {
      egress: { to: { podSelector: unknown }[]; ports: unknown[] }[];
    };
    expect(spec.egress.map((rule) => [rule.to[0]?.podSelector, rule.ports])).toEqual([
      [
        { matchLabels: { 'linkerd.io/control-plane-component': 'identity' } },
        [{ protocol: 'TCP', port: 8080 }],
      ],
      [
        { matchLabels: { 'linkerd.io/control-plane-component': 'destination' } },
        [
          { protocol: 'TCP', port: 8086 },
          { protocol: 'TCP', port: 8090 },
        ],
      ],
    ]);
  });

  it("ambient: the kubelet probes' SNAT source alone (istio-cni's 169.254.7.127)", () => {
    expect(buildMeshControlPlanePolicy(withProvider('istio-ambient'), 'shop')?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }],
    });
  });

  it('builtin: none', () => {
    expect(buildMeshControlPlanePolicy(withProvider('builtin'), 'shop')).toBeUndefined();
  });

  it.each([
    ['Istio', DEFAULT_CONFIG],
    ['Linkerd', withProvider('linkerd')],
    ['ambient', withProvider('istio-ambient')],
  ])(
    '%s: ztgate reads it as neither an allow-all, an allow-list for a workload nor a default deny',
    (_name, config) => {
      const policy = normalize(buildMeshControlPlanePolicy(config, 'shop')!);
      expect([
        policy.allowAll,
        policy.isAllowList && !policy.selectsEveryPod,
        policy.isDefaultDeny,
        policy.errors,
      ]).toEqual([[], false, false, []]);
    },
  );
});
