import { describe, expect, it } from 'vitest';
import { goContains, parseCidr, type ParsedCidr } from '../../../src/policy/net/cidr.js';

const KUBERNETES = { bareAddress: false };
const SLOPPY = { bareAddress: true };

function parsed(text: string, dialect = KUBERNETES): ParsedCidr {
  const result = parseCidr(text, dialect);
  if (!result.ok) throw new Error(result.error);
  return result.cidr;
}

const hex = (value: bigint): string => value.toString(16);

describe('parseCidr reads what the consumers read', () => {
  // Each case: what Go's net.ParseCIDR (the API server's ipBlock validation) makes of the text.
  it.each([
    ['a plain IPv4 block', '10.0.0.0/8', 4, 8, 'a000000', 'affffff'],
    ['host bits set (net.ParseCIDR masks them off)', '10.1.2.3/8', 4, 8, 'a000000', 'affffff'],
    ['every IPv4 address', '0.0.0.0/0', 4, 0, '0', 'ffffffff'],
    ['host bits with /0 (still every IPv4 address)', '192.168.1.1/0', 4, 0, '0', 'ffffffff'],
    [
      'a prefix length with leading zeros (Go reads decimal digits: /08 is /8)',
      '10.0.0.0/08',
      4,
      8,
      'a000000',
      'affffff',
    ],
    ['one address', '192.0.2.1/32', 4, 32, 'c0000201', 'c0000201'],
    ['every IPv6 address', '::/0', 6, 0, '0', 'ffffffffffffffffffffffffffffffff'],
    [
      'IPv6 with ::',
      '2001:db8::/32',
      6,
      32,
      '20010db8000000000000000000000000',
      '20010db8ffffffffffffffffffffffff',
    ],
    [
      'IPv6 upper-case hex',
      '2001:DB8::/32',
      6,
      32,
      '20010db8000000000000000000000000',
      '20010db8ffffffffffffffffffffffff',
    ],
    [
      'IPv6 with a trailing IPv4',
      '64:ff9b::192.0.2.0/120',
      6,
      120,
      '64ff9b0000000000000000c0000200',
      '64ff9b0000000000000000c00002ff',
    ],
    [
      'IPv6 fully written',
      '1:2:3:4:5:6:7:8/128',
      6,
      128,
      '10002000300040005000600070008',
      '10002000300040005000600070008',
    ],
    [
      '8000::/1 (the upper half of IPv6)',
      '8000::/1',
      6,
      1,
      '80000000000000000000000000000000',
      'ffffffffffffffffffffffffffffffff',
    ],
  ])('%s: %s', (_name, text, family, prefix, first, last) => {
    const cidr = parsed(text);
    expect([cidr.family, cidr.prefix, hex(cidr.range.first), hex(cidr.range.last)]).toEqual([
      family,
      prefix,
      first,
      last,
    ]);
  });

  it('reads an IPv4-mapped IPv6 block both ways: IPv6 as written, IPv4 as Go and Calico read it', () => {
    const cidr = parsed('::ffff:10.0.0.0/104');
    expect(cidr.family).toBe(6);
    expect(cidr.mappedIpv4).toEqual({ family: 4, first: 0x0a000000n, last: 0x0affffffn });
    expect(parsed('::ffff:0.0.0.0/96').mappedIpv4).toEqual({ family: 4, first: 0n, last: 0xffffffffn });
    // Below /96 the network leaves the mapped block: Go's IP.To4 no longer sees an IPv4 address.
    expect(parsed('::ffff:0.0.0.0/80').mappedIpv4).toBeUndefined();
    expect(parsed('::/0').mappedIpv4).toBeUndefined();
  });

  it.each([
    ['a bare address (Kubernetes needs /n)', '10.0.0.1'],
    ['a leading space (net.ParseCIDR does not trim)', ' 10.0.0.0/8'],
    ['a trailing newline', '10.0.0.0/8\n'],
    ['an octet with a leading zero (refused by Go ≥ 1.17, octal to libc)', '010.0.0.0/8'],
    ['an octet over 255', '256.0.0.0/8'],
    ['three octets', '10.0.0/8'],
    ['a prefix over 32', '10.0.0.0/33'],
    ['a prefix over 128', '::/129'],
    ['a negative prefix', '10.0.0.0/-1'],
    ['an empty prefix', '10.0.0.0/'],
    ['two slashes', '10.0.0.0/8/8'],
    ['an IPv6 zone (ParseCIDR refuses zones)', 'fe80::1%eth0/64'],
    ['two ::', '1::2::/64'],
    ['nine groups', '1:2:3:4:5:6:7:8:9/128'],
    ['"::" standing for no group', '1:2:3:4:5:6:7:8::/128'],
    ['a five-digit group', '12345::/16'],
    ['an IPv4 part before the end', '1.2.3.4::/64'],
    ['a name', 'localhost/8'],
    ['empty', ''],
    ['huge', `${'1'.repeat(100)}/8`],
  ])('refuses %s', (_name, text) => {
    expect(parseCidr(text, KUBERNETES).ok).toBe(false);
  });

  it('refuses a non-string (YAML may turn a value into a number)', () => {
    expect(parseCidr(10, KUBERNETES)).toEqual({ ok: false, error: 'a CIDR must be a string' });
  });

  it('reads a bare address as one host where the consumer does (Calico ParseCIDROrIP, Istio, Cilium)', () => {
    expect([parsed('10.0.0.1', SLOPPY).prefix, parsed('2001:db8::1', SLOPPY).prefix]).toEqual([32, 128]);
  });
});

describe('goContains (IPNet.Contains, as ipBlock except validation uses it)', () => {
  it.each([
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.0.0.0/8', '11.0.0.0/16', false],
    ['0.0.0.0/0', '::/1', false],
    ['0.0.0.0/0', '::ffff:10.0.0.0/104', true],
    ['::ffff:0.0.0.0/96', '10.0.0.0/8', true],
  ])('%s contains %s: %s', (outer, inner, expected) => {
    expect(goContains(parsed(outer), parsed(inner))).toBe(expected);
  });
});
