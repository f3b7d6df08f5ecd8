import type { KubeObject } from '../../policy/types.js';
import { apiGroup, isRecord } from '../../policy/objects.js';
import { stripReport } from './report-digest.js';

type Json = Record<string, unknown>;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A copy of `source` with `changes` written over it. Not `{ ...source, key }`: V8 gives every
 * object built by a spread followed by more keys a hidden class of its own (about 400 bytes), and
 * the watch cache keeps four such objects per stored workload; Object.assign keeps them on shared
 * ones. But Object.assign sets each key, and setting `__proto__` replaces the copy's prototype: a
 * stored object whose JSON carries a `__proto__` key (a CRD that preserves unknown fields) would
 * lend ztgate fields the API server and the mesh never see. Such a source is spread, which defines
 * the key as a plain property, as JSON.parse did.
 */
function copyWith(source: Json, changes: Json = {}): Json {
  if (Object.hasOwn(source, '__proto__')) return { ...source, ...changes };
  return Object.assign({}, source, changes);
}

/** Keeps env names (rules may mention them) and drops values: Secrets leak through env, and they cost memory. */
function stripContainers(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((container: unknown) => {
    if (!isRecord(container) || !Array.isArray(container['env'])) return container;
    const env = (container['env'] as unknown[]).map((entry) =>
      isRecord(entry) ? { name: entry['name'] } : entry,
    );
    return copyWith(container, { env });
  });
}

function stripPodSpec(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  const result: Json = copyWith(spec);
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    if (key in result) result[key] = stripContainers(result[key]);
  }
  return result;
}

function stripTemplate(template: unknown): unknown {
  if (!isRecord(template)) return template;
  const metadata = isRecord(template['metadata'])
    ? stripMetadata(template['metadata'])
    : template['metadata'];
  return copyWith(template, { metadata, spec: stripPodSpec(template['spec']) });
}

function stripMetadata(metadata: Json): Json {
  const { managedFields: _managedFields, ...rest } = metadata;
  const annotations = rest['annotations'];
  if (isRecord(annotations) && LAST_APPLIED in annotations) {
    const { [LAST_APPLIED]: _lastApplied, ...others } = annotations;
    rest['annotations'] = others;
  }
  return rest;
}

function stripSpec(kind: string, spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  if (kind === 'Pod') return stripPodSpec(spec);
  if (kind === 'CronJob') {
    const jobTemplate = spec['jobTemplate'];
    if (!isRecord(jobTemplate) || !isRecord(jobTemplate['spec'])) return spec;
    const jobSpec = copyWith(jobTemplate['spec'], {
      template: stripTemplate(jobTemplate['spec']['template']),
    });
    return copyWith(spec, { jobTemplate: copyWith(jobTemplate, { spec: jobSpec }) });
  }
  if ('template' in spec) return copyWith(spec, { template: stripTemplate(spec['template']) });
  return spec;
}

/** A CRD keeps what says which versions are served and whether it is established; its schema can be large. */
function stripCrd(result: Json, spec: unknown, status: unknown): KubeObject {
  if (isRecord(spec)) {
    const versions = Array.isArray(spec['versions'])
      ? spec['versions'].map((v: unknown) => (isRecord(v) ? { name: v['name'], served: v['served'] } : v))
      : [];
    result['spec'] = { group: spec['group'], names: spec['names'], scope: spec['scope'], versions };
  }
  if (isRecord(status)) result['status'] = { conditions: status['conditions'] };
  return result as KubeObject;
}

/**
 * Reduces an object from the API server to what ztgate reads, and stamps apiVersion and kind
 * (list responses leave them off their items). Drops managedFields, status (except a Namespace's
 * phase, which says whether it is terminating, and a CRD's conditions), the last-applied annotation and env values.
 * A policy report keeps its summary and, in place of its results, their digest.
 */
export function stripObject(object: Json, apiVersion: string, kind: string): KubeObject {
  const { status, metadata, spec, ...rest } = object;
  const result: Json = copyWith(rest, { apiVersion, kind });
  if (isRecord(metadata)) result['metadata'] = stripMetadata(metadata);
  if (apiGroup(apiVersion) === 'wgpolicyk8s.io')
    return stripReport(copyWith(object, { apiVersion, kind }), result['metadata']);
  if (spec !== undefined) result['spec'] = stripSpec(kind, spec);
  if (kind === 'Namespace' && isRecord(status) && typeof status['phase'] === 'string') {
    result['status'] = { phase: status['phase'] };
  }
  if (kind === 'CustomResourceDefinition') return stripCrd(result, spec, status);
  return result as KubeObject;
}
