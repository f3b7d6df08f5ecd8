/** The JSON Patch that enrols a Namespace being created (/mutate on Namespace CREATE). */
import type { ZtgateConfig } from '../config.js';
import { isRecord, readLabels } from '../objects.js';
import { escapePointerSegment, type JsonPatchOp } from '../sidecar/json-patch.js';
import type { KubeObject } from '../types.js';
import { enrolmentPatch } from './enrolment.js';

/**
 * The patch that applies `enrolmentPatch` to a Namespace object: empty when there is nothing to do
 * (already enrolled, exempt, audit mode, the builtin provider, an admin's explicit opt-out, or a
 * malformed object). Missing maps are added whole; keys are escaped as JSON Pointer segments.
 */
export function buildEnrolmentJsonPatch(namespace: KubeObject, config: ZtgateConfig): readonly JsonPatchOp[] {
  const metadata = namespace.metadata;
  const name = metadata?.name;
  if (namespace.kind !== 'Namespace' || !isRecord(metadata) || typeof name !== 'string' || name === '')
    return [];
  const labels = readLabels(metadata.labels);
  const annotations = readLabels(metadata.annotations);
  const patch = enrolmentPatch({ name, labels, annotations }, config);
  if (patch === undefined) return [];
  const ops: JsonPatchOp[] = [];
  const remaining = { labels: { ...labels }, annotations: { ...annotations } };
  for (const key of patch.removeLabels) {
    ops.push({ op: 'remove', path: `/metadata/labels/${escapePointerSegment(key)}` });
    delete remaining.labels[key];
  }
  for (const where of ['labels', 'annotations'] as const) {
    const entries = patch.set.filter((entry) => entry.where === where);
    if (entries.length === 0) continue;
    if (!isRecord(metadata[where])) {
      ops.push({
        op: 'add',
        path: `/metadata/${where}`,
        value: Object.fromEntries(entries.map((entry) => [entry.key, entry.value])),
      });
      continue;
    }
    for (const entry of entries) {
      const path = `/metadata/${where}/${escapePointerSegment(entry.key)}`;
      ops.push({ op: entry.key in remaining[where] ? 'replace' : 'add', path, value: entry.value });
    }
  }
  return ops;
}
