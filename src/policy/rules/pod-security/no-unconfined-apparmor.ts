import { joinPath } from '../../objects.js';
import type { Violation, Workload } from '../../types.js';
import type { Rule } from '../rule.js';
import { contextField, exemptionNote, isEnforced, refuseContextValues } from './read.js';
import { quoteValue } from '../../message-text.js';

const RULE = 'no-unconfined-apparmor';

const APP_ARMOR_PROFILE_TYPE = contextField('appArmorProfile', 'type');

/** The beta annotation that set AppArmor profiles before the 1.30 `appArmorProfile` field. */
const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** Allowed `appArmorProfile.type` values (the field, Kubernetes ≥ 1.30). */
const ALLOWED_TYPES: ReadonlySet<unknown> = new Set(['RuntimeDefault', 'Localhost']);

/** Allowed annotation values: unset, `runtime/default`, or a profile loaded on the node. */
function isAllowedAnnotation(value: string): boolean {
  return value === '' || value === 'runtime/default' || value.startsWith('localhost/');
}

const FIX_YAML = '  securityContext:\n    appArmorProfile:\n      type: RuntimeDefault';

function annotationViolations(workload: Workload): Violation[] {
  const violations: Violation[] = [];
  for (const [key, value] of Object.entries(workload.podAnnotations)) {
    if (!key.startsWith(ANNOTATION_PREFIX) || isAllowedAnnotation(value)) continue;
    const container = key.slice(ANNOTATION_PREFIX.length);
    violations.push({
      rule: RULE,
      path: joinPath(workload.templatePath, `metadata.annotations.${key}`),
      value,
      message:
        `${workload.kind} ${quoteValue(workload.name)}: container ${quoteValue(container)} gets AppArmor profile ${quoteValue(value)} by annotation: ` +
        "anything but runtime/default or a node's localhost/ profile lifts the confinement the runtime applies by default.",
      fix: `Remove the annotation ${key} (the runtime then applies runtime/default), or set it to runtime/default.`,
    });
  }
  return violations;
}

/**
 * Pod Security Standards baseline, "AppArmor": `appArmorProfile.type` of the pod and of every
 * container must be undefined, RuntimeDefault or Localhost, and the beta annotations
 * `container.apparmor.security.beta.kubernetes.io/*` undefined, `runtime/default` or
 * `localhost/*`: no workload switches AppArmor off (`Unconfined`, `unconfined`).
 */
export const noUnconfinedAppArmorRule: Rule = {
  name: RULE,
  description:
    'No AppArmor override but RuntimeDefault or Localhost (Pod Security Standards baseline, AppArmor).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const fields = refuseContextValues(
      workload,
      config,
      RULE,
      APP_ARMOR_PROFILE_TYPE,
      ({ value }) => ALLOWED_TYPES.has(value),
      {
        why: 'only RuntimeDefault and Localhost keep the container confined.',
        fix: () => `Remove appArmorProfile, or set:\n${FIX_YAML}\n${exemptionNote(workload.namespace)}`,
      },
    );
    return [...fields, ...annotationViolations(workload)];
  },
};
