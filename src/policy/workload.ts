import {
  apiGroup,
  field,
  isRecord,
  joinPath,
  namespaceOf,
  nonEmptyString,
  readLabels,
  readPath,
} from './objects.js';

export { readPath } from './objects.js';
import { metadataTypeErrors } from './json-types.js';
import { readOwnerReferences } from './ownership.js';
import { podSpecTypeErrors } from './pod-spec/typed.js';
import { workloadLabelErrors } from './workload-labels.js';
import {
  WORKLOAD_KINDS,
  type ClusterView,
  type ControllerClaim,
  type FieldError,
  type KubeObject,
  type SelectTarget,
  type Workload,
  type WorkloadKind,
  type WorkloadRef,
} from './types.js';

/** Where each kind keeps its pod template ("" = the object is the pod). */
const TEMPLATE_PATHS: Readonly<Record<WorkloadKind, string>> = {
  Pod: '',
  Deployment: 'spec.template',
  StatefulSet: 'spec.template',
  DaemonSet: 'spec.template',
  ReplicaSet: 'spec.template',
  Job: 'spec.template',
  CronJob: 'spec.jobTemplate.spec.template',
  ReplicationController: 'spec.template',
};

// extensions/v1beta1 still turns up in old manifests; a same-named kind of a CRD group is not a workload.
const KIND_GROUPS: Readonly<Record<WorkloadKind, readonly string[]>> = {
  Pod: [''],
  Deployment: ['apps', 'extensions'],
  StatefulSet: ['apps'],
  DaemonSet: ['apps', 'extensions'],
  ReplicaSet: ['apps', 'extensions'],
  Job: ['batch'],
  CronJob: ['batch'],
  ReplicationController: [''],
};

/** The result of reading a pod-bearing object: the workload, or why it is malformed. */
export type WorkloadReading =
  | { readonly workload: Workload; readonly errors?: undefined }
  | { readonly workload?: undefined; readonly errors: readonly FieldError[] };

/** Whether the object is of a kind ztgate judges as a workload (kind and API group). */
export function isWorkloadObject(object: KubeObject): boolean {
  const kind = object.kind;
  if (!(WORKLOAD_KINDS as readonly string[]).includes(kind ?? '')) return false;
  return KIND_GROUPS[kind as WorkloadKind].includes(apiGroup(object.apiVersion));
}

function readServiceAccount(
  podSpec: Readonly<Record<string, unknown>>,
): Pick<Workload, 'serviceAccountName' | 'serviceAccountField'> {
  const named = nonEmptyString(podSpec['serviceAccountName']);
  if (named !== undefined) return { serviceAccountName: named, serviceAccountField: 'serviceAccountName' };
  // The API server copies the deprecated field into serviceAccountName when only it is set.
  const deprecated = nonEmptyString(podSpec['serviceAccount']);
  if (deprecated !== undefined)
    return { serviceAccountName: deprecated, serviceAccountField: 'serviceAccount' };
  return { serviceAccountName: undefined, serviceAccountField: undefined };
}

function shapeErrors(object: KubeObject, templatePath: string, namespace: string | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const meta = object.metadata;
  const typeErrors = metadataTypeErrors(meta);
  errors.push(...typeErrors);
  if (
    typeErrors.length === 0 &&
    nonEmptyString(meta?.name) === undefined &&
    nonEmptyString(meta?.generateName) === undefined
  ) {
    errors.push({ path: 'metadata.name', message: 'the object has no metadata.name' });
  }
  if (namespace === undefined && typeErrors.length === 0)
    errors.push({ path: 'metadata.namespace', message: 'the object has no namespace' });
  const template = readPath(object, templatePath);
  if (!isRecord(template)) {
    errors.push({ path: templatePath, message: `${templatePath} is not an object` });
  } else if (!isRecord(template['spec'])) {
    errors.push({ path: joinPath(templatePath, 'spec'), message: 'the pod spec is not an object' });
  } else {
    // Labels the API server would refuse make the object invalid, not merely unselected.
    errors.push(...workloadLabelErrors(object, templatePath));
    for (const key of ['serviceAccountName', 'serviceAccount']) {
      const value = template['spec'][key];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        errors.push({ path: joinPath(templatePath, `spec.${key}`), message: `${key} is not a string` });
      }
    }
    errors.push(...podSpecTypeErrors(template['spec'], templatePath));
  }
  return errors;
}

