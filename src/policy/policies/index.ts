/**
 * The policy flavours ztgate understands, each normalized by its own adapter into the common
 * NormalizedPolicy the rules read.
 */
import type { KubeObject, NormalizedPolicy } from '../types.js';
import { normalizeCalicoPolicy } from './calico.js';
import { normalizeCiliumPolicy } from './cilium.js';
import { normalizeIstioPolicy } from './istio.js';
import { normalizeKubernetesPolicy } from './kubernetes.js';
import { policyShapeErrors } from './shape.js';
import { withErrors, type NormalizeOptions } from './shared.js';

export type { NormalizeOptions } from './shared.js';
export { calicoPolicyTypes } from './calico.js';
export { kubernetesPolicyTypes } from './kubernetes.js';
export { withIdentityOnly } from './shared.js';

type Adapter = (object: KubeObject, options: NormalizeOptions) => NormalizedPolicy;

/**
 * apiVersion → kind → adapter. crd.projectcalico.org/v1 is the CRD Calico stores v3 objects in;
 * objects applied there directly are enforced the same way, so they are read the same way.
 */
const ADAPTERS: Readonly<Record<string, Readonly<Record<string, Adapter>>>> = {
  'networking.k8s.io/v1': { NetworkPolicy: normalizeKubernetesPolicy },
  'projectcalico.org/v3': {
    NetworkPolicy: normalizeCalicoPolicy,
    GlobalNetworkPolicy: normalizeCalicoPolicy,
  },
  'crd.projectcalico.org/v1': {
    NetworkPolicy: normalizeCalicoPolicy,
    GlobalNetworkPolicy: normalizeCalicoPolicy,
  },
  'cilium.io/v2': {
    CiliumNetworkPolicy: normalizeCiliumPolicy,
    CiliumClusterwideNetworkPolicy: normalizeCiliumPolicy,
  },
  'security.istio.io/v1': { AuthorizationPolicy: normalizeIstioPolicy },
  'security.istio.io/v1beta1': { AuthorizationPolicy: normalizeIstioPolicy },
};

function adapterFor(object: KubeObject): Adapter | undefined {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const kinds = Object.hasOwn(ADAPTERS, apiVersion) ? ADAPTERS[apiVersion] : undefined;
  return kinds !== undefined && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
}

/** Whether the object is a policy of one of the flavours ztgate reads. */
export function isPolicyObject(object: KubeObject): boolean {
  return adapterFor(object) !== undefined;
}

/**
 * The common form of a policy object, or undefined when the object is not a policy ztgate reads.
 * Fields of the wrong type are errors (shape.ts): the adapters read them as absent.
 */
export function normalizePolicy(object: KubeObject, options: NormalizeOptions): NormalizedPolicy | undefined {
  const policy = adapterFor(object)?.(object, options);
  if (policy === undefined) return undefined;
  const shapeErrors = policyShapeErrors(object);
  if (shapeErrors.length === 0) return policy;
  return withErrors(policy, [...shapeErrors, ...policy.errors]);
}

/** Kinds whose name alone is ambiguous get their API group: Calico's NetworkPolicy vs Kubernetes'. */
function qualifiedKind(policy: NormalizedPolicy): string {
  if (policy.flavour === 'calico') return `${policy.kind}.projectcalico.org`;
  return policy.kind;
}

/** A short reference for messages: `NetworkPolicy payments/allow-api`, `GlobalNetworkPolicy deny-all`. */
export function policyRef(policy: NormalizedPolicy): string {
  const where = policy.namespace === undefined ? '' : `${policy.namespace}/`;
  return `${qualifiedKind(policy)} ${where}${policy.name}`;
}
