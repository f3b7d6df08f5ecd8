/**
 * Typed readers for the pod-spec fields ztgate's rules read (host namespaces, privilege, user and
 * group ids, capabilities), shared by every rule so none reads them its own way. A value of the
 * wrong JSON type is refused by the API server's decoder (`hostNetwork: "true"` does not decode
 * into a bool), so podSpecTypeErrors reports it as invalid-object instead of letting a rule read
 * it as "not set": `check` must never pass what the cluster would refuse, nor read it differently.
 */
import {
  booleanError,
  describeJsonType,
  integerError,
  listError,
  objectError,
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

/** The capability lists of a container securityContext. */
const CAPABILITY_LISTS = ['add', 'drop'] as const;

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
  return podSpec[key] === true;
}

/** Whether a container securityContext boolean is true. */
export function containerFlag(entry: ContainerEntry, key: ContainerBoolean): boolean {
  return entry.securityContext?.[key] === true;
}

function validId(value: unknown): number | undefined {
  return integerError(value, '', '', ID_RANGE) === undefined && typeof value === 'number' ? value : undefined;
}

/** The id a container runs with: its own securityContext's, else the pod's (Kubernetes' precedence). */
export function effectiveId(podSpec: JsonRecord, entry: ContainerEntry, key: IdField): number | undefined {
  const podContext = podSpec['securityContext'];
  return validId(entry.securityContext?.[key]) ?? validId(isRecord(podContext) ? podContext[key] : undefined);
}

/** Where a securityContext sits: the pod's (no list), or a container's; its path is built only on error. */
interface ContextPlace {
  readonly base: string;
  readonly list?: ContainerList;
  readonly index?: number;
}

function contextPath(place: ContextPlace): string {
  const owner =
    place.list === undefined ? place.base : joinPath(place.base, `${place.list}[${place.index ?? 0}]`);
  return joinPath(owner, 'securityContext');
}

function checkCapabilities(context: JsonRecord, place: ContextPlace, errors: FieldError[]): void {
  const capabilities = context['capabilities'];
  if (!isRecord(capabilities)) {
    const error = objectError(capabilities, 'capabilities', contextPath(place));
    if (error !== undefined) errors.push(error);
    return;
  }
  for (const key of CAPABILITY_LISTS) {
    const list = capabilities[key];
    if (!Array.isArray(list)) {
      const error =
        list === undefined ? undefined : listError(list, key, `${contextPath(place)}.capabilities`);
      if (error !== undefined) errors.push(error);
      continue;
    }
    for (let index = 0; index < list.length; index += 1) {
      const item: unknown = list[index];
      if (typeof item === 'string') continue;
      const path = `${contextPath(place)}.capabilities.${key}[${index}]`;
      errors.push({ path, message: `a capability is ${describeJsonType(item)}, not a string` });
    }
  }
}

/** A securityContext's typed fields: the pod's (ids) or a container's (ids, booleans, capabilities). */
function checkSecurityContext(context: JsonRecord, place: ContextPlace, errors: FieldError[]): void {
  for (const key of ID_FIELDS) {
    const value = context[key];
    if (
      value === undefined ||
      (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= ID_RANGE.max)
    )
      continue;
    const error = integerError(value, key, contextPath(place), ID_RANGE);
    if (error !== undefined) errors.push(error);
  }
  if (place.list === undefined) return;
  for (const key of CONTAINER_BOOLEANS) {
    const value = context[key];
    if (value === undefined || typeof value === 'boolean') continue;
    const error = booleanError(value, key, contextPath(place));
    if (error !== undefined) errors.push(error);
  }
  if (context['capabilities'] !== undefined) checkCapabilities(context, place, errors);
}

function checkContainers(podSpec: JsonRecord, list: ContainerList, base: string, errors: FieldError[]): void {
  const containers = podSpec[list];
  if (!Array.isArray(containers)) {
    const error = listError(containers, list, base);
    if (error !== undefined) errors.push(error);
    return;
  }
  for (let index = 0; index < containers.length; index += 1) {
    const container: unknown = containers[index];
    if (!isRecord(container)) {
      const path = joinPath(base, `${list}[${index}]`);
      errors.push({ path, message: `the container is ${describeJsonType(container)}, not an object` });
      continue;
    }
    // The API server refuses a container without a name (a DNS-1123 label, unique in the pod) before
    // validating webhooks run; `check` must not pass what the cluster refuses.
    const name = container['name'];
    if (typeof name !== 'string' || name === '') {
      const path = joinPath(base, `${list}[${index}].name`);
      errors.push({
        path,
        message: `the container has no name (${describeJsonType(name)}); Kubernetes requires one`,
      });
    }
    const context = container['securityContext'];
    if (context === undefined || context === null) continue;
    if (isRecord(context)) checkSecurityContext(context, { base, list, index }, errors);
    else
      errors.push(objectError(context, 'securityContext', joinPath(base, `${list}[${index}]`)) as FieldError);
  }
}

/**
 * The most containers (init, app and ephemeral together) ztgate judges in one pod. Kubernetes sets
 * no limit, but no real pod comes near it; every rule reads every container, so an unbounded list
 * is unbounded work for one request (300,000 held the event loop 170 ms, every other admission
 * and /healthz waiting behind it). Past it the pod is refused as invalid-object, at once.
 */
export const MAX_CONTAINERS = 500;

/** An error when the pod spec lists more than MAX_CONTAINERS containers; counts without reading them. */
export function containerCountErrors(podSpec: unknown, templatePath: string): FieldError[] {
  if (!isRecord(podSpec)) return [];
  let total = 0;
  for (const list of CONTAINER_LISTS) {
    const items = podSpec[list];
    if (Array.isArray(items)) total += items.length;
  }
  if (total <= MAX_CONTAINERS) return [];
  return [
    {
      path: joinPath(templatePath, 'spec.containers'),
      message: `the pod lists ${total} containers (init, app and ephemeral); ztgate judges pods of at most ${MAX_CONTAINERS}`,
    },
  ];
}

/**
 * Every field of the pod spec the rules read whose JSON type (or id range) the API server would
 * refuse, with its path under `templatePath`.
 */
export function podSpecTypeErrors(podSpec: JsonRecord, templatePath: string): FieldError[] {
  const base = joinPath(templatePath, 'spec');
  const tooMany = containerCountErrors(podSpec, templatePath);
  if (tooMany.length > 0) return tooMany;
  const errors: FieldError[] = [];
  for (const key of POD_BOOLEANS) {
    const error = booleanError(podSpec[key], key, base);
    if (error !== undefined) errors.push(error);
  }
  const podContext = podSpec['securityContext'];
  if (isRecord(podContext)) checkSecurityContext(podContext, { base }, errors);
  else {
    const error = objectError(podContext, 'securityContext', base);
    if (error !== undefined) errors.push(error);
  }
  for (const list of CONTAINER_LISTS) checkContainers(podSpec, list, base, errors);
  return errors;
}
