import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { contextField, contextValues, exemptionNote, isEnforced, refuseContextValues } from './read.js';

const RULE = 'no-custom-selinux';

const SE_LINUX_OPTIONS = contextField('seLinuxOptions');
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
    // Most pods set no seLinuxOptions anywhere: one scan answers, instead of one per field.
    if (contextValues(workload, config, SE_LINUX_OPTIONS).length === 0) return [];
    const fix = (field: string) =>
      `Remove seLinuxOptions.${field} (seLinuxOptions.level stays yours to set). ${exemptionNote(workload.namespace)}`;
    const custom = { why: 'a custom SELinux user or role is never allowed.' };
    return [
      ...refuseContextValues(
        workload,
        config,
        RULE,
        SE_LINUX_OPTIONS_TYPE,
        ({ value }) => ALLOWED_TYPES.has(value),
        {
          why: 'only container_t, container_init_t, container_kvm_t and container_engine_t keep the container confined.',
          fix: () => fix('type'),
        },
      ),
      ...refuseContextValues(workload, config, RULE, SE_LINUX_OPTIONS_USER, ({ value }) => value === '', {
        ...custom,
        fix: () => fix('user'),
      }),
      ...refuseContextValues(workload, config, RULE, SE_LINUX_OPTIONS_ROLE, ({ value }) => value === '', {
        ...custom,
        fix: () => fix('role'),
      }),
    ];
  },
};
