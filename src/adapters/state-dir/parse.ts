import { parseAllDocuments, type YAMLError } from 'yaml';
import type { KubeObject } from '../../policy/types.js';
import { KUBECTL_YAML } from './go-yaml.js';
import { InputError, type ObjectSource } from './input-error.js';

/** Objects read from one text, each with where it came from. */
export interface ParsedObjects {
  readonly objects: KubeObject[];
  readonly sources: ObjectSource[];
  /** Documents left out as not Kubernetes objects (only with `skipUnknown`). */
  readonly skipped: ObjectSource[];
}

/** How a text is parsed. */
export interface ParseOptions {
  /**
   * Leave out documents that are not Kubernetes objects at all (neither apiVersion nor kind:
   * tsconfig.json, Helm values) instead of refusing them. A document with one and not the other
   * is a broken manifest and still refused.
   */
  readonly skipUnknown?: boolean;
}

/** The most aliases one document may expand ("billion laughs" in untrusted input). */
const MAX_ALIAS_COUNT = 100;

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether a decoded document is no Kubernetes object at all: a mapping with neither apiVersion nor kind, or a scalar or list. */
function isForeign(value: unknown): boolean {
  return !isMapping(value) || (value['apiVersion'] === undefined && value['kind'] === undefined);
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
function addDocument(value: unknown, source: ObjectSource, out: ParsedObjects, options: ParseOptions): void {
  if (options.skipUnknown === true && isForeign(value)) {
    out.skipped.push(source);
    return;
  }
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

/** 1-based line of an offset in `text`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1))
    line += 1;
  return line;
}

/**
 * The line a YAML error is about. The parser reports an unclosed `[` or `{` at the end of the
 * input, past the last line; and a key indented deeper than its siblings at the value before it
 * (the key "spans" two lines). The line a reader must edit is the last line with text, and the
 * line of the stray key.
 */
function errorLine(text: string, errors: readonly YAMLError[]): number {
  const multiline = errors.find((error) => error.code === 'MULTILINE_IMPLICIT_KEY');
  let offset = multiline === undefined ? (errors[0]?.pos[0] ?? 0) : multiline.pos[1] - 1;
  const lastText = text.trimEnd().length - 1;
  if (offset > lastText) offset = Math.max(lastText, 0);
  return lineAt(text, offset);
}

/** "invalid YAML at line 9 (`  labels: {a: 1`): Flow map … must end with a }". */
function describeYamlError(text: string, errors: readonly YAMLError[]): string {
  const line = errorLine(text, errors);
  const shown = (text.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  const quoted = shown.trim() === '' ? '' : ` (\`${shown.length > 80 ? `${shown.slice(0, 79)}…` : shown}\`)`;
  const message = (errors[0]?.message ?? 'unreadable')
    .split('\n')[0]
    ?.replace(/ at line \d+, column \d+:?$/, '');
  return `invalid YAML at line ${line}${quoted}: ${message ?? ''}`;
}

/** A document's value; an alias bomb is an InputError naming the document, not a crash. */
function decode(document: ReturnType<typeof parseAllDocuments>[number], source: ObjectSource): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (/alias/i.test(reason))
      throw new InputError(
        source,
        `refused: the document expands more than ${MAX_ALIAS_COUNT} YAML aliases (an alias bomb?)`,
      );
    throw new InputError(source, `invalid YAML: ${reason}`);
  }
}

/**
 * Parses multi-document YAML (JSON is accepted too) as kubectl does (go-yaml v2: YAML 1.1 scalars
 * and merge keys, see go-yaml.ts), so `hostNetwork: yes` is the `true` the API server receives;
 * empty documents are skipped.
 */
export function parseYaml(text: string, file: string, options: ParseOptions = {}): ParsedObjects {
  const out: ParsedObjects = { objects: [], sources: [], skipped: [] };
  const documents = parseAllDocuments(text, { ...KUBECTL_YAML, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  list.forEach((document, index) => {
    const source = { file, document: index + 1 };
    if (document.errors.length > 0) throw new InputError(source, describeYamlError(text, document.errors));
    const value = decode(document, source);
    if (value === null || value === undefined) return;
    addDocument(value, source, out, options);
  });
  return out;
}

/** "… at position 42" from JSON.parse, with the line it falls on. */
function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/\(line \d+/.test(message)) return `invalid JSON: ${message}`;
  const position = /at position (\d+)/.exec(message);
  // The input ended too soon: the line to finish is the last one with text.
  const offset = position === null ? text.trimEnd().length - 1 : Number(position[1]);
  return `invalid JSON at line ${lineAt(text, Math.max(offset, 0))}: ${message}`;
}

/** Parses one JSON document (an object or a List). */
export function parseJson(text: string, file: string, options: ParseOptions = {}): ParsedObjects {
  const out: ParsedObjects = { objects: [], sources: [], skipped: [] };
  const source = { file, document: 1 };
  if (text.trim() === '') return out;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(source, describeJsonError(text, error));
  }
  addDocument(value, source, out, options);
  return out;
}

/** Parses a manifest text by file name: `.json` as JSON, anything else as YAML. */
export function parseManifests(text: string, file: string, options: ParseOptions = {}): ParsedObjects {
  return file.toLowerCase().endsWith('.json')
    ? parseJson(text, file, options)
    : parseYaml(text, file, options);
}
