import { describe, expect, it } from 'vitest';
import { scanClusterView } from '../../../src/policy/audit/scan.js';
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

  it('Istio: reports pods created before enrolment, not the injected ones', () => {
    const injected = istioInjectedPod({ name: 'injected' });
    const owned = {
      ...injected,
      metadata: { ...injected.metadata, ownerReferences: ownedPod('x').metadata?.ownerReferences },
    };
    const result = scan([
      namespace('shop', { 'istio-injection': 'enabled' }),
      owned,
      ownedPod('before-enrolment'),
    ]);
    expect(
      result.findings.filter((f) => f.category === 'pod-not-meshed').map((f) => f.resource.name),
    ).toEqual(['before-enrolment', 'before-enrolment']);
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
