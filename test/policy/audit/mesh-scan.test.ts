import { describe, expect, it } from 'vitest';
import { scanClusterView, scanNamespace, type AuditResult } from '../../../src/policy/audit/scan.js';
import { createClusterView } from '../../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { istioInjectedPod } from '../../support/mesh-pods.js';
import { namespace, peerAuthentication } from '../helpers.js';

const ambient: ZtgateConfig = {
  ...DEFAULT_CONFIG,
  mesh: { ...DEFAULT_CONFIG.mesh, provider: 'istio-ambient' },
};

function ownedPod(name: string, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      annotations,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u', controller: true },
      ],
    },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  };
}

const scan = (objects: KubeObject[], config = DEFAULT_CONFIG) =>
  scanClusterView(createClusterView(objects, { istioRootNamespace: 'istio-system' }), config);

describe('ztgate audit: the mesh', () => {
  it('ambient: reports running pods istio-cni has not redirected (the annotation arrives after scheduling)', () => {
    const result = scan(
      [
        namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }),
        ownedPod('redirected', { 'ambient.istio.io/redirection': 'enabled' }),
        ownedPod('missed'),
      ],
      ambient,
    );
    const pods = result.findings.filter((f) => f.category === 'pod-not-meshed');
    expect(pods.map((f) => [f.resource.name, f.path])).toEqual([
      ['missed', 'metadata.annotations.ambient.istio.io/redirection'],
    ]);
  });

  // The ReplicaSet the pods claim, so the view verifies the claim (uid 'u').
  const replicaSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u' },
    spec: { selector: {}, template: { spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
  };

  it('Istio: reports pods created before enrolment, not the injected ones', () => {
    const injected = istioInjectedPod({ name: 'injected' });
    const owned = {
      ...injected,
      metadata: { ...injected.metadata, ownerReferences: ownedPod('x').metadata?.ownerReferences },
    };
    const result = scan([
      namespace('shop', { 'istio-injection': 'enabled' }),
      replicaSet,
      owned,
      ownedPod('before-enrolment'),
    ]);
    expect(
      result.findings.filter((f) => f.category === 'pod-not-meshed').map((f) => f.resource.name),
    ).toEqual(['before-enrolment', 'before-enrolment']);
  });

  it('Istio: a pod whose controller the view does not verify is judged whole, once', () => {
    // No ReplicaSet web-1: the claim is nobody's, so the pod is its own workload (as admission judged it).
    const result = scan([namespace('shop', { 'istio-injection': 'enabled' }), ownedPod('orphan')]);
    const mesh = result.findings.filter((f) => f.rule === 'mtls-sidecar');
    expect(mesh.map((f) => [f.category, f.resource.name])).toEqual([
      ['workload-refused', 'orphan'],
      ['workload-refused', 'orphan'],
    ]);
  });

  it('judges pods, namespaces and PeerAuthentications one namespace at a time, as the background audit does', () => {
    const objects = [
      namespace('shop', { 'istio-injection': 'enabled' }),
      namespace('legacy'),
      replicaSet,
      ownedPod('before-enrolment'),
      peerAuthentication('loose', 'shop', { mtls: { mode: 'PERMISSIVE' } }),
    ];
    const view = createClusterView(objects, { istioRootNamespace: 'istio-system' });
    const inShop = objects.filter((object) => object.metadata?.namespace === 'shop');
    const shop = scanNamespace(view, DEFAULT_CONFIG, 'shop', inShop);
    const whole = scanClusterView(view, DEFAULT_CONFIG);
    const ofShop = (list: readonly AuditResult[]) =>
      list.filter((r) => (r.resource.namespace ?? r.resource.name) === 'shop');
    expect(shop.results).toEqual(ofShop(whole.results));
    expect(
      shop.results.filter((r) => r.result === 'fail').map((r) => [r.category, r.resource.kind, r.rule]),
    ).toEqual(
      expect.arrayContaining([
        ['namespace-without-strict-mtls', 'Namespace', 'strict-mtls'],
        ['pod-not-meshed', 'Pod', 'mtls-sidecar'],
        ['policy-refused', 'PeerAuthentication', 'strict-mtls'],
      ]),
    );
    // The view alone (no objects passed) holds no pods or PeerAuthentications to judge.
    expect(
      scanNamespace(view, DEFAULT_CONFIG, 'shop', []).results.filter((r) => r.resource.kind !== 'Namespace'),
    ).toEqual([]);
  });

  it('judges PeerAuthentications as policies: a PERMISSIVE one is a finding', () => {
    const result = scan([
      namespace('shop'),
      peerAuthentication('loose', 'shop', { mtls: { mode: 'PERMISSIVE' } }),
    ]);
    expect(
      result.findings
        .filter((f) => f.resource.kind === 'PeerAuthentication')
        .map((f) => [f.category, f.rule, f.path]),
    ).toEqual([['policy-refused', 'strict-mtls', 'spec.mtls.mode']]);
  });

  it('reports nothing about enrolment under the builtin provider', () => {
    const builtin: ZtgateConfig = {
      ...DEFAULT_CONFIG,
      mesh: { ...DEFAULT_CONFIG.mesh, provider: 'builtin' },
    };
    expect(scan([namespace('shop')], builtin).results.filter((r) => r.rule === 'mesh-enrolment')).toEqual([]);
  });
});
