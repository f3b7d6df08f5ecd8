import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCoverage, termSet, type AddressTerm } from '../../../src/policy/net/address-coverage.js';
import {
  containsAddress,
  differenceOf,
  intersectionOf,
  unionOf,
  type AddressSet,
} from '../../../src/policy/net/address-set.js';
import { parseCidr } from '../../../src/policy/net/cidr.js';

// Reference model: a small prefix universe. Every CIDR has a prefix of at most BITS bits, so
// membership is constant within each of the 2^BITS blocks of that size and a bit per block is
// the exact set. The implementation works on full-width bigint intervals; both must agree.
const BITS = 10;
const BLOCKS = 1 << BITS;

interface Block {
  readonly text: string;
  readonly prefix: number;
  readonly top: number;
}

function ipv4Text(top: number, host: number): string {
  const value = ((top << (32 - BITS)) | host) >>> 0;
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function ipv6Text(top: number, host: number): string {
  // The first 16-bit group holds the top BITS bits, then host bits; the rest are host bits too.
  const group = ((top << (16 - BITS)) | (host & ((1 << (16 - BITS)) - 1))).toString(16);
  return `${group}:${((host >>> 6) & 0xffff).toString(16)}::${(host & 0xffff).toString(16)}`;
}

/** A block of prefix ≤ BITS, written with random host bits (net.ParseCIDR masks them off). */
const block = (family: 4 | 6): fc.Arbitrary<Block> =>
  fc
    .record({
      prefix: fc.integer({ min: 0, max: BITS }),
      top: fc.integer({ min: 0, max: BLOCKS - 1 }),
      host: fc.nat(),
    })
    .map(({ prefix, top, host }) => {
      const masked = prefix === 0 ? 0 : (top >> (BITS - prefix)) << (BITS - prefix);
      const address = family === 4 ? ipv4Text(top, host & ((1 << (32 - BITS)) - 1)) : ipv6Text(top, host);
      return { text: `${address}/${prefix}`, prefix, top: masked };
    });

const term = (family: 4 | 6) =>
  fc.record({
    include: fc.option(fc.array(block(family), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    exclude: fc.array(block(family), { maxLength: 3 }),
  });

function inBlock(b: Block, index: number): boolean {
  return index >> (BITS - b.prefix) === b.top >> (BITS - b.prefix) || b.prefix === 0;
}

/** The reference: one boolean per block. */
function reference(terms: readonly { include?: readonly Block[]; exclude: readonly Block[] }[]): boolean[] {
  const bits = new Array<boolean>(BLOCKS).fill(false);
  for (const t of terms) {
    for (let index = 0; index < BLOCKS; index += 1) {
      const included = t.include === undefined || t.include.some((b) => inBlock(b, index));
      if (included && !t.exclude.some((b) => inBlock(b, index))) bits[index] = true;
    }
  }
  return bits;
}

function toTerm(t: { include?: readonly Block[]; exclude: readonly Block[] }): AddressTerm {
  const entry = (b: Block) => {
    const parsed = parseCidr(b.text, { bareAddress: false });
    if (!parsed.ok) throw new Error(`${b.text}: ${parsed.error}`);
    return { path: b.text, cidr: parsed.cidr };
  };
  return { path: 't', include: t.include?.map(entry), exclude: t.exclude.map(entry) };
}

/** The first address of each block, as the implementation sees addresses. */
const firstOf = (family: 4 | 6, index: number): bigint =>
  BigInt(index) << BigInt((family === 4 ? 32 : 128) - BITS);
const lastOf = (family: 4 | 6, index: number): bigint => firstOf(family, index + 1) - 1n;

/** Whether the set holds the first (or last) address of each block. */
function membership(set: AddressSet, family: 4 | 6, at: (family: 4 | 6, index: number) => bigint): boolean[] {
  return Array.from({ length: BLOCKS }, (_, index) => containsAddress(set, family, at(family, index)));
}

describe.each([4, 6] as const)('IPv%i address sets against a per-block reference', (family) => {
  const familyOnly = (t: { include?: readonly Block[]; exclude: readonly Block[] }) =>
    family === 4 ? t : { ...t, include: t.include ?? [{ text: '::/0', prefix: 0, top: 0 }] };

  it('a term admits exactly cidrs minus excepts', () => {
    fc.assert(
      fc.property(term(family), (generated) => {
        const t = familyOnly(generated);
        const set = termSet(toTerm(t));
        const bits = reference([t]);
        expect(membership(set, family, firstOf)).toEqual(bits);
        expect(membership(set, family, lastOf)).toEqual(bits);
      }),
      { numRuns: 300 },
    );
  });

  it('terms together cover the family exactly when every block is admitted (split CIDRs count)', () => {
    fc.assert(
      fc.property(fc.array(term(family), { minLength: 1, maxLength: 6 }), (generated) => {
        const terms = generated.map(familyOnly);
        const covered = findCoverage(terms.map(toTerm));
        const everyBlock = reference(terms).every(Boolean);
        expect(covered?.family === family).toBe(everyBlock);
      }),
      { numRuns: 500 },
    );
  });

  it('union, difference and intersection agree with the reference', () => {
    fc.assert(
      fc.property(term(family), term(family), (a, b) => {
        const [x, y] = [familyOnly(a), familyOnly(b)];
        const [setX, setY] = [termSet(toTerm(x)), termSet(toTerm(y))];
        const [bitsX, bitsY] = [reference([x]), reference([y])];
        const cases = [
          [unionOf(setX, setY), (index: number) => Boolean(bitsX[index] || bitsY[index])],
          [differenceOf(setX, setY), (index: number) => Boolean(bitsX[index] && !bitsY[index])],
          [intersectionOf(setX, setY), (index: number) => Boolean(bitsX[index] && bitsY[index])],
        ] as const;
        for (const [set, expected] of cases) {
          expect(membership(set, family, firstOf)).toEqual(
            Array.from({ length: BLOCKS }, (_, index) => expected(index)),
          );
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('split covers, the look-alikes, and IPv4-mapped blocks', () => {
  const cover = (...terms: [string[] | undefined, string[]][]) =>
    findCoverage(
      terms.map(([include, exclude]) =>
        toTerm({
          include: include?.map((text) => ({ text, prefix: 0, top: 0 })),
          exclude: exclude.map((text) => ({ text, prefix: 0, top: 0 })),
        }),
      ),
    );

  it.each<[string, [string[] | undefined, string[]][], number | undefined]>([
    [
      '0.0.0.0/1 + 128.0.0.0/1',
      [
        [['0.0.0.0/1'], []],
        [['128.0.0.0/1'], []],
      ],
      4,
    ],
    [
      '::/1 + 8000::/1',
      [
        [['::/1'], []],
        [['8000::/1'], []],
      ],
      6,
    ],
    [
      'what one except leaves out, another block admits',
      [
        [['0.0.0.0/0'], ['10.0.0.0/8']],
        [['10.0.0.0/8'], []],
      ],
      4,
    ],
    [
      'four /2 blocks in four terms',
      [
        [['0.0.0.0/2'], []],
        [['64.0.0.0/2'], []],
        [['128.0.0.0/2'], []],
        [['192.0.0.0/2'], []],
      ],
      4,
    ],
    [
      'the private ranges excepted (egress to the internet): not everyone',
      [[['0.0.0.0/0'], ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']]],
      undefined,
    ],
    [
      'one address missing: not everyone',
      [
        [['0.0.0.0/1'], []],
        [['128.0.0.0/1'], ['255.255.255.255/32']],
      ],
      undefined,
    ],
    ['a narrow block', [[['10.0.0.0/8'], []]], undefined],
    ['no block, only an except (Calico notNets): the other family is whole', [[undefined, ['0.0.0.0/0']]], 6],
    ['::ffff:0.0.0.0/96 read as IPv4 by Go-based CNIs', [[['::ffff:0.0.0.0/96'], []]], 4],
    [
      'mapped halves: ::ffff:0.0.0.0/97 + 128.0.0.0/1',
      [
        [['::ffff:0.0.0.0/97'], []],
        [['128.0.0.0/1'], []],
      ],
      4,
    ],
    [
      'a mapped except only under one reading: 0.0.0.0/0 except ::ffff:10.0.0.0/104',
      [[['0.0.0.0/0'], ['::ffff:10.0.0.0/104']]],
      4,
    ],
    [
      'a mapped block with its own mapped except: neither reading covers',
      [[['::ffff:0.0.0.0/96'], ['::ffff:10.0.0.0/104']]],
      undefined,
    ],
  ])('%s', (_name, terms, family) => {
    expect(cover(...terms)?.family).toBe(family);
  });
});
