import { EXEMPT_LABEL, MODE_LABEL, type ZtgateConfig } from '../config.js';
import { enrolmentPatch, type EnrolmentPatch } from '../mesh/enrolment.js';
import { buildEnrolmentJsonPatch } from '../mesh/enrolment-patch.js';
import { isRecord, readLabels } from '../objects.js';
import type { JsonPatchOp } from '../sidecar/json-patch.js';
import type { KubeObject, Labels, NamespaceInfo } from '../types.js';
import { namespaceEnforcement } from './enforcement.js';

/** Label and annotation values to hold on a Namespace; null: the key must be absent. */
export interface NamespaceMarks {
  readonly labels: Readonly<Record<string, string | null>>;
  readonly annotations: Readonly<Record<string, string | null>>;
}

function withoutEnforcementLabels(labels: Labels): Labels {
  const { [EXEMPT_LABEL]: _exempt, [MODE_LABEL]: _mode, ...rest } = labels;
  return rest;
}

const asEnforced = (config: ZtgateConfig): ZtgateConfig =>
  config.mode === 'enforce' ? config : { ...config, mode: 'enforce' };

function toMarks(patch: EnrolmentPatch): NamespaceMarks {
  const labels: Record<string, string | null> = {};
  const annotations: Record<string, string | null> = {};
  for (const key of patch.removeLabels) labels[key] = null;
  for (const entry of patch.set) (entry.where === 'labels' ? labels : annotations)[entry.key] = entry.value;
  return { labels, annotations };
}

/**
 * What enrolling a namespace in the configured mesh changes on it, judged as if ztgate enforced
 * there: the controller writes it where ztgate enforces and reports it as withheld elsewhere, and
 * `ztgate audit` lists it. Undefined when nothing would change: already enrolled, the builtin
 * provider, an admin's explicit opt-out, or a namespace the config exempts for good. Whether
 * ztgate enforces is the caller's to decide (namespaceEnforcement), not read from the labels here.
 */
export function buildEnrolmentMarks(
  config: ZtgateConfig,
  namespace: NamespaceInfo,
): NamespaceMarks | undefined {
  const patch = enrolmentPatch(
    { ...namespace, labels: withoutEnforcementLabels(namespace.labels) },
    asEnforced(config),
  );
  return patch === undefined ? undefined : toMarks(patch);
}

function applyMarks(values: Labels, marks: Readonly<Record<string, string | null>>): Record<string, string> {
  const result: Record<string, string> = { ...values };
  for (const [key, value] of Object.entries(marks)) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

/** The Namespace as it is once enrolled: its own labels and annotations with the marks applied. */
export function buildEnrolledNamespace(namespace: NamespaceInfo, marks: NamespaceMarks): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace.name,
      labels: applyMarks(namespace.labels, marks.labels),
      annotations: applyMarks(namespace.annotations, marks.annotations),
    },
  };
}

/** The marks in words for logs and audit messages: `label istio-injection=enabled`, `no label x`. */
export function describeMarks(marks: NamespaceMarks): string {
  const words = (where: 'label' | 'annotation', values: NamespaceMarks['labels']): string[] =>
    Object.entries(values).map(([key, value]) =>
      value === null ? `no ${where} ${key}` : `${where} ${key}=${value}`,
    );
  return [...words('label', marks.labels), ...words('annotation', marks.annotations)].join(', ');
}

/**
 * The JSON Patch /mutate applies to a Namespace being created: the enrolment mark when ztgate
 * enforces there (namespaceEnforcement, which also voids labels next to a forged
 * `kubernetes.io/metadata.name`), nothing otherwise — audit means no enforcement.
 */
export function buildNamespaceCreatePatch(
  config: ZtgateConfig,
  namespace: KubeObject,
): readonly JsonPatchOp[] {
  const metadata = namespace.metadata;
  const name = metadata?.name;
  if (!isRecord(metadata) || typeof name !== 'string' || name === '') return [];
  const labels = readLabels(metadata.labels);
  if (namespaceEnforcement(config, name, labels).mode !== 'enforce') return [];
  // Enforcement is decided: the labels that switch it off must not decide it a second time.
  const judged = isRecord(metadata.labels)
    ? { ...namespace, metadata: { ...metadata, labels: withoutEnforcementLabels(labels) } }
    : namespace;
  return buildEnrolmentJsonPatch(judged, asEnforced(config));
}
