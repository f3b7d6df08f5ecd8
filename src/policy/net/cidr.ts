import { quoteValue } from '../message-text.js';
/**
 * CIDR text → an exact address range, read the way the policy's consumer reads it. Every parser
 * involved is Go: the API server's net.ParseCIDR for Kubernetes ipBlock (host bits allowed, the
 * prefix length in decimal, IPv4 octets without leading zeros since Go 1.17), libcalico-go's
 * ParseCIDROrIP for Calico nets (the same, plus a bare address as /32 or /128), netip for Cilium
 * and Istio (a bare address allowed where the field says so). What any of them refuses, or reads
 * in two ways, is an error here, never a guess: the policy is then `invalid-object`.
 */

/** An IP address family. */
export type IpFamily = 4 | 6;

/** An inclusive range of addresses of one family, as integers. */
export interface IpRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

/** A parsed CIDR: the block it names (host bits masked off, as every consumer does). */
export interface ParsedCidr {
  readonly text: string;
  readonly family: IpFamily;
  readonly prefix: number;
  readonly range: IpRange;
  /**
   * For an IPv4-mapped IPv6 block (`::ffff:10.0.0.0/104`): the IPv4 block Go's net package reads
   * it as (Calico and kube-router convert it to `10.0.0.0/8`); netip readers (Cilium, Istio) keep
   * it IPv6. Address arithmetic tries both readings.
   */
  readonly mappedIpv4?: IpRange;
}

/** How a field's consumer reads addresses. */
export interface CidrDialect {
  /** A bare address (no `/n`) names one address (Calico nets, Cilium, Istio ipBlocks); Kubernetes needs `/n`. */
  readonly bareAddress: boolean;
}

/** The parse result: the block, or why the text is not one. */
export type CidrParse =
  { readonly ok: true; readonly cidr: ParsedCidr } | { readonly ok: false; readonly error: string };

/** Longer than any CIDR (an IPv6 address with an embedded IPv4 and /128 is 49 characters). */
const MAX_LENGTH = 64;
const BITS: Readonly<Record<IpFamily, number>> = { 4: 32, 6: 128 };
const MAPPED_PREFIX = 0xffffn << 32n;

function fail(error: string): CidrParse {
  return { ok: false, error };
}

/** An IPv4 dotted quad; leading zeros are refused (Go ≥ 1.17 refuses them, Kubernetes' sloppy parser reads them as decimal, libc as octal). */
function parseIpv4(text: string): bigint | string {
  const parts = text.split('.');
  if (parts.length !== 4) return 'an IPv4 address has four dot-separated parts';
  let value = 0n;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return `${quoteValue(part)} is not an IPv4 octet`;
    if (part.length > 1 && part.startsWith('0'))
      return `the octet ${quoteValue(part)} has a leading zero, which parsers read as decimal or octal: write it without`;
    const octet = Number(part);
    if (octet > 255) return `the octet ${part} is over 255`;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseGroups(text: string): bigint[] | string {
  if (text === '') return [];
  const groups: bigint[] = [];
  for (const group of text.split(':')) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group))
      return `${quoteValue(group)} is not an IPv6 group of 1-4 hex digits`;
    groups.push(BigInt(`0x${group}`));
  }
  return groups;
}

/** An IPv6 address (RFC 4291 text form, one `::`, an optional trailing dotted IPv4; no zone). */
function parseIpv6(text: string): bigint | string {
  let body = text;
  let tail: bigint[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const ipv4 = parseIpv4(body.slice(lastColon + 1));
    if (typeof ipv4 === 'string') return ipv4;
    tail = [ipv4 >> 16n, ipv4 & 0xffffn];
    // Keep the colon before the IPv4 part when it is the second colon of a `::`.
    body = body.slice(0, lastColon + 1);
    body = body.endsWith('::') ? body : body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return 'an IPv6 address has at most one "::"';
  const head = parseGroups(halves[0] as string);
  const rest = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (typeof head === 'string') return head;
  if (typeof rest === 'string') return rest;
  const written = head.length + rest.length + tail.length;
  if (halves.length === 1 ? written !== 8 : written > 7)
    return 'an IPv6 address has eight groups ("::" standing for at least one)';
  const groups = [...head, ...new Array<bigint>(8 - written).fill(0n), ...rest, ...tail];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | group;
  return value;
}

function mappedIpv4Of(family: IpFamily, prefix: number, first: bigint, last: bigint): IpRange | undefined {
  if (family !== 6 || prefix < 96 || first >> 32n !== 0xffffn) return undefined;
  return { family: 4, first: first & 0xffffffffn, last: last & 0xffffffffn };
}

/** Parses one CIDR (or bare address, where the dialect allows it) into the block it names. */
export function parseCidr(value: unknown, dialect: CidrDialect): CidrParse {
  if (typeof value !== 'string') return fail('a CIDR must be a string');
  const text = value;
  if (text.length === 0) return fail('the CIDR is empty');
  if (text.length > MAX_LENGTH) return fail(`a CIDR is at most ${MAX_LENGTH} characters`);
  if (/\s/.test(text)) return fail('a CIDR has no spaces (the API server and the CNIs refuse them)');
  if (!/^[0-9A-Fa-f.:/]+$/.test(text))
    return fail('a CIDR holds only digits, hex letters, ".", ":" and one "/" (no zone, no name)');
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  if (prefixText === undefined && !dialect.bareAddress) return fail('a CIDR needs a prefix length ("/n")');
  const family: IpFamily = addressText.includes(':') ? 6 : 4;
  const address = family === 4 ? parseIpv4(addressText) : parseIpv6(addressText);
  if (typeof address === 'string') return fail(address);
  const bits = BITS[family];
  // Go's net.ParseCIDR reads the length as decimal digits, leading zeros included ("/08" is 8).
  if (prefixText !== undefined && !/^[0-9]{1,4}$/.test(prefixText))
    return fail(`the prefix length ${quoteValue(prefixText)} is not a number`);
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return fail(`an IPv${family} prefix length is at most ${bits}`);
  const hostBits = BigInt(bits - prefix);
  const first = (address >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  const mappedIpv4 = mappedIpv4Of(family, prefix, first, last);
  const range: IpRange = { family, first, last };
  return {
    ok: true,
    cidr: mappedIpv4 ? { text, family, prefix, range, mappedIpv4 } : { text, family, prefix, range },
  };
}

/** Whether `inner` lies inside `outer` as Go's IPNet.Contains tests it (an IPv4-mapped address counts as IPv4). */
export function goContains(outer: ParsedCidr, inner: ParsedCidr): boolean {
  const a = outer.mappedIpv4 ?? outer.range;
  const b = inner.mappedIpv4 ?? inner.range;
  return a.family === b.family && b.first >= a.first && b.first <= a.last;
}

/** The highest address of a family. */
export function familyMax(family: IpFamily): bigint {
  return (1n << BigInt(BITS[family])) - 1n;
}

/** `::ffff:0:0` as an integer: the start of the IPv4-mapped block. */
export const IPV4_MAPPED_BASE = MAPPED_PREFIX;
