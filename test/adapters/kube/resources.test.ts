import { describe, expect, it } from 'vitest';
import { chooseOptionalResources } from '../../../src/adapters/kube/optional-resources.js';
import {
  CORE_RESOURCES,
  coreResource,
  discoverOptionalResources,
  resourceKey,
  resourcePath,
  type ResourceSpec,
} from '../../../src/adapters/kube/resources.js';
import { FakeKube } from './fake-kube.js';

const pods = CORE_RESOURCES.find((spec) => spec.plural === 'pods')!;
const namespaces = CORE_RESOURCES.find((spec) => spec.plural === 'namespaces')!;
const cnp: ResourceSpec = {
  group: 'cilium.io',
  version: 'v2',
  plural: 'ciliumnetworkpolicies',
  kind: 'CiliumNetworkPolicy',
  namespaced: true,
};

describe('resourcePath', () => {
  it.each([
    [pods, undefined, undefined, '/api/v1/pods'],
    [pods, 'shop', undefined, '/api/v1/namespaces/shop/pods'],
    [pods, 'shop', 'web', '/api/v1/namespaces/shop/pods/web'],
    [namespaces, undefined, 'shop', '/api/v1/namespaces/shop'],
    [cnp, 'a', 'p', '/apis/cilium.io/v2/namespaces/a/ciliumnetworkpolicies/p'],
  ])('%j in %s named %s is %s', (spec, namespace, name, path) => {
    expect(resourcePath(spec, namespace, name)).toBe(path);
  });

  it('keys resources by apiVersion and plural', () => {
    expect([resourceKey(pods), resourceKey(cnp)]).toEqual(['v1/pods', 'cilium.io/v2/ciliumnetworkpolicies']);
  });
});

describe('discoverOptionalResources', () => {
  it('finds batch/v1 cronjobs and nothing else on a plain cluster', async () => {
    const kube = new FakeKube();
    expect((await discoverOptionalResources(kube)).map(resourceKey)).toEqual(['batch/v1/cronjobs']);
  });

  it('falls back to batch/v1beta1 cronjobs (Kubernetes 1.20) and finds served policy kinds', async () => {
    const kube = new FakeKube();
    kube.served.delete('batch/v1/cronjobs');
    for (const resource of [
      'batch/v1beta1/cronjobs',
      'projectcalico.org/v3/globalnetworkpolicies',
      'cilium.io/v2/ciliumnetworkpolicies',
      'security.istio.io/v1beta1/authorizationpolicies',
    ]) {
      kube.served.add(resource);
    }
    expect((await discoverOptionalResources(kube)).map(resourceKey)).toEqual([
      'batch/v1beta1/cronjobs',
      'projectcalico.org/v3/globalnetworkpolicies',
      'cilium.io/v2/ciliumnetworkpolicies',
      'security.istio.io/v1beta1/authorizationpolicies',
    ]);
  });
});

describe('chooseOptionalResources', () => {
  const crd = (
    group: string,
    plural: string,
    versions: { name: string; served: boolean }[],
    established: boolean,
  ) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: { group, names: { plural }, versions },
    status: { conditions: [{ type: 'Established', status: established ? 'True' : 'False' }] },
  });

  it.each([
    [
      'an established CRD',
      [crd('cilium.io', 'ciliumnetworkpolicies', [{ name: 'v2', served: true }], true)],
      ['cilium.io/v2/ciliumnetworkpolicies'],
    ],
    [
      'a CRD not yet established',
      [crd('cilium.io', 'ciliumnetworkpolicies', [{ name: 'v2', served: true }], false)],
      [],
    ],
    [
      'a CRD whose version is not served',
      [crd('cilium.io', 'ciliumnetworkpolicies', [{ name: 'v2', served: false }], true)],
      [],
    ],
    [
      'Istio v1 preferred over v1beta1',
      [
        crd(
          'security.istio.io',
          'authorizationpolicies',
          [
            { name: 'v1beta1', served: true },
            { name: 'v1', served: true },
          ],
          true,
        ),
      ],
      ['security.istio.io/v1/authorizationpolicies'],
    ],
    ['an unrelated CRD', [crd('example.com', 'widgets', [{ name: 'v1', served: true }], true)], []],
    [
      "Calico's CRDs (a manifest install without the Calico API server)",
      [
        crd('crd.projectcalico.org', 'networkpolicies', [{ name: 'v1', served: true }], true),
        crd('crd.projectcalico.org', 'globalnetworkpolicies', [{ name: 'v1', served: true }], true),
      ],
      ['crd.projectcalico.org/v1/networkpolicies', 'crd.projectcalico.org/v1/globalnetworkpolicies'],
    ],
  ])('watches what %s serves', (_name, crds, expected) => {
    expect(chooseOptionalResources([], crds).map(resourceKey)).toEqual(expected);
  });

  it("prefers Calico's API server (projectcalico.org/v3) over the CRDs it stores its objects in", () => {
    const v3 = (plural: string, kind: string, namespaced: boolean): ResourceSpec => ({
      group: 'projectcalico.org',
      version: 'v3',
      plural,
      kind,
      namespaced,
    });
    const crds = ['networkpolicies', 'globalnetworkpolicies'].map((plural) =>
      crd('crd.projectcalico.org', plural, [{ name: 'v1', served: true }], true),
    );
    const discovered = [
      v3('networkpolicies', 'NetworkPolicy', true),
      v3('globalnetworkpolicies', 'GlobalNetworkPolicy', false),
    ];
    expect(chooseOptionalResources(discovered, crds).map(resourceKey)).toEqual([
      'projectcalico.org/v3/networkpolicies',
      'projectcalico.org/v3/globalnetworkpolicies',
    ]);
  });

  it('keeps what discovery found', () => {
    expect(chooseOptionalResources([cnp], []).map(resourceKey)).toEqual([
      'cilium.io/v2/ciliumnetworkpolicies',
    ]);
  });
});

describe('coreResource', () => {
  it.each([
    ['Namespace', '', 'namespaces', false],
    ['NetworkPolicy', 'networking.k8s.io', 'networkpolicies', true],
  ])('finds %s', (kind, group, plural, namespaced) => {
    expect(coreResource(kind)).toMatchObject({ group, plural, namespaced });
  });

  it('throws for a kind it does not list', () => {
    expect(() => coreResource('CronJob')).toThrow(/no core resource of kind CronJob/);
  });
});
