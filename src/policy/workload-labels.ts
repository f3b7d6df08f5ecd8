/**
 * Label syntax of a pod-bearing object, as the API server validates it before any webhook sees
 * the object (ValidateObjectMeta, ValidatePodTemplateSpec, the controllers' label selectors): a
 * workload it would refuse is `invalid-object` in `ztgate check` too, never judged as if stored.
 */
import { joinPath, readPath } from './objects.js';
import { labelMapErrors } from './selectors/label-syntax.js';
import { validateLabelSelector } from './selectors/label-selector.js';
import type { FieldError, KubeObject } from './types.js';

/**
 * Errors in the object's labels, its pod template's labels and its selector (a label map for a
 * ReplicationController, a label selector for the apps and batch kinds), with their field paths.
 */
export function workloadLabelErrors(object: KubeObject, templatePath: string): FieldError[] {
  const errors = labelMapErrors(object.metadata?.labels, 'metadata.labels');
  if (templatePath === '') return errors;
  const templateLabels = joinPath(templatePath, 'metadata.labels');
  errors.push(...labelMapErrors(readPath(object, templateLabels), templateLabels));
  const selectorPath = templatePath.endsWith('template')
    ? `${templatePath.slice(0, -'template'.length)}selector`
    : templatePath;
  const selector = readPath(object, selectorPath);
  if (object.kind === 'ReplicationController') errors.push(...labelMapErrors(selector, selectorPath));
  else errors.push(...validateLabelSelector(selector, selectorPath));
  return errors;
}
