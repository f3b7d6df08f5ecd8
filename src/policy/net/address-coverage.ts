/**
 * "Everyone" by address: whether the CIDRs of one policy direction, minus their excepts, cover a
 * whole address family. Each term is one peer, source or rule (its blocks minus its excepts); the
 * direction admits the union of its terms. IPv4-mapped IPv6 blocks are read both ways (as IPv4,
 * like Go's net package and Calico; as IPv6, like netip, Cilium and Istio), and coverage under
 * either reading counts: ztgate cannot know which CNI reads the policy.
 */
import {
  addressSetOf,
  coversFamily,
  differenceOf,
  EVERY_ADDRESS,
  FAMILIES,
  hasFamily,
  intersectionOf,
  NO_ADDRESSES,
  unionOf,
  type AddressSet,
} from './address-set.js';
import type { IpFamily, IpRange, ParsedCidr } from './cidr.js';

/** One CIDR as written: where, and what it names. */
export interface AddressEntry {
  readonly path: string;
  readonly cidr: ParsedCidr;
}

/** One term of a direction: the blocks it admits (undefined: every address) minus its excepts. */
export interface AddressTerm {
  readonly path: string;
  readonly include: readonly AddressEntry[] | undefined;
  readonly exclude: readonly AddressEntry[];
  /** The families the rule is limited to (Calico `ipVersion`); both when absent. */
  readonly families?: readonly IpFamily[] | undefined;
}

/** How an IPv4-mapped IPv6 block is read. */
export type MappedReading = 'as-ipv4' | 'as-ipv6';

/** A family the terms cover together, and what covers it. */
export interface Coverage {
  readonly family: IpFamily;
  readonly reading: MappedReading;
  /** The blocks that admit addresses of the family, in order. */
  readonly entries: readonly AddressEntry[];
  /** Terms without blocks of their own (only excepts) that admit addresses of the family. */
  readonly openTerms: readonly AddressTerm[];
}

function rangeOf(entry: AddressEntry, reading: MappedReading): IpRange {
  return reading === 'as-ipv4' && entry.cidr.mappedIpv4 !== undefined
    ? entry.cidr.mappedIpv4
    : entry.cidr.range;
}

function setOf(entries: readonly AddressEntry[], reading: MappedReading): AddressSet {
  return addressSetOf(entries.map((entry) => rangeOf(entry, reading)));
}

function limitTo(set: AddressSet, families: readonly IpFamily[] | undefined): AddressSet {
  if (families === undefined) return set;
  return { 4: families.includes(4) ? set[4] : [], 6: families.includes(6) ? set[6] : [] };
}

/** What one term admits under a reading. */
export function termSet(term: AddressTerm, reading: MappedReading = 'as-ipv6'): AddressSet {
  const admitted = term.include === undefined ? EVERY_ADDRESS : setOf(term.include, reading);
  return limitTo(differenceOf(admitted, setOf(term.exclude, reading)), term.families);
}

function coverageUnder(terms: readonly AddressTerm[], reading: MappedReading): Coverage | undefined {
  const sets = terms.map((term) => termSet(term, reading));
  let total = NO_ADDRESSES;
  for (const set of sets) total = unionOf(total, set);
  for (const family of FAMILIES) {
    if (!coversFamily(total, family)) continue;
    const entries: AddressEntry[] = [];
    const openTerms: AddressTerm[] = [];
    terms.forEach((term, index) => {
      if (!hasFamily(sets[index] as AddressSet, family)) return;
      if (term.include === undefined) openTerms.push(term);
      for (const entry of term.include ?? []) {
        if (rangeOf(entry, reading).family === family) entries.push(entry);
      }
    });
    const alone = entries.find((entry) => coversAlone(entry, terms, reading));
    return { family, reading, entries: alone === undefined ? entries : [alone], openTerms };
  }
  return undefined;
}

/** Whether one block covers its family by itself (nothing of its own term excepts part of it). */
function coversAlone(entry: AddressEntry, terms: readonly AddressTerm[], reading: MappedReading): boolean {
  const term = terms.find((candidate) => candidate.include?.includes(entry));
  if (term === undefined) return false;
  const alone = termSet({ ...term, include: [entry] }, reading);
  return coversFamily(alone, rangeOf(entry, reading).family);
}

/** The first family the terms cover together (IPv4 before IPv6), under either reading of mapped blocks. */
export function findCoverage(terms: readonly AddressTerm[]): Coverage | undefined {
  const direct = coverageUnder(terms, 'as-ipv6');
  if (direct !== undefined) return direct;
  const mapped = terms.some((term) =>
    [...(term.include ?? []), ...term.exclude].some((entry) => entry.cidr.mappedIpv4 !== undefined),
  );
  return mapped ? coverageUnder(terms, 'as-ipv4') : undefined;
}

/** Whether what `inner` admits lies within what `outer` admits, under both readings of mapped blocks. */
export function isTermWithin(inner: AddressTerm, outer: readonly AddressTerm[]): boolean {
  for (const reading of ['as-ipv6', 'as-ipv4'] as const) {
    let allowed = NO_ADDRESSES;
    for (const term of outer) allowed = unionOf(allowed, termSet(term, reading));
    const outside = differenceOf(termSet(inner, reading), allowed);
    if (outside[4].length > 0 || outside[6].length > 0) return false;
  }
  return true;
}

const MAX_LISTED = 4;

function listEntries(entries: readonly AddressEntry[]): string {
  const shown = entries.slice(0, MAX_LISTED).map((entry) => `${entry.cidr.text} (${entry.path})`);
  const more = entries.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(' and ');
}

/**
 * Why a coverage is "everyone", for a finding: which blocks, under which reading, cover which
 * family. `noun` names the field ("ipBlock", "source net").
 */
export function describeCoverage(coverage: Coverage, noun: string): string {
  const every = `every IPv${coverage.family} address`;
  const mapped = coverage.entries.filter((entry) => entry.cidr.mappedIpv4 !== undefined);
  const reading =
    coverage.reading === 'as-ipv4' && mapped.length > 0
      ? ` when IPv4-mapped blocks such as ${mapped[0]?.cidr.text} are read as IPv4 (Go's net package and Calico read them so)`
      : '';
  const open = coverage.openTerms[0];
  if (open !== undefined) {
    const excepted = open.exclude.map((entry) => entry.cidr.text);
    const what = excepted.length > 0 ? `only excludes ${excepted.join(', ')}` : 'names no address';
    return `${open.path} ${what}: it admits ${every}${reading}`;
  }
  const [only] = coverage.entries;
  if (coverage.entries.length === 1 && only !== undefined)
    return `${noun} ${only.cidr.text} covers ${every}${reading}`;
  return `${noun}s ${listEntries(coverage.entries)} together cover ${every}${reading}`;
}

/** Whether any family is covered (for callers that need only the verdict). */
export function coversEveryAddress(terms: readonly AddressTerm[]): boolean {
  return findCoverage(terms) !== undefined;
}

/** The union of what the terms admit (direct reading), for callers that combine sets. */
export function admittedBy(terms: readonly AddressTerm[]): AddressSet {
  let total = NO_ADDRESSES;
  for (const term of terms) total = unionOf(total, termSet(term));
  return total;
}

export { intersectionOf };
