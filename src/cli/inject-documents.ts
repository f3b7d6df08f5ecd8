/**
 * The documents of a manifest stream with the exact text each came from, so `ztgate inject`
 * prints a document it does not change byte for byte (comments, flow style, quoting and key
 * order as written: `add: [NET_ADMIN]` stays `add: [NET_ADMIN]`) and re-serializes only those it
 * injects. YAML is read as kubectl reads it (go-yaml v2, see go-yaml.ts) and written so kubectl
 * reads it back the same way: strings such as `on`, `yes` or `0755` are quoted.
 */
import { CST, Parser, parseAllDocuments, stringify, type Document } from 'yaml';
import { KUBECTL_YAML } from '../adapters/state-dir/go-yaml.js';

/** One document of a stream: its value, and its text as written. */
export interface RawDocument {
  readonly document: Document;
  /** Stream-level text before it (comments, directives) that belongs to no document. */
  readonly lead: string;
  /** The document's own text, from its `---` (if any) to its end, `...` included. */
  readonly text: string;
  /** Whether its text starts with a `---` marker. */
  readonly marked: boolean;
}

/** Splits a stream into its documents' source texts; the parser is lossless, so they add up to `source`. */
function documentTexts(source: string): { lead: string; text: string; marked: boolean }[] {
  const pieces: { lead: string; text: string; marked: boolean }[] = [];
  let pending = '';
  for (const token of new Parser().parse(source)) {
    const text = CST.stringify(token);
    if (token.type === 'document') {
      const marked = token.start.some((part) => part.type === 'doc-start');
      pieces.push({ lead: pending, text, marked });
      pending = '';
    } else if (token.type === 'doc-end' && pieces.length > 0) {
      const last = pieces[pieces.length - 1] as { lead: string; text: string; marked: boolean };
      pieces[pieces.length - 1] = { ...last, text: last.text + text };
    } else {
      pending += text;
    }
  }
  // Comments after the last document stay with it.
  if (pending !== '' && pieces.length > 0) {
    const last = pieces[pieces.length - 1] as { lead: string; text: string; marked: boolean };
    pieces[pieces.length - 1] = { ...last, text: last.text + pending };
  } else if (pending !== '') {
    pieces.push({ lead: pending, text: '', marked: false });
  }
  return pieces;
}

/** Parses a stream into documents, each with its source text; throws the first parse error. */
export function readDocuments(source: string): { documents: RawDocument[]; trailing: string } {
  const parsed = parseAllDocuments(source, { ...KUBECTL_YAML, prettyErrors: true });
  const list = Array.isArray(parsed) ? parsed : [];
  const texts = documentTexts(source);
  const documents: RawDocument[] = [];
  let trailing = '';
  texts.forEach((piece, index) => {
    const document = list[index];
    if (document === undefined) trailing += piece.lead + piece.text;
    else documents.push({ document, ...piece });
  });
  return { documents, trailing };
}

/** A changed document's text: its own `---` kept, the object written as kubectl reads it back. */
export function writeDocument(raw: Pick<RawDocument, 'lead' | 'marked'>, object: unknown): string {
  // lineWidth 0: never fold the long JSON status annotation.
  const body = stringify(object, { ...KUBECTL_YAML, lineWidth: 0 });
  return `${raw.lead}${raw.marked ? '---\n' : ''}${body}`;
}

/**
 * Joins document texts into one stream: a `---` goes between two documents where the second has
 * none of its own, and every text ends with a newline before the next.
 */
export function joinDocuments(parts: readonly { text: string; marked: boolean }[]): string {
  let out = '';
  parts.forEach((part, index) => {
    if (index > 0 && out !== '' && !out.endsWith('\n')) out += '\n';
    if (index > 0 && !part.marked) out += '---\n';
    out += part.text;
  });
  return out;
}
