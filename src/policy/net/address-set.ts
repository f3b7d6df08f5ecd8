/**
 * Exact sets of IP addresses as sorted, disjoint, inclusive intervals per family (bigint, so IPv6
 * is exact too). Policies are judged by what their CIDRs and excepts admit together: `0.0.0.0/1`
 * and `128.0.0.0/1` are every IPv4 address, however many entries or rules they are split across.
 */
import { familyMax, type IpFamily, type IpRange } from './cidr.js';

/** One interval [first, last] of addresses. */
export interface Interval {
  readonly first: bigint;
  readonly last: bigint;
}

/** A set of addresses of both families. */
export interface AddressSet {
  readonly 4: readonly Interval[];
  readonly 6: readonly Interval[];
}

/** The families in a fixed order. */
export const FAMILIES: readonly IpFamily[] = [4, 6];

/** No address. */
export const NO_ADDRESSES: AddressSet = Object.freeze({ 4: [], 6: [] });

/** Every address of both families. */
export const EVERY_ADDRESS: AddressSet = Object.freeze({
  4: [{ first: 0n, last: familyMax(4) }],
  6: [{ first: 0n, last: familyMax(6) }],
});

/** Sorts and merges intervals; touching intervals (a.last + 1 = b.first) join. */
function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const previous = merged[merged.length - 1];
    if (previous !== undefined && interval.first <= previous.last + 1n) {
      if (interval.last > previous.last)
        merged[merged.length - 1] = { first: previous.first, last: interval.last };
    } else {
      merged.push(interval);
    }
  }
  return merged;
}

/** The set of the given ranges. */
export function addressSetOf(ranges: readonly IpRange[]): AddressSet {
  return {
    4: normalize(ranges.filter((range) => range.family === 4)),
    6: normalize(ranges.filter((range) => range.family === 6)),
  };
}

/** a ∪ b. */
export function unionOf(a: AddressSet, b: AddressSet): AddressSet {
  return { 4: normalize([...a[4], ...b[4]]), 6: normalize([...a[6], ...b[6]]) };
}

function subtractIntervals(from: readonly Interval[], remove: readonly Interval[]): Interval[] {
  const result: Interval[] = [];
  let index = 0;
  for (const interval of from) {
    let first = interval.first;
    // Skip removals wholly before this interval; both lists are sorted and disjoint.
    while (index < remove.length && (remove[index] as Interval).last < first) index += 1;
    let scan = index;
    while (scan < remove.length && first <= interval.last) {
      const cut = remove[scan] as Interval;
      if (cut.first > interval.last) break;
      if (cut.first > first) result.push({ first, last: cut.first - 1n });
      first = cut.last + 1n;
      if (cut.last > interval.last) break;
      scan += 1;
    }
    if (first <= interval.last) result.push({ first, last: interval.last });
  }
  return result;
}

/** a − b. */
export function differenceOf(a: AddressSet, b: AddressSet): AddressSet {
  return { 4: subtractIntervals(a[4], b[4]), 6: subtractIntervals(a[6], b[6]) };
}

/** a ∩ b (as a − (a − b)). */
export function intersectionOf(a: AddressSet, b: AddressSet): AddressSet {
  return differenceOf(a, differenceOf(a, b));
}

/** Whether the set holds every address of the family. */
export function coversFamily(set: AddressSet, family: IpFamily): boolean {
  const intervals = set[family];
  const only = intervals[0];
  return intervals.length === 1 && only !== undefined && only.first === 0n && only.last === familyMax(family);
}

/** Whether the set holds any address of the family. */
export function hasFamily(set: AddressSet, family: IpFamily): boolean {
  return set[family].length > 0;
}

/** Whether the set holds no address at all. */
export function isEmptySet(set: AddressSet): boolean {
  return set[4].length === 0 && set[6].length === 0;
}

/** Whether the set holds this address. */
export function containsAddress(set: AddressSet, family: IpFamily, address: bigint): boolean {
  return set[family].some((interval) => interval.first <= address && address <= interval.last);
}
