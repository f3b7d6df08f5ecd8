import { cutMarker } from '../policy/message-text.js';

/**
 * Byte-bounded strings for the decision log. A log line is JSON: a NUL byte takes six bytes
 * (`\u0000`), a quote two, a non-ASCII character two to four in UTF-8. Clipping by characters
 * let a 3 MiB request write an 8 MB line; these helpers clip by the bytes a string takes once
 * JSON-encoded, in one pass that stops at the budget.
 */

/**
 * Bytes the code unit at `index` takes in a JSON string written as UTF-8: two per half of a
 * surrogate pair (four for the character), six for a lone surrogate (escaped as `\udxxx`).
 */
function jsonBytesAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x20) return SHORT_ESCAPES.has(code) ? 2 : 6;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(index + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 2 : 6;
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const previous = text.charCodeAt(index - 1);
    return previous >= 0xd800 && previous <= 0xdbff ? 2 : 6;
  }
  return 3;
}

// \b \t \n \f \r: the controls JSON writes in two characters.
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/** The marker logged instead of a value that does not have the syntax Kubernetes gives it. */
export const INVALID_MARKER = '<invalid>';

/** A string for a log field: at most `maxBytes` once JSON-encoded (plus the cut marker). */
export function logText(text: string, maxBytes: number): string {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    bytes += jsonBytesAt(text, index);
    if (bytes > maxBytes) {
      const code = text.charCodeAt(index - 1);
      const end = code >= 0xd800 && code <= 0xdbff ? index - 1 : index;
      return `${text.slice(0, end)}${cutMarker(text.length - end)}`;
    }
  }
  return text;
}

/** Bytes a string takes once JSON-encoded as UTF-8, quotes excluded (as logText counts them). */
export function jsonByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) bytes += jsonBytesAt(text, index);
  return bytes;
}

/**
 * Strings for a list field (groups), each clipped to `eachMaxBytes`, together within
 * `totalMaxBytes`; what does not fit is counted in a last `…[+N more]` entry.
 */
export function logTexts(texts: readonly string[], eachMaxBytes: number, totalMaxBytes: number): string[] {
  const kept: string[] = [];
  // Room for the marker entry, so the list never exceeds its budget.
  let used = 24;
  for (const text of texts) {
    const shown = logText(text, eachMaxBytes);
    // Quotes and a comma besides the text.
    const cost = jsonByteLength(shown) + 3;
    if (used + cost > totalMaxBytes) break;
    kept.push(shown);
    used += cost;
  }
  if (kept.length < texts.length) kept.push(`…[+${texts.length - kept.length} more]`);
  return kept;
}