/**
 * Reads a pod-bearing object; undefined when it is not one, errors when it is one but malformed
 * (a malformed workload must be denied, never skipped).
 */
export function readWorkload(object: KubeObject, fallbackNamespace?: string): WorkloadReading | undefined {
  if (!isWorkloadObject(object)) return undefined;
  const kind = object.kind as WorkloadKind;
  const templatePath = TEMPLATE_PATHS[kind];
  const namespace = namespaceOf(object, fallbackNamespace);
  const owners = readOwnerReferences(object.metadata);
  const errors = [...shapeErrors(object, templatePath, namespace), ...owners.errors];
  if (errors.length > 0 || namespace === undefined) return { errors };
  const template = readPath(object, templatePath) as Readonly<Record<string, unknown>>;
  const podSpec = template['spec'] as Readonly<Record<string, unknown>>;
  const name = nonEmptyString(object.metadata?.name) ?? (object.metadata?.generateName as string);
  // A Pod is its own template: its labels are read once for both.
  const labelSource = object.metadata?.labels;
  const podLabelSource = field(template['metadata'], 'labels');
  const labels = readLabels(labelSource);
  const workload: Workload = {
    kind,
    apiVersion: object.apiVersion ?? '',
    namespace,
    name,
    labels,
    podLabels: podLabelSource === labelSource ? labels : readLabels(podLabelSource),
    podAnnotations: readLabels(field(template['metadata'], 'annotations')),
    podSpec,
    templatePath,
    controller: owners.claim,
    ...readServiceAccount(podSpec),
    object,
  };
  return { workload };
}

/** A workload's identity as a view keeps it, and the controller it claims (checked as the view is built). */
export interface WorkloadIdentity {
  /** Owned by itself until the view has verified the claim. */
  readonly ref: WorkloadRef;
  readonly claim: ControllerClaim | undefined;
}

/**
 * The identity facts of a well-formed workload, read without copying labels: what a view of
 * hundreds of thousands of objects needs and nothing more. Only kinds that create others keep
 * their uid (a claim on them must carry it); a Pod's would cost memory and serve nothing.
 */
export function readWorkloadIdentity(object: KubeObject): WorkloadIdentity | undefined {
  if (!isWorkloadObject(object)) return undefined;
  const kind = object.kind as WorkloadKind;
  const meta = object.metadata;
  const namespace = nonEmptyString(meta?.namespace);
  const name = nonEmptyString(meta?.name) ?? nonEmptyString(meta?.generateName);
  const podSpec = field(readPath(object, TEMPLATE_PATHS[kind]), 'spec');
  if (namespace === undefined || name === undefined || !isRecord(podSpec)) return undefined;
  const ref: WorkloadRef = {
    kind,
    namespace,
    name,
    uid: kind === 'Pod' ? undefined : nonEmptyString(meta?.uid),
    owner: { kind, namespace, name },
    serviceAccountName: readServiceAccount(podSpec).serviceAccountName,
  };
  return { ref, claim: readOwnerReferences(meta).claim };
}

/** A pod-bearing object reduced to what rules need; undefined when it is not one or is malformed. */
export function toWorkload(object: KubeObject, fallbackNamespace?: string): Workload | undefined {
  return readWorkload(object, fallbackNamespace)?.workload;
}

/** The pod as a policy's selector sees it, with namespace and ServiceAccount labels from the view. */
export function selectTargetFor(workload: Workload, view: ClusterView): SelectTarget {
  const sa =
    workload.serviceAccountName === undefined
      ? undefined
      : view.serviceAccount(workload.namespace, workload.serviceAccountName);
  return {
    namespace: workload.namespace,
    namespaceLabels: namespaceLabelsFor(view, workload.namespace),
    podLabels: workload.podLabels,
    serviceAccountName: workload.serviceAccountName ?? 'default',
    serviceAccountLabels: sa?.labels,
  };
}

/** A namespace's labels; the API server always sets kubernetes.io/metadata.name, so it is assumed. */
export function namespaceLabelsFor(view: ClusterView, namespace: string): Readonly<Record<string, string>> {
  return view.namespace(namespace)?.labels ?? { 'kubernetes.io/metadata.name': namespace };
}
