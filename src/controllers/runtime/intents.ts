import { coreResource, type ResourceSpec } from '../../adapters/kube/resources.js';
import { MANAGED_BY_LABEL } from '../../policy/config.js';
import { readLabels } from '../../policy/objects.js';
import type { KubeObject } from '../../policy/types.js';
import type { EnsureIntent, RemoveIntent } from './controller.js';

/** Whether an object carries ztgate's managed-by label: the only objects ztgate replaces wholesale or deletes. */
export function isManagedByZtgate(object: KubeObject): boolean {
  return readLabels(object.metadata?.labels)[MANAGED_BY_LABEL] === 'ztgate';
}

/** Options of an object ztgate owns outright. */
export interface OwnedObjectOptions {
  readonly resource: ResourceSpec;
  /** The whole object to create: apiVersion, kind, metadata (name, namespace, labels) and content. */
  readonly object: KubeObject;
  readonly enforcing: boolean;
  /** The top-level fields ztgate owns and restores ("spec"; "data" and "binaryData"). */
  readonly content: readonly string[];
  /** Whether an existing object's content means the same as the desired one's. */
  sameContent(existing: KubeObject, desired: KubeObject): boolean;
}

/**
 * An object ztgate creates and owns (a NetworkPolicy, a ConfigMap copy, a PeerAuthentication):
 * up to date when it still carries the managed-by label and the same content; a replacement keeps
 * the existing metadata (resourceVersion for optimistic locking, others' labels) and restores the
 * owned content and labels.
 */
export function ownedObject(options: OwnedObjectOptions): EnsureIntent {
  const { object, content } = options;
  const labels = readLabels(object.metadata?.labels);
  return {
    action: 'ensure',
    resource: options.resource,
    namespace: options.resource.namespaced ? object.metadata?.namespace : undefined,
    name: object.metadata?.name ?? '',
    enforcing: options.enforcing,
    create: {
      ...object,
      metadata: { ...object.metadata, labels: { ...labels, [MANAGED_BY_LABEL]: 'ztgate' } },
    },
    isUpToDate: (existing) => isManagedByZtgate(existing) && options.sameContent(existing, object),
    replacement(existing) {
      const kept = Object.fromEntries(Object.entries(existing).filter(([key]) => !content.includes(key)));
      const owned = Object.fromEntries(
        content.filter((key) => key in object).map((key) => [key, object[key]]),
      );
      const metadata = existing.metadata ?? {};
      const merged = { ...readLabels(metadata.labels), ...labels, [MANAGED_BY_LABEL]: 'ztgate' };
      return {
        ...kept,
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { ...metadata, labels: merged },
        ...owned,
      };
    },
  };
}

/** Label or annotation values to hold on an object; null means the key must be absent. */
export type MetadataMarks = Readonly<Record<string, string | null>>;

function holds(current: unknown, marks: MetadataMarks): boolean {
  const values = readLabels(current);
  return Object.entries(marks).every(([key, value]) =>
    value === null ? !(key in values) : values[key] === value,
  );
}

function apply(current: unknown, marks: MetadataMarks): Record<string, string> {
  const values: Record<string, string> = { ...readLabels(current) };
  for (const [key, value] of Object.entries(marks)) {
    if (value === null) delete values[key];
    else values[key] = value;
  }
  return values;
}

/** Options of marks (labels, annotations) on an object someone else owns. */
export interface MetadataMarksOptions {
  readonly resource: ResourceSpec;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly enforcing: boolean;
  readonly labels?: MetadataMarks;
  readonly annotations?: MetadataMarks;
}

/**
 * Labels and annotations held on an object ztgate does not own (a Namespace's mesh enrolment):
 * never created or deleted; only the named keys are set or removed, everything else is kept.
 */
export function metadataMarks(options: MetadataMarksOptions): EnsureIntent {
  const labels = options.labels ?? {};
  const annotations = options.annotations ?? {};
  return {
    action: 'ensure',
    resource: options.resource,
    namespace: options.namespace,
    name: options.name,
    enforcing: options.enforcing,
    create: undefined,
    isUpToDate: (existing) =>
      holds(existing.metadata?.labels, labels) && holds(existing.metadata?.annotations, annotations),
    replacement(existing) {
      const metadata = existing.metadata ?? {};
      return {
        ...existing,
        metadata: {
          ...metadata,
          labels: apply(metadata.labels, labels),
          annotations: apply(metadata.annotations, annotations),
        },
      };
    },
  };
}

/** Marks on a Namespace (mesh enrolment labels, Linkerd's inject annotation). */
export function namespaceMarks(
  namespace: string,
  marks: Omit<MetadataMarksOptions, 'resource' | 'namespace' | 'name'>,
): EnsureIntent {
  return metadataMarks({
    ...marks,
    resource: coreResource('Namespace'),
    namespace: undefined,
    name: namespace,
  });
}

/** An object that must go, deleted only while it carries ztgate's managed-by label. */
export function unwanted(resource: ResourceSpec, namespace: string | undefined, name: string): RemoveIntent {
  return { action: 'remove', resource, namespace: resource.namespaced ? namespace : undefined, name };
}
