import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGroupVersion } from '../../src/policy/ownership.js';
import {
  clipText,
  flattenLines,
  isWhitespace,
  QUOTE_MAX_CHARS,
  quoteValue,
  showText,
} from '../../src/policy/message-text.js';

function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

describe('clipText', () => {
  it.each([
    ['a short text unchanged', 'web', 10, 'web'],
    ['exactly the limit unchanged', 'abcde', 5, 'abcde'],
    ['a long text cut with the count', 'abcdefgh', 5, 'abcde…[+3 chars]'],
    ['never half a surrogate pair', `abcd${'😀'}xyz`, 5, 'abcd…[+5 chars]'],
  ])('%s', (_name, text, max, expected) => {
    expect(clipText(text, max)).toBe(expected);
  });
});

describe('showText', () => {
  it.each([
    ['plain ASCII', 'storefront', 'storefront'],
    ['a NUL byte', 'a\u0000b', 'a\\u0000b'],
    ['a right-to-left override', 'evil\u202Etxt.exe', 'evil\\u202etxt.exe'],
    ['a Cyrillic look-alike in default', 'd\u0435fault', 'd\\u0435fault'],
    ['a zero-width space', 'web\u200B', 'web\\u200b'],
    ['line breaks and tabs', 'a\nb\tc', 'a\\nb\\tc'],
    ['a backslash (so an escape cannot be forged)', 'a\\u0000', 'a\\\\u0000'],
  ])('shows %s', (_name, text, expected) => {
    expect(showText(text)).toBe(expected);
  });

  it('quotes at most QUOTE_MAX_CHARS characters of a 3 MiB value', () => {
    const shown = showText('\u0000'.repeat(3 << 20));
    expect(shown).toBe(`${'\\u0000'.repeat(QUOTE_MAX_CHARS)}…[+${(3 << 20) - QUOTE_MAX_CHARS} chars]`);
  });
});

describe('quoteValue', () => {
  it.each<[string, unknown, string]>([
    ['a string', 'Allow', '"Allow"'],
    ['a string with a quote', 'a"b', '"a\\"b"'],
    ['a number', 42, '42'],
    ['a boolean', true, 'true'],
    ['null', null, 'null'],
    ['nothing', undefined, 'nothing'],
    ['a small mapping', { a: 1, b: ['x'] }, '{"a":1,"b":["x"]}'],
    ['a mapping nested deeper than two levels', { a: { b: { c: 1 } } }, '{"a":{"b":{…}}}'],
    ['a list nested 100,000 deep (JSON.stringify overflows the stack)', nested(100_000), '[[[…]]]'],
    ['a __proto__ key', JSON.parse('{"__proto__":{"x":1}}'), '{"__proto__":{"x":1}}'],
  ])('quotes %s', (_name, value, expected) => {
    expect(quoteValue(value)).toBe(expected);
  });

  it('bounds a list of a million items', () => {
    const quoted = quoteValue(new Array<number>(1_000_000).fill(7));
    expect(quoted.length).toBeLessThan(QUOTE_MAX_CHARS + 60);
    expect(quoted).toMatch(/,…\(\d+ more\)\]$/);
  });

  it('bounds any value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(quoteValue(value).length).toBeLessThanOrEqual(QUOTE_MAX_CHARS + 40 + 20);
      }),
    );
  });
});

describe('flattenLines', () => {
  it.each([
    ['one line unchanged', 'a  b', 'a  b'],
    ['a newline with spaces around', 'a  \n  b', 'a b'],
    ['several newlines in one run', 'a\n \n\tb', 'a b'],
    ['runs without a newline kept', 'a  b\nc  d', 'a  b c  d'],
    ['a leading and a trailing break', '\n a \n', ' a '],
  ])('%s', (_name, text, expected) => {
    expect(flattenLines(text)).toBe(expected);
  });

  it('is the old regex replacement on any text (reference model)', () => {
    const chars = fc.constantFrom(' ', '\n', '\t', '\r', '\u00a0', '\u2028', '\ufeff', 'a', 'b', '-');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        // The regex is the reference: quadratic on long inputs, exact on short ones.
        expect(flattenLines(text)).toBe(text.replace(/\s*\n\s*/g, ' '));
      }),
    );
  });

  it('reads whitespace as the regex \\s does, for every UTF-16 code unit', () => {
    for (let code = 0; code <= 0xffff; code++) {
      expect(isWhitespace(code)).toBe(/\s/.test(String.fromCharCode(code)));
    }
  });
});

describe('isGroupVersion (ownerReferences apiVersion)', () => {
  it('is the regex it replaced on any text (reference model)', () => {
    const chars = fc.constantFrom('a', 'v', '1', '/', '.', ' ');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(isGroupVersion(text)).toBe(/^[^/]*\/?[^/]+$/.test(text));
      }),
    );
  });
});
