import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { contextField, contextValues, describeWhere, exemptionNote, isEnforced } from './read.js';

const RULE = 'no-custom-selinux';

const SE_LINUX_OPTIONS_TYPE = contextField('seLinuxOptions', 'type');
const SE_LINUX_OPTIONS_USER = contextField('seLinuxOptions', 'user');
const SE_LINUX_OPTIONS_ROLE = contextField('seLinuxOptions', 'role');

/** Allowed `seLinuxOptions.type` values (`container_engine_t` since Kubernetes 1.31). */
const ALLOWED_TYPES: ReadonlySet<unknown> = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

/**
 * Pod Security Standards baseline, "SELinux": `seLinuxOptions.type` of the pod and of every
 * container must be undefined, "" or one of the container types; `seLinuxOptions.user` and
 * `seLinuxOptions.role` must be undefined or "". A type such as `spc_t` (super-privileged
 * container) or a custom user/role lifts the confinement that keeps a container off the node.
 */
export const noCustomSelinuxRule: Rule = {
  name: RULE,
  description: 'No custom SELinux type, user or role (Pod Security Standards baseline, SELinux).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const found = [
      ...contextValues(workload, config, SE_LINUX_OPTIONS_TYPE)
        .filter(({ value }) => !ALLOWED_TYPES.has(value))
        .map((value) => ({ ...value, field: 'type' })),
      ...contextValues(workload, config, SE_LINUX_OPTIONS_USER)
        .filter(({ value }) => value !== '')
        .map((value) => ({ ...value, field: 'user' })),
      ...contextValues(workload, config, SE_LINUX_OPTIONS_ROLE)
        .filter(({ value }) => value !== '')
        .map((value) => ({ ...value, field: 'role' })),
    ];
    return found.map((entry): Violation => ({
      rule: RULE,
      path: entry.path,
      value: entry.value,
      message:
        `${workload.kind} "${workload.name}": ${describeWhere(entry)} sets seLinuxOptions.${entry.field} ` +
        `${JSON.stringify(entry.value)}: ${entry.field === 'type' ? 'only container_t, container_init_t, container_kvm_t and container_engine_t keep the container confined' : 'a custom SELinux user or role is never allowed'}.`,
      fix: `Remove seLinuxOptions.${entry.field} (seLinuxOptions.level stays yours to set). ${exemptionNote(workload.namespace)}`,
    }));
  },
};
