import { isRecord } from '../objects.js';
import type { KubeObject } from '../types.js';

/**
 * Whether an existing PeerAuthentication's spec is exactly ztgate's STRICT one (see
 * strict-peer-authentication.ts): namespace-wide and STRICT, with nothing added (a selector
 * would narrow it, port levels could relax it). The controller rewrites it otherwise.
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
