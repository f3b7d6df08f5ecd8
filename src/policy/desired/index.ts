import { apiGroup, readLabels } from '../objects.js';
import type { ZtgateConfig } from '../config.js';
import type { ClusterView, KubeObject, Labels, NamespaceInfo, RuleName } from '../types.js';
import { buildDesiredPolicies } from './default-deny.js';
import { buildEnrolledNamespace, buildEnrolmentMarks, describeMarks } from './enrolment.js';
import { isSameNetworkPolicySpec } from './network-policy-spec.js';
import { buildDesiredPeerAuthentication } from './strict-peer-authentication.js';

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
export {
  buildEnrolledNamespace,
  buildEnrolmentMarks,
  buildNamespaceCreatePatch,
  describeMarks,
  type NamespaceMarks,
} from './enrolment.js';
export { isSamePeerAuthenticationSpec } from './peer-authentication-spec.js';
export { buildDesiredTrustBundle, isSameConfigMapContent, type DesiredConfigMap } from './trust-bundle.js';

/** An object ztgate creates (or, for a Namespace, marks) to enforce a namespace, and the rule it serves. */
export interface EnforcingObject {
  readonly rule: RuleName;
  /** The object to create; for the enrolment, the Namespace as it is once enrolled. */
  readonly object: KubeObject;
  /** Set when ztgate changes an object it does not own: the change in words (`label istio-injection=enabled`). */
  readonly change?: string;
}

/**
 * Every object the controllers create to enforce a namespace — and therefore withhold in audit
 * and exempt namespaces: the default deny and its companions (DNS, the mesh's), the STRICT
 * PeerAuthentication, and the mesh's enrolment mark on the Namespace itself. `ztgate audit`
 * reports these as what switching to enforce would create, and judges an audit namespace's
 * workloads as if they existed. A controller that writes an enforcing object adds it here.
 */
export function buildEnforcingObjects(config: ZtgateConfig, namespace: NamespaceInfo): EnforcingObject[] {
  const objects: EnforcingObject[] = [];
  if (config.defaultDeny.create) {
    for (const object of buildDesiredPolicies(config, namespace.name))
      objects.push({ rule: 'namespace-default-deny', object });
  }
  const strict = buildDesiredPeerAuthentication(config, namespace.name);
  if (strict !== undefined) objects.push({ rule: 'strict-mtls', object: strict });
  const marks = buildEnrolmentMarks(config, namespace);
  if (marks !== undefined) {
    const object = buildEnrolledNamespace(namespace, marks);
    objects.push({ rule: 'mesh-enrolment', object, change: describeMarks(marks) });
  }
  return objects;
}

function sameValues(a: Labels, b: unknown): boolean {
  const other = readLabels(b);
  const keys = Object.keys(a);
  return keys.length === Object.keys(other).length && keys.every((key) => other[key] === a[key]);
}

function isKubeNetworkPolicy(object: KubeObject): boolean {
  return object.kind === 'NetworkPolicy' && apiGroup(object.apiVersion) === 'networking.k8s.io';
}

/**
 * Whether the view already holds an object as desired: a NetworkPolicy of that name with the
 * same meaning, a Namespace with exactly these labels and annotations, or another kind by
 * identity (as far as the view keeps raw objects).
 */
export function isInView(view: ClusterView, desired: KubeObject): boolean {
  const namespace = desired.metadata?.namespace ?? '';
  const name = desired.metadata?.name;
  if (desired.kind === 'Namespace' && apiGroup(desired.apiVersion) === '') {
    const info = view.namespace(name ?? '');
    return (
      info !== undefined &&
      sameValues(info.labels, desired.metadata?.labels) &&
      sameValues(info.annotations, desired.metadata?.annotations)
    );
  }
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
