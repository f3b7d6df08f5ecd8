import type { ZtgateConfig } from '../config.js';
import { buildDesiredPolicies } from '../desired/default-deny.js';
import { renderFix } from './render.js';

/** The fix for a namespace without a default deny: the policies the reconciler creates (deny, then the DNS allowance when configured). */
export function buildDefaultDenyFix(namespace: string, config: ZtgateConfig): string {
  const manifests = buildDesiredPolicies(config, namespace).map((value) => ({ value }));
  const prose = config.defaultDeny.create
    ? `ztgate creates these in namespace ${namespace} shortly; to create them now, apply:`
    : `Ask an administrator to create the default deny for namespace ${namespace}:`;
  return renderFix(prose, manifests);
}
