import { MANAGED_BY_LABEL, type ZtgateConfig } from '../config.js';
import { isRecord } from '../objects.js';
import type { KubeObject } from '../types.js';
import type { DesiredMetadata } from './default-deny.js';

/** The name of ztgate's STRICT PeerAuthentication in each enforced namespace. */
export const STRICT_PEER_AUTHENTICATION_NAME = 'ztgate-strict-mtls';

/**
 * The API version ztgate writes: served by every Istio release that has PeerAuthentication
 * (security.istio.io/v1 only from 1.22 on); the API server stores both alike.
 */
export const PEER_AUTHENTICATION_API_VERSION = 'security.istio.io/v1beta1';

/** A PeerAuthentication ztgate wants in a namespace. */
export interface DesiredPeerAuthentication extends KubeObject {
  readonly apiVersion: typeof PEER_AUTHENTICATION_API_VERSION;
  readonly kind: 'PeerAuthentication';
  readonly metadata: DesiredMetadata;
  readonly spec: { readonly mtls: { readonly mode: 'STRICT' } };
}

/** Whether ztgate creates STRICT PeerAuthentications: an Istio provider and the config says so. */
export function createsStrictPeerAuthentication(config: ZtgateConfig): boolean {
  const istio = config.mesh.provider === 'istio' || config.mesh.provider === 'istio-ambient';
  return istio && config.mesh.createStrictPeerAuthentication;
}

/**
 * The namespace-wide STRICT PeerAuthentication of one enforced namespace (no selector, no port
 * levels), or undefined when ztgate creates none. Namespace by namespace rather than one in the
 * root namespace: a mesh-wide STRICT would also refuse plaintext to the meshed pods of namespaces
 * in audit mode, and audit means no enforcement.
 */
export function buildStrictPeerAuthentication(
  config: ZtgateConfig,
  namespace: string,
): DesiredPeerAuthentication | undefined {
  if (!createsStrictPeerAuthentication(config)) return undefined;
  return {
    apiVersion: PEER_AUTHENTICATION_API_VERSION,
    kind: 'PeerAuthentication',
    metadata: {
      name: STRICT_PEER_AUTHENTICATION_NAME,
      namespace,
      labels: { [MANAGED_BY_LABEL]: 'ztgate' },
    },
    spec: { mtls: { mode: 'STRICT' } },
  };
}

/**
 * Whether an existing PeerAuthentication's spec is exactly ztgate's: namespace-wide and STRICT,
 * with nothing added (a selector would narrow it, port levels could relax it).
 */
export function isSamePeerAuthenticationSpec(existing: KubeObject, desired: KubeObject): boolean {
  const spec = existing['spec'];
  const wanted = desired['spec'];
  if (!isRecord(spec) || !isRecord(wanted)) return false;
  const keys = Object.keys(spec).filter((key) => spec[key] !== null && spec[key] !== undefined);
  const mtls = spec['mtls'];
  return (
    keys.length === 1 &&
    keys[0] === 'mtls' &&
    isRecord(mtls) &&
    Object.keys(mtls).length === 1 &&
    JSON.stringify(mtls) === JSON.stringify(wanted['mtls'])
  );
}
