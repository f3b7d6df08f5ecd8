import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../policy/types.js';
import { KUBECTL_YAML } from './go-yaml.js';
import { InputError, type ObjectSource } from './input-error.js';

/** Objects read from one text, each with where it came from. */
export interface ParsedObjects {
  readonly objects: KubeObject[];
  readonly sources: ObjectSource[];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks one decoded value is a Kubernetes object; typed List items may omit kind/apiVersion. */
function toObject(
  value: unknown,
  source: ObjectSource,
  defaults?: { kind: string; apiVersion: string },
): KubeObject {
  if (!isMapping(value)) throw new InputError(source, 'not a Kubernetes object (expected a mapping)');
  const object =
    defaults === undefined ? value : { apiVersion: defaults.apiVersion, kind: defaults.kind, ...value };
  if (typeof object['apiVersion'] !== 'string' || object['apiVersion'] === '') {
    throw new InputError(source, 'the object has no apiVersion');
  }
  if (typeof object['kind'] !== 'string' || object['kind'] === '')
    throw new InputError(source, 'the object has no kind');
  if (object['metadata'] !== undefined && !isMapping(object['metadata'])) {
    throw new InputError(source, 'metadata is not a mapping');
  }
  return object as KubeObject;
}

/** Adds a document's object(s): a `kind: List` (or typed `PodList`, …) contributes its items. */
function addDocument(value: unknown, source: ObjectSource, out: ParsedObjects): void {
  const object = toObject(value, source);
  const kind = object.kind ?? '';
  const items = object['items'];
  if (!kind.endsWith('List') || !Array.isArray(items)) {
    out.objects.push(object);
    out.sources.push(source);
    return;
  }
  // Items of a typed list from the API (PodList) carry no kind; the list's kind names it.
  const defaults =
    kind === 'List' ? undefined : { kind: kind.slice(0, -4), apiVersion: object.apiVersion ?? '' };
  (items as unknown[]).forEach((item, index) => {
    const itemSource = { ...source, item: index + 1 };
    out.objects.push(toObject(item, itemSource, defaults));
    out.sources.push(itemSource);
  });
}

/**
 * Parses multi-document YAML (JSON is accepted too) as kubectl does (go-yaml v2: YAML 1.1 scalars
 * and merge keys, see go-yaml.ts), so `hostNetwork: yes` is the `true` the API server receives;
 * empty documents are skipped.
 */
export function parseYaml(text: string, file: string): ParsedObjects {
  const out: ParsedObjects = { objects: [], sources: [] };
  const documents = parseAllDocuments(text, { ...KUBECTL_YAML, prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [];
  list.forEach((document, index) => {
    const source = { file, document: index + 1 };
    const error = document.errors[0];
    if (error !== undefined)
      throw new InputError(source, `invalid YAML: ${error.message.split('\n')[0]?.replace(/:$/, '')}`);
    // maxAliasCount bounds alias expansion ("billion laughs") in untrusted input.
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    addDocument(value, source, out);
  });
  return out;
}

/** Parses one JSON document (an object or a List). */
export function parseJson(text: string, file: string): ParsedObjects {
  const out: ParsedObjects = { objects: [], sources: [] };
  const source = { file, document: 1 };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(source, `invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  addDocument(value, source, out);
  return out;
}

/** Parses a manifest text by file name: `.json` as JSON, anything else as YAML. */
export function parseManifests(text: string, file: string): ParsedObjects {
  return file.toLowerCase().endsWith('.json') ? parseJson(text, file) : parseYaml(text, file);
}
