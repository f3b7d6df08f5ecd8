import { joinPath } from '../../objects.js';
import type { Violation, Workload } from '../../types.js';
import type { Rule } from '../rule.js';
import { contextField, exemptionNote, isEnforced, refuseContextValues } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-unconfined-seccomp';

const SECCOMP_PROFILE_TYPE = contextField('seccompProfile', 'type');

const ALLOWED_TYPES: ReadonlySet<unknown> = new Set(['RuntimeDefault', 'Localhost']);

/**
 * The alpha annotations the kubelet honoured before the 1.19 field (and up to 1.26): the pod's,
 * and one per container.
 */
const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function annotationViolations(workload: Workload): Violation[] {
  const violations: Violation[] = [];
  for (const [key, value] of Object.entries(workload.podAnnotations)) {
    const applies = key === POD_ANNOTATION || key.startsWith(CONTAINER_ANNOTATION_PREFIX);
    if (!applies || value !== 'unconfined') continue;
    violations.push({
      rule: RULE,
      path: joinPath(workload.templatePath, `metadata.annotations.${key}`),
      value,
      message: `${workload.kind} ${quoteValue(workload.name)}: the annotation ${key}: unconfined switches seccomp off.`,
      fix: `Remove the annotation ${key}, or set it to runtime/default.`,
    });
  }
  return violations;
}

/**
 * Pod Security Standards baseline, "Seccomp": `seccompProfile.type` of the pod and of every
 * container must be undefined, RuntimeDefault or Localhost — never Unconfined; the older alpha
 * annotations must not say `unconfined` either (PodSecurity admission judges them the same way).
 */
export const noUnconfinedSeccompRule: Rule = {
  name: RULE,
  description: 'seccomp is never set to Unconfined (Pod Security Standards baseline, Seccomp).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const fields = refuseContextValues(
      workload,
      config,
      RULE,
      SECCOMP_PROFILE_TYPE,
      ({ value }) => ALLOWED_TYPES.has(value),
      {
        why: 'an unconfined container reaches every system call of the node kernel.',
        fix: () =>
          'Remove seccompProfile, or set:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n' +
          exemptionNote(workload.namespace),
      },
    );
    return [...fields, ...annotationViolations(workload)];
  },
};
