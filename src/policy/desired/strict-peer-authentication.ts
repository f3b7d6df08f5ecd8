/**
 * The STRICT PeerAuthentication ztgate's controller keeps in every enforced namespace under the
 * Istio providers (`mesh.createStrictPeerAuthentication`). Namespace-wide rather than one
 * mesh-wide policy in the root namespace: a mesh-wide STRICT would also require mTLS in
 * namespaces ztgate audits or exempts, and audit means no enforcement. Pure: the controller
 * writes it, `strict-mtls` shows it as the fix.
 */
import { MANAGED_BY_LABEL, type ZtgateConfig } from '../config.js';
import type { KubeObject } from '../types.js';

/** The policy's name. */
export const STRICT_PEER_AUTHENTICATION_NAME = 'ztgate-strict-mtls';

/** The namespace's STRICT policy (namespace-wide; mesh-wide in the root namespace). */
export function strictPeerAuthenticationManifest(namespace: string): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: STRICT_PEER_AUTHENTICATION_NAME, namespace, labels: { [MANAGED_BY_LABEL]: 'ztgate' } },
    spec: { mtls: { mode: 'STRICT' } },
  };
}

/** What the controller ensures in an enforced namespace; undefined when it creates none (not Istio, or switched off). */
export function buildDesiredPeerAuthentication(
  config: ZtgateConfig,
  namespace: string,
): KubeObject | undefined {
  const istio = config.mesh.provider === 'istio' || config.mesh.provider === 'istio-ambient';
  return istio && config.mesh.createStrictPeerAuthentication
    ? strictPeerAuthenticationManifest(namespace)
    : undefined;
}
