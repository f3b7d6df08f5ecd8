/**
 * Names and words a fix uses for a workload. A Pod created with `generateName` has no name yet
 * (`catalog-7c9d8f-`); a fix must not name a ServiceAccount or policy after that prefix, which
 * ends in `-` and is no valid name. A Pod is "the pod"; every other kind has "the pod template".
 */
import { nonEmptyString } from '../objects.js';
import type { Workload } from '../types.js';

/** The label the Deployment controller puts on its pods and in their ReplicaSet's name. */
const POD_TEMPLATE_HASH = 'pod-template-hash';

/**
 * `text` without its trailing `-` and `.`, by a scan from the end. The regex `/[-.]+$/` it replaces
 * retried every start of a run of them that is not at the end: quadratic in the run (a request's
 * generateName of 40,000 dashes and an `x` took 9 s).
 */
function trimTrailingSeparators(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === '-' || text[end - 1] === '.')) end--;
  return text.slice(0, end);
}

/** A generateName prefix as a name: trailing `-`/`.` dropped, then a ReplicaSet's template hash. */
function fromGenerateName(prefix: string, workload: Workload): string {
  let base = trimTrailingSeparators(prefix);
  const hash = workload.labels[POD_TEMPLATE_HASH] ?? workload.podLabels[POD_TEMPLATE_HASH];
  if (hash !== undefined && hash !== '' && base.endsWith(`-${hash}`)) base = base.slice(0, -hash.length - 1);
  return base === '' ? workload.kind.toLowerCase() : base;
}

/**
 * The name a fix gives what it creates for this workload, from `name` (its top-level owner's):
 * unchanged, unless it is the workload's own generateName prefix.
 */
export function fixName(workload: Workload, name: string): string {
  const meta = workload.object.metadata;
  if (name !== workload.name || nonEmptyString(meta?.name) !== undefined) return name;
  const prefix = nonEmptyString(meta?.generateName);
  return prefix === undefined ? name : fromGenerateName(prefix, workload);
}

/** "the pod" for a Pod, "the pod template" for a kind that holds one. */
export function podWord(workload: Workload): string {
  return workload.templatePath === '' ? 'the pod' : 'the pod template';
}
