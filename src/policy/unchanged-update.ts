/**
 * An UPDATE that leaves everything ztgate judges as it was.
 *
 * ztgate judges what a change brings in. Controllers update workloads all day without touching
 * their pod template: the deployment controller scales an old ReplicaSet down during a rollout,
 * the garbage collector adds and removes finalizers, `kubectl scale` and HPAs set replicas, a
 * CronJob is suspended. Refusing those because the template was already non-compliant (created
 * before ztgate was installed or enforced, or before its ServiceAccount was fixed on the
 * Deployment) helps nobody: the scale-down that would retire the old pods is the one refused, and
 * a rollout that follows ztgate's own fix stalls with the old pods still running. Pods such an
 * update leads to are judged when they are created, so admitting it lets nothing new run.
 *
 * What counts as judged: the pod template (for a Pod, its labels, annotations and spec) and the
 * controller claim in metadata.ownerReferences — everything the workload rules read from the
 * object. A change to any of them, or an UPDATE without its old object, is judged in full.
 */
import { field } from './objects.js';
import { sameJson } from './sidecar/same-json.js';
import type { KubeObject, Workload } from './types.js';
import { readPath } from './workload.js';

/** What the workload rules read from one version of the object. */
function judgedContent(object: KubeObject, templatePath: string): unknown {
  const metadata = object.metadata;
  const template =
    templatePath === ''
      ? {
          labels: field(metadata, 'labels'),
          annotations: field(metadata, 'annotations'),
          spec: object['spec'],
        }
      : readPath(object, templatePath);
  return { template, ownerReferences: field(metadata, 'ownerReferences') };
}

/**
 * True when `oldObject` is the same workload (kind, namespace, name) and the update changes
 * nothing the workload rules read: then findings it carries were there before and are not the
 * update's doing.
 */
export function leavesJudgedContentUnchanged(workload: Workload, oldObject: KubeObject | undefined): boolean {
  if (oldObject === undefined || oldObject.kind !== workload.kind) return false;
  if (field(oldObject.metadata, 'name') !== workload.object.metadata?.name) return false;
  return sameJson(
    judgedContent(oldObject, workload.templatePath),
    judgedContent(workload.object, workload.templatePath),
  );
}
