/** Applying the sidecar patch to the pod template of any pod-bearing kind (`ztgate inject`, `check`). */
import jsonpatch from 'jsonpatch';
import type { SidecarConfig } from '../config.js';
import type { KubeObject, WorkloadKind } from '../types.js';
import type { JsonPatchOp } from './json-patch.js';
import { buildSidecarPatch } from './patch.js';
import { asRecord } from './read.js';

/** JSON Pointer of the pod template in each pod-bearing kind ("" for a Pod itself). */
export const POD_TEMPLATE_POINTERS: Readonly<Record<WorkloadKind, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

function isWorkloadKind(kind: unknown): kind is WorkloadKind {
  return typeof kind === 'string' && Object.hasOwn(POD_TEMPLATE_POINTERS, kind);
}

/** Returns the pod (template) inside a workload and its JSON Pointer, or undefined for other kinds. */
export function findPodTemplate(object: KubeObject): { pointer: string; pod: KubeObject } | undefined {
  if (!isWorkloadKind(object.kind)) return undefined;
  const segments = POD_TEMPLATE_POINTERS[object.kind];
  let node: unknown = object;
  for (const segment of segments) node = asRecord(node)?.[segment];
  const pod = asRecord(node);
  if (pod === undefined) return undefined;
  return { pointer: segments.map((segment) => `/${segment}`).join(''), pod };
}

/** Builds the sidecar patch for the pod template of any workload, with paths from the object's root. */
export function buildWorkloadPatch(
  object: KubeObject,
  config: SidecarConfig,
  namespace: string,
): readonly JsonPatchOp[] {
  const template = findPodTemplate(object);
  if (template === undefined) return [];
  const job = object.kind === 'Job' || object.kind === 'CronJob';
  const ops = buildSidecarPatch(template.pod, config, {
    namespace: object.metadata?.namespace ?? namespace,
    job,
  });
  return ops.map((op) => ({ ...op, path: `${template.pointer}${op.path}` }));
}

/**
 * Returns the object with the sidecar added to its pod template, as the API server will hold it
 * after ztgate's mutation; non-workloads and injected pods come back unchanged (same reference).
 * The object's own namespace wins over `namespace`, as with kubectl.
 */
export function injectPodTemplate(object: KubeObject, config: SidecarConfig, namespace: string): KubeObject {
  const ops = buildWorkloadPatch(object, config, namespace);
  if (ops.length === 0) return object;
  // jsonpatch copies along the patched paths and never mutates its input.
  return jsonpatch.apply_patch(object, ops) as KubeObject;
}
