/** The mesh's mTLS settings ztgate judges as objects: Istio PeerAuthentication and DestinationRule. */
import type { KubeObject } from '../types.js';
import { isDestinationRule } from './destination-rule.js';
import { isPeerAuthentication } from './peer-authentication.js';

/** Whether the object is a PeerAuthentication or DestinationRule ztgate reads. */
export function isMtlsPolicyObject(object: KubeObject): boolean {
  return isPeerAuthentication(object) || isDestinationRule(object);
}
