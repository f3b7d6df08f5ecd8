import { stringify } from 'yaml';

/** A comment placed before the node at `path` (keys and indexes), as FixManifest carries it. */
interface NodeComment {
  readonly path: readonly (string | number)[];
  readonly text: string;
}

/**
 * Where a scalar stands: its text can depend on it (`---` starting a line at the root is a
 * document marker, so a root key `---` is quoted and a nested one is not).
 */
type Place = 'root-key' | 'key' | 'value' | 'item';

// Plain in every place under YAML 1.2's core schema: a letter first (no indicator, no number),
// then name characters only, and short (a key over 1,024 characters is written as `? key`).
// true/false/null in any case resolve to other types: left to yaml.
const PLAIN = /^[A-Za-z][A-Za-z0-9._/-]{0,199}$/;
const RESOLVES = /^(?:true|false|null)$/i;

// The yaml package's text for every other scalar, asked once in the same place (bounded).
const asked = new Map<string, string | undefined>();
const ASKED_MAX = 4096;

/** A one-scalar document standing in `place`, and what surrounds the scalar in its text. */
function probe(text: string, place: Place): readonly [unknown, string, string] {
  switch (place) {
    case 'root-key':
      return [{ [text]: 1 }, '', ': 1\n'];
    case 'key':
      return [{ k: { [text]: 1 } }, 'k:\n  ', ': 1\n'];
    case 'value':
      return [{ k: { k: text } }, 'k:\n  k: ', '\n'];
    case 'item':
      return [{ k: [text] }, 'k:\n  - ', '\n'];
  }
}

function askYaml(text: string, place: Place): string | undefined {
  const key = `${place}\u0000${text}`;
  if (asked.has(key)) return asked.get(key);
  const [value, prefix, suffix] = probe(text, place);
  const whole = stringify(value, { lineWidth: 0 });
  const inner =
    whole.startsWith(prefix) && whole.endsWith(suffix)
      ? whole.slice(prefix.length, whole.length - suffix.length)
      : undefined;
  // A multi-line text (block scalar, explicit key) depends on its indentation: not this path's.
  const answer = inner === undefined || inner.includes('\n') ? undefined : inner;
  if (asked.size >= ASKED_MAX) asked.clear();
  asked.set(key, answer);
  return answer;
}

function scalarText(value: unknown, place: Place): string | undefined {
  if (typeof value === 'string') {
    if (PLAIN.test(value) && !RESOLVES.test(value)) return value;
    return askYaml(value, place);
  }
  if (place === 'key' || place === 'root-key') return undefined;
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Signals a value outside what this writer reproduces; the caller renders with the yaml package. */
class Unsupported extends Error {}

/** Comments by path, as a tree walked beside the value: a node with no comment below costs nothing. */
interface CommentNode {
  text?: string;
  readonly below: Map<string | number, CommentNode>;
}

interface Writer {
  text: string;
  /** Objects met so far: the yaml package writes a repeated one as an anchor and alias. */
  readonly seen: Set<object>;
  /** Comments written. */
  placed: number;
}

function scalarOrThrow(value: unknown, place: Place): string {
  const text = scalarText(value, place);
  if (text === undefined) throw new Unsupported();
  return text;
}

/** `{}`/`[]` for an empty collection, a scalar's text, or undefined for a block collection. */
function inlineText(writer: Writer, value: unknown, place: Place): string | undefined {
  if (typeof value !== 'object' || value === null) return scalarOrThrow(value, place);
  // The yaml package writes an object met twice as an anchor and an alias.
  if (writer.seen.has(value)) throw new Unsupported();
  writer.seen.add(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  if (!isPlainObject(value)) throw new Unsupported();
  for (const _ in value) return undefined;
  return '{}';
}

/** Writes the comment before a node, if any, at `indent`. */
function writeComment(writer: Writer, node: CommentNode | undefined, indent: string): void {
  if (node?.text === undefined) return;
  writer.placed += 1;
  for (const line of node.text.split('\n')) writer.text += `${indent}# ${line}\n`;
}

/** A mapping's lines at `indent`, its first line starting with `first` instead (a sequence's dash). */
function writeMap(
  writer: Writer,
  map: Record<string, unknown>,
  indent: string,
  first: string,
  comments: CommentNode | undefined,
): void {
  let lead = first;
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) throw new Unsupported();
    const keyText = scalarOrThrow(key, indent === '' ? 'root-key' : 'key');
    const inline = inlineText(writer, value, 'value');
    // A comment before a scalar or an empty collection is not placed here: left to the yaml package.
    if (inline !== undefined) {
      writer.text += `${lead}${keyText}: ${inline}\n`;
    } else {
      writer.text += `${lead}${keyText}:\n`;
      const below = comments?.below.get(key);
      const inner = `${indent}  `;
      writeComment(writer, below, inner);
      if (Array.isArray(value)) writeSeq(writer, value, inner, below);
      else writeMap(writer, value as Record<string, unknown>, inner, inner, below);
    }
    lead = indent;
  }
}

function writeSeq(
  writer: Writer,
  seq: readonly unknown[],
  indent: string,
  comments: CommentNode | undefined,
): void {
  for (let index = 0; index < seq.length; index += 1) {
    const item = seq[index];
    const inline = inlineText(writer, item, 'item');
    if (inline !== undefined) {
      writer.text += `${indent}- ${inline}\n`;
      continue;
    }
    if (Array.isArray(item)) throw new Unsupported();
    const below = comments?.below.get(index);
    writeComment(writer, below, indent);
    // The item's first key shares the line of its dash.
    writeMap(writer, item as Record<string, unknown>, `${indent}  `, `${indent}- `, below);
  }
}

/**
 * The text `new Document(value).toString({ lineWidth: 0 })` of the yaml package gives, with each
 * comment placed before its node as render.ts places it, written directly for the manifests fixes
 * are made of: nested mappings and sequences of strings, safe integers, booleans and null, in
 * block style; comments before mappings and sequences below the root. Undefined for anything
 * else (the caller renders it with the yaml package): the two agree by construction where this
 * answers, and a property test holds them to it.
 */
export function writeBlockYaml(
  value: Readonly<Record<string, unknown>>,
  comments: readonly NodeComment[] = [],
): string | undefined {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return undefined;
  const root: CommentNode = { below: new Map() };
  for (const comment of comments) {
    if (comment.path.length === 0) return undefined;
    // An empty or padded comment line is trimmed by the yaml package: left to it.
    if (comment.text.split('\n').some((line) => line === '' || line.trim() !== line)) return undefined;
    let node = root;
    for (const step of comment.path) {
      let next = node.below.get(step);
      if (next === undefined) node.below.set(step, (next = { below: new Map() }));
      node = next;
    }
    node.text = comment.text;
  }
  const writer: Writer = { text: '', seen: new Set([value]), placed: 0 };
  try {
    writeMap(writer, value, '', '', root);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  // A comment this writer did not place (a path naming no node, or naming one by another
  // spelling, such as an index as a string) is left to the yaml package.
  return writer.placed === countComments(root) ? writer.text : undefined;
}

function countComments(node: CommentNode): number {
  let count = node.text === undefined ? 0 : 1;
  for (const below of node.below.values()) count += countComments(below);
  return count;
}
