/**
 * The Pod Security Standards baseline controls that let a workload leave its sandbox, one rule a
 * control (kubernetes.io/docs/concepts/security/pod-security-standards, the v1.34 page). Two
 * fields of the baseline live in older rules whose names decision logs key on:
 * `spec.hostNetwork` in `no-host-network`, `privileged` and NET_ADMIN/NET_RAW/ALL in `no-net-admin`.
 */
import type { Rule } from '../rule.js';
import { noCustomSelinuxRule } from './no-custom-selinux.js';
import { noExtraCapabilitiesRule } from './no-extra-capabilities.js';
import { noHostNamespacesRule } from './no-host-namespaces.js';
import { noHostPathRule } from './no-host-path.js';
import { noHostPortsRule } from './no-host-ports.js';
import { noHostProbesRule } from './no-host-probes.js';
import { noHostProcessRule } from './no-host-process.js';
import { noUnconfinedAppArmorRule } from './no-unconfined-apparmor.js';
import { noUnconfinedSeccompRule } from './no-unconfined-seccomp.js';
import { noUnmaskedProcRule } from './no-unmasked-proc.js';
import { noUnsafeSysctlsRule } from './no-unsafe-sysctls.js';

export { BASELINE_CAPABILITIES } from './no-extra-capabilities.js';
export { SAFE_SYSCTLS, normalizeSysctlName } from './no-unsafe-sysctls.js';

/** The baseline rules in the order of the standard's table. */
export const POD_SECURITY_RULES: readonly Rule[] = Object.freeze([
  noHostProcessRule,
  noHostNamespacesRule,
  noExtraCapabilitiesRule,
  noHostPathRule,
  noHostPortsRule,
  noHostProbesRule,
  noUnconfinedAppArmorRule,
  noCustomSelinuxRule,
  noUnmaskedProcRule,
  noUnconfinedSeccompRule,
  noUnsafeSysctlsRule,
]);
