import { apiGroup } from '../objects.js';
import type { ZtgateConfig } from '../config.js';
import type { ClusterView, KubeObject, RuleName } from '../types.js';
import { buildDesiredPolicies } from './default-deny.js';
import { isSameNetworkPolicySpec } from './network-policy-spec.js';

export { buildDesiredPolicies, type DesiredPolicy } from './default-deny.js';
export { buildMeshControlPlanePolicy, MESH_COMPANION_NAME } from './mesh-control-plane.js';
export {
  buildDesiredPeerAuthentication,
  STRICT_PEER_AUTHENTICATION_NAME,
  strictPeerAuthenticationManifest,
} from './strict-peer-authentication.js';
export {
  clusterEnforcement,
  isExemptByConfig,
  namespaceEnforcement,
  type EnforcementMode,
  type EnforcementReason,
  type NamespaceEnforcement,
} from './enforcement.js';
export { isSameNetworkPolicySpec } from './network-policy-spec.js';
export { buildDesiredTrustBundle, isSameConfigMapContent, type DesiredConfigMap } from './trust-bundle.js';

/** An object ztgate creates to enforce a namespace, and the rule it serves. */
export interface EnforcingObject {
  readonly rule: RuleName;
  readonly object: KubeObject;
}

/**
 * Every object the controllers create to enforce a namespace — and therefore withhold in audit
 * and exempt namespaces. `ztgate audit` reports these as what switching to enforce would create,
 * and judges an audit namespace's workloads as if they existed. A controller that writes an
 * enforcing object (a mesh companion, an enrolment label, a PeerAuthentication) adds it here.
 */
export function buildEnforcingObjects(config: ZtgateConfig, namespace: string): EnforcingObject[] {
  if (!config.defaultDeny.create) return [];
  return buildDesiredPolicies(config, namespace).map((object) => ({
    rule: 'namespace-default-deny',
    object,
  }));
}

function isKubeNetworkPolicy(object: KubeObject): boolean {
  return object.kind === 'NetworkPolicy' && apiGroup(object.apiVersion) === 'networking.k8s.io';
}

/**
 * Whether the view already holds an object as desired: a NetworkPolicy of that name with the
 * same meaning, or another kind by identity (as far as the view keeps raw objects).
 */
export function isInView(view: ClusterView, desired: KubeObject): boolean {
  const namespace = desired.metadata?.namespace ?? '';
  const name = desired.metadata?.name;
  if (isKubeNetworkPolicy(desired)) {
    return view
      .policiesFor(namespace)
      .some(
        (policy) =>
          policy.namespace === namespace &&
          policy.name === name &&
          isKubeNetworkPolicy(policy.source) &&
          isSameNetworkPolicySpec(policy.source['spec'], desired['spec']),
      );
  }
  return view
    .objects()
    .some(
      (object) =>
        object.kind === desired.kind &&
        object.apiVersion === desired.apiVersion &&
        (object.metadata?.namespace ?? '') === namespace &&
        object.metadata?.name === name,
    );
}
