/**
 * `check` refuses a policy or Namespace that still holds a placeholder from one of ztgate's fixes
 * (`<caller-namespace>`, `app: <caller>`, …). kubectl apply refuses most of them as label values
 * only after the pipeline passed; an Istio principal holding one is stored and names nobody.
 */
import { describePlaceholder, findPlaceholders } from '../policy/fix/index.js';
import { isPolicyObject } from '../policy/policies/index.js';
import type { Decision, KubeObject, Violation } from '../policy/types.js';
import { isNamespaceObject } from './check-namespaces.js';

/** How many placeholders one object reports before it stops listing them. */
const SHOWN_MAX = 20;

/** `invalid-object` violations for each placeholder left in a -f policy or Namespace. */
export function findPlaceholderViolations(object: KubeObject): Violation[] {
  if (!isPolicyObject(object) && !isNamespaceObject(object)) return [];
  return findPlaceholders(object)
    .slice(0, SHOWN_MAX)
    .map(({ path, placeholder }) => ({
      rule: 'invalid-object',
      path,
      value: placeholder,
      message: `still holds the placeholder ${placeholder} from ztgate's fix: replace it with ${describePlaceholder(placeholder)}`,
      fix: `# Replace ${placeholder} at ${path} with ${describePlaceholder(placeholder)}, then run ztgate check again.`,
    }));
}

/** The decision with the object's placeholders added: refused whatever the mode, as kubectl apply fails. */
export function withPlaceholders(object: KubeObject, decision: Decision): Decision {
  const found = findPlaceholderViolations(object);
  if (found.length === 0) return decision;
  // The placeholder is the reason a field is invalid: the generic complaint at the same path
  // (a label value's syntax) would say the same thing less helpfully.
  const explained = new Set(found.map((violation) => violation.path));
  const violations = [...found, ...decision.violations.filter((violation) => !explained.has(violation.path))];
  return { ...decision, allowed: false, skipped: false, mode: 'enforce', violations, warnings: [] };
}
