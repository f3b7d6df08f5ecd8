import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { contextField, exemptionNote, isEnforced, refuseContextValues } from './read.js';

const RULE = 'no-unmasked-proc';

const PROC_MOUNT = contextField('procMount');

/**
 * Pod Security Standards baseline, "/proc Mount Type": `procMount` of every container must be
 * undefined or `Default`. `Unmasked` drops the runtime's masks and read-only paths on /proc
 * (/proc/sys, /proc/sysrq-trigger, /proc/kcore …), which guard the node's kernel.
 */
export const noUnmaskedProcRule: Rule = {
  name: RULE,
  description: 'Containers keep the default /proc masks (Pod Security Standards baseline, /proc Mount Type).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    // procMount is a container field only; a pod-level one is no Kubernetes field and is ignored.
    return refuseContextValues(
      workload,
      config,
      RULE,
      PROC_MOUNT,
      ({ value, container }) => container === undefined || value === 'Default',
      {
        why: "an unmasked /proc exposes the node kernel's controls (/proc/sys, /proc/sysrq-trigger) to the container.",
        fix: () => `Remove \`procMount\` (or set it to Default). ${exemptionNote(workload.namespace)}`,
      },
    );
  },
};
