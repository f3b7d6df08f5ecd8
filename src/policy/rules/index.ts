import { allowListPolicy } from './allow-list-policy.js';
import { dedicatedServiceAccount } from './dedicated-service-account.js';
import { namespaceDefaultDeny } from './namespace-default-deny.js';
import { noAllowAllPolicy, noAllowAllWorkload } from './no-allow-all-policy.js';
import { defaultDenyProtectedRule } from './default-deny-protected.js';
import { meshEnrolmentNamespace, meshEnrolmentWorkload } from './mesh-enrolment.js';
import { meshOptOutNamespace, meshOptOutWorkload } from './mesh-opt-out.js';
import { mtlsSidecarRule } from './mtls-sidecar.js';
import { strictMtlsNamespace, strictMtlsWorkload } from './strict-mtls.js';
import { strictMtlsSettings } from './strict-mtls-settings.js';
import { noHostNetworkRule } from './no-host-network.js';
import { noNetAdminRule } from './no-net-admin.js';
import { noProxyIdentityRule } from './no-proxy-identity.js';
import { noProxyPortsRule } from './no-proxy-ports.js';
import { noProxyProcessAccessRule } from './no-proxy-process-access.js';
import { POD_SECURITY_RULES } from './pod-security/index.js';
import { protectedNamespaceLabels } from './protected-namespace-labels.js';
import type { Rule } from './rule.js';

export type { Rule, RuleContext } from './rule.js';
export { allowListPolicy, findAllowListPolicies } from './allow-list-policy.js';
export { dedicatedServiceAccount, findSharers } from './dedicated-service-account.js';
export { hasDefaultDeny, namespaceDefaultDeny } from './namespace-default-deny.js';
export { noAllowAllPolicy, noAllowAllWorkload } from './no-allow-all-policy.js';
export { defaultDenyProtectedRule, isZtgateAdmin } from './default-deny-protected.js';
export { meshEnrolmentNamespace, meshEnrolmentWorkload } from './mesh-enrolment.js';
export { meshOptOutNamespace, meshOptOutWorkload } from './mesh-opt-out.js';
export { mtlsSidecarRule } from './mtls-sidecar.js';
export { strictMtlsNamespace, strictMtlsWorkload } from './strict-mtls.js';
export { strictMtlsSettings } from './strict-mtls-settings.js';
export { noHostNetworkRule } from './no-host-network.js';
export { noNetAdminRule } from './no-net-admin.js';
export { noProxyIdentityRule } from './no-proxy-identity.js';
export { noProxyPortsRule } from './no-proxy-ports.js';
export { noProxyProcessAccessRule } from './no-proxy-process-access.js';
export { POD_SECURITY_RULES } from './pod-security/index.js';
export { protectedNamespaceLabels } from './protected-namespace-labels.js';

/**
 * The ordered registry the engine runs; violations come out in this order. Rule 3 has one entry
 * for admitted policies and one for workloads, mesh-enrolment one for workloads and one for
 * namespaces (a Rule judges one kind of object).
 */
export const RULES: readonly Rule[] = Object.freeze([
  dedicatedServiceAccount,
  allowListPolicy,
  noAllowAllWorkload,
  namespaceDefaultDeny,
  noHostNetworkRule,
  ...POD_SECURITY_RULES,
  noProxyIdentityRule,
  noProxyProcessAccessRule,
  noProxyPortsRule,
  noNetAdminRule,
  meshEnrolmentWorkload,
  meshOptOutWorkload,
  mtlsSidecarRule,
  strictMtlsWorkload,
  noAllowAllPolicy,
  defaultDenyProtectedRule,
  protectedNamespaceLabels,
  meshEnrolmentNamespace,
  meshOptOutNamespace,
  strictMtlsNamespace,
  strictMtlsSettings,
]);
