import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestOf, digestOfLines } from '../../../src/adapters/kube/report-digest.js';

describe('digestOf: SHA-256 of the text, hex', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('gives the FIPS 180-2 digest of %j', (text, digest) => {
    expect(digestOf(text)).toBe(digest);
  });

  it('digests the UTF-8 of any text, as a Hash object does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(digestOf(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
      }),
    );
  });

  it('digests lines as one text joined by newlines', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (lines) => {
        expect(digestOfLines(lines)).toBe(createHash('sha256').update(lines.join('\n')).digest('hex'));
      }),
    );
  });
});
