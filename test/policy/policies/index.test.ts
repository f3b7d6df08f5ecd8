import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isPolicyObject, normalizePolicy, policyRef } from '../../../src/policy/policies/index.js';
import type { KubeObject } from '../../../src/policy/types.js';

const options = { istioRootNamespace: 'istio-system' };

describe('isPolicyObject and normalizePolicy', () => {
  it.each([
    ['networking.k8s.io/v1', 'NetworkPolicy', 'kubernetes'],
    ['projectcalico.org/v3', 'NetworkPolicy', 'calico'],
    ['projectcalico.org/v3', 'GlobalNetworkPolicy', 'calico-global'],
    ['crd.projectcalico.org/v1', 'GlobalNetworkPolicy', 'calico-global'],
    ['cilium.io/v2', 'CiliumNetworkPolicy', 'cilium'],
    ['cilium.io/v2', 'CiliumClusterwideNetworkPolicy', 'cilium-clusterwide'],
    ['security.istio.io/v1', 'AuthorizationPolicy', 'istio'],
    ['security.istio.io/v1beta1', 'AuthorizationPolicy', 'istio'],
  ])('%s %s → %s', (apiVersion, kind, flavour) => {
    const object: KubeObject = { apiVersion, kind, metadata: { name: 'p', namespace: 'pay' }, spec: {} };
    expect(isPolicyObject(object)).toBe(true);
    expect(normalizePolicy(object, options)?.flavour).toBe(flavour);
  });

  it.each([
    ['apps/v1', 'Deployment'],
    ['v1', 'NetworkPolicy'],
    ['networking.k8s.io/v1beta1', 'NetworkPolicy'],
    ['security.istio.io/v1', 'PeerAuthentication'],
    ['cilium.io/v2', 'toString'],
    [undefined, 'NetworkPolicy'],
  ])('%s %s is not a policy', (apiVersion, kind) => {
    const object: KubeObject = { apiVersion, kind, metadata: { name: 'p' } };
    expect(isPolicyObject(object)).toBe(false);
    expect(normalizePolicy(object, options)).toBeUndefined();
  });

  it('defaults a namespaced policy without namespace to default, or to the given namespace', () => {
    const object = parse(
      '{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: p}, spec: {}}',
    ) as KubeObject;
    expect(normalizePolicy(object, options)?.namespace).toBe('default');
    expect(normalizePolicy(object, { ...options, defaultNamespace: 'pay' })?.namespace).toBe('pay');
  });

  it('freezes the normalized policy and keeps its source', () => {
    const object: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'p', namespace: 'pay' },
    };
    const policy = normalizePolicy(object, options);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(policy?.source).toBe(object);
  });
});

describe('policyRef', () => {
  it.each([
    ['networking.k8s.io/v1', 'NetworkPolicy', 'payments', 'NetworkPolicy payments/allow-api'],
    [
      'projectcalico.org/v3',
      'NetworkPolicy',
      'payments',
      'NetworkPolicy.projectcalico.org payments/allow-api',
    ],
    ['projectcalico.org/v3', 'GlobalNetworkPolicy', undefined, 'GlobalNetworkPolicy allow-api'],
    ['cilium.io/v2', 'CiliumClusterwideNetworkPolicy', undefined, 'CiliumClusterwideNetworkPolicy allow-api'],
    [
      'security.istio.io/v1',
      'AuthorizationPolicy',
      'istio-system',
      'AuthorizationPolicy istio-system/allow-api',
    ],
  ])('%s %s', (apiVersion, kind, namespace, expected) => {
    const object: KubeObject = { apiVersion, kind, metadata: { name: 'allow-api', namespace }, spec: {} };
    const policy = normalizePolicy(object, options);
    expect(policy === undefined ? '' : policyRef(policy)).toBe(expected);
  });
});
