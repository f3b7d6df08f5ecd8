/**
 * Typed readers for the pod-spec fields ztgate's rules read (host namespaces, privilege, user and
 * group ids, capabilities), shared by every rule so none reads them its own way. A value of the
 * wrong JSON type is refused by the API server's decoder (`hostNetwork: "true"` does not decode
 * into a bool), so podSpecTypeErrors reports it as invalid-object instead of letting a rule read
 * it as "not set": `check` must never pass what the cluster would refuse, nor read it differently.
 */
import {
  readBoolean,
  readInteger,
  readList,
  readObject,
  describeJsonType,
  type IntegerRange,
} from '../json-types.js';
import { isRecord, joinPath } from '../objects.js';
import type { JsonRecord } from '../sidecar/read.js';
import type { FieldError } from '../types.js';

/** PodSpec booleans: the host namespaces and the shared process namespace. */
export const POD_BOOLEANS = ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace'] as const;
/** One of the PodSpec booleans. */
export type PodBoolean = (typeof POD_BOOLEANS)[number];

/** Container securityContext booleans the rules read. */
export const CONTAINER_BOOLEANS = ['privileged', 'allowPrivilegeEscalation'] as const;
/** One of the container securityContext booleans. */
export type ContainerBoolean = (typeof CONTAINER_BOOLEANS)[number];

/** User and group ids, in the pod's and in each container's securityContext. */
export const ID_FIELDS = ['runAsUser', 'runAsGroup'] as const;
/** One of the id fields. */
export type IdField = (typeof ID_FIELDS)[number];

/** Pod validation's IsValidUserID / IsValidGroupID: 0 ≤ id ≤ 2^31 − 1. */
const ID_RANGE: IntegerRange = { min: 0, max: 2 ** 31 - 1 };

/** The container lists of a pod spec, in the order the kubelet starts them. */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
/** One of the container lists. */
export type ContainerList = (typeof CONTAINER_LISTS)[number];

/** One container of a pod spec with where it sits. */
export interface ContainerEntry {
  readonly list: ContainerList;
  readonly index: number;
  /** Its name, or `#<index>` when it has none. */
  readonly name: string;
  /** Its path below the pod template: `spec.<list>[<index>]`. */
  readonly path: string;
  readonly container: JsonRecord;
  /** Its securityContext when that is an object. */
  readonly securityContext: JsonRecord | undefined;
}

/** Every container of every list that is an object (malformed ones are podSpecTypeErrors' to report). */
export function listContainers(podSpec: JsonRecord): ContainerEntry[] {
  const entries: ContainerEntry[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = podSpec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container: unknown, index) => {
      if (!isRecord(container)) return;
      const name = typeof container['name'] === 'string' ? container['name'] : `#${index}`;
      const context = container['securityContext'];
      const securityContext = isRecord(context) ? context : undefined;
      entries.push({ list, index, name, path: `spec.${list}[${index}]`, container, securityContext });
    });
  }
  return entries;
}

/** Whether a PodSpec boolean is true (only a real `true`: the API server refuses any other type). */
export function podFlag(podSpec: JsonRecord, key: PodBoolean): boolean {
  return readBoolean(podSpec, key, '').value === true;
}

/** Whether a container securityContext boolean is true. */
export function containerFlag(entry: ContainerEntry, key: ContainerBoolean): boolean {
  return readBoolean(entry.securityContext, key, '').value === true;
}

/** The id a container runs with: its own securityContext's, else the pod's (Kubernetes' precedence). */
export function effectiveId(podSpec: JsonRecord, entry: ContainerEntry, key: IdField): number | undefined {
  return (
    readInteger(entry.securityContext, key, '', ID_RANGE).value ??
    readInteger(podSpec['securityContext'], key, '', ID_RANGE).value
  );
}

function capabilityErrors(context: JsonRecord, base: string): (FieldError | undefined)[] {
  const capabilities = readObject(context, 'capabilities', base);
  if (capabilities.value === undefined) return [capabilities.error];
  const path = joinPath(base, 'capabilities');
  const errors: (FieldError | undefined)[] = [];
  for (const key of ['add', 'drop']) {
    const list = readList(capabilities.value, key, path);
    errors.push(list.error);
    (list.value ?? []).forEach((item, index) => {
      if (typeof item === 'string') return;
      errors.push({
        path: `${path}.${key}[${index}]`,
        message: `a capability is ${describeJsonType(item)}, not a string`,
      });
    });
  }
  return errors;
}

/** A securityContext's typed fields: the pod's (ids) or a container's (ids, booleans, capabilities). */
function securityContextErrors(context: JsonRecord, base: string, container: boolean): FieldError[] {
  const errors: (FieldError | undefined)[] = ID_FIELDS.map(
    (key) => readInteger(context, key, base, ID_RANGE).error,
  );
  if (container) {
    errors.push(...CONTAINER_BOOLEANS.map((key) => readBoolean(context, key, base).error));
    errors.push(...capabilityErrors(context, base));
  }
  return errors.filter((error): error is FieldError => error !== undefined);
}

/**
 * Every field of the pod spec the rules read whose JSON type (or id range) the API server would
 * refuse, with its path under `templatePath`.
 */
export function podSpecTypeErrors(podSpec: JsonRecord, templatePath: string): FieldError[] {
  const base = joinPath(templatePath, 'spec');
  const errors: FieldError[] = [];
  for (const key of POD_BOOLEANS) {
    const error = readBoolean(podSpec, key, base).error;
    if (error !== undefined) errors.push(error);
  }
  const podContext = readObject(podSpec, 'securityContext', base);
  if (podContext.error !== undefined) errors.push(podContext.error);
  if (podContext.value !== undefined)
    errors.push(...securityContextErrors(podContext.value, joinPath(base, 'securityContext'), false));
  for (const list of CONTAINER_LISTS) {
    const containers = readList(podSpec, list, base);
    if (containers.error !== undefined) errors.push(containers.error);
    (containers.value ?? []).forEach((container, index) => {
      const path = joinPath(base, `${list}[${index}]`);
      if (!isRecord(container)) {
        errors.push({ path, message: `the container is ${describeJsonType(container)}, not an object` });
        return;
      }
      const context = readObject(container, 'securityContext', path);
      if (context.error !== undefined) errors.push(context.error);
      if (context.value !== undefined)
        errors.push(...securityContextErrors(context.value, joinPath(path, 'securityContext'), true));
    });
  }
  return errors;
}
