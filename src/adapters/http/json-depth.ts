/**
 * The deepest nesting a request body may have. Kubernetes objects are a few dozen levels deep
 * (a CronJob's container port is 12); the API server's own decoder stops at 10,000. Past this a
 * body is refused with 400 before it is parsed: V8 parses any depth, but 1.5 million levels (a
 * 3 MiB body of brackets) took 300 ms of the event loop, and code that walks the result
 * recursively (JSON.stringify in a message) overflowed the stack at about 5,000.
 */
export const MAX_NESTING_DEPTH = 1000;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** At most `limit` opening brackets in the text (a native scan; strings count too, which only over-counts). */
function fewBrackets(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}

/**
 * Whether a JSON text nests deeper than `limit`. A body with fewer opening brackets than the limit
 * cannot (0.3 µs for an 8 KB pod: every real request ends there); others are scanned once,
 * skipping string contents, stopping at the first level past the limit.
 */
export function nestsDeeperThan(text: string, limit: number = MAX_NESTING_DEPTH): boolean {
  if (fewBrackets(text, limit)) return false;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      for (index++; index < text.length; index++) {
        const inner = text.charCodeAt(index);
        if (inner === BACKSLASH) index++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
