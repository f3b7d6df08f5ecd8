/**
 * Istio ALLOW rules judged by who may call (AuthorizationPolicy reference): a rule matches when
 * its `from`, `to` and `when` all match; `from` entries are ORed, the fields of a source ANDed.
 * Only the caller's identity narrows who may call: principals, namespaces, serviceAccounts,
 * request principals, and the caller's addresses (ipBlocks, remoteIpBlocks), in `from` or as
 * `when` keys (source.principal, source.namespace, source.ip, remote.ip, request.auth.*). `to`
 * and every other `when` key (paths, ports, methods, headers a caller writes) only narrow the
 * operation: with no caller narrowed, anyone may reach it. The `not*` fields only exclude.
 */
import {
  coversFamily,
  EVERY_ADDRESS,
  FAMILIES,
  intersectionOf,
  isEmptySet,
  NO_ADDRESSES,
  unionOf,
  type AddressSet,
} from '../net/address-set.js';
import { termSet, type AddressEntry, type AddressTerm } from '../net/address-coverage.js';
import { parseCidr } from '../net/cidr.js';
import type { AllowAllFinding, FieldError } from '../types.js';
import { consequence, droppedNote } from './everyone.js';
import { isOnlyWildcard, namespaceCoversAll, principalCoversTrustDomain } from './istio-patterns.js';
import { asList, asString, fieldPath, isRecord, isSet } from './shared.js';

/** Identity fields of a source and `when` keys, with the test for "every caller". */
const IDENTITY_FIELDS: Readonly<Record<string, (pattern: string) => boolean>> = {
  principals: principalCoversTrustDomain,
  namespaces: namespaceCoversAll,
  serviceAccounts: isOnlyWildcard,
  requestPrincipals: isOnlyWildcard,
};
const IDENTITY_KEYS: Readonly<Record<string, (pattern: string) => boolean>> = {
  'source.principal': principalCoversTrustDomain,
  'source.namespace': namespaceCoversAll,
  'request.auth.principal': isOnlyWildcard,
  'request.auth.audiences': isOnlyWildcard,
  'request.auth.presenter': isOnlyWildcard,
};
const RULE_FIELDS = ['from', 'to', 'when'] as const;
const IP_KEYS = ['source.ip', 'remote.ip', 'destination.ip'];

/** Whether a `when` key narrows the caller by identity (claims count as identity: any claim value is someone's). */
function identityTest(key: string): ((pattern: string) => boolean) | undefined {
  if (key.startsWith('request.auth.claims[')) return isOnlyWildcard;
  return Object.hasOwn(IDENTITY_KEYS, key) ? IDENTITY_KEYS[key] : undefined;
}

/** The caller set of one `from` entry (or of a rule without `from`), within the rule's `when`. */
interface Caller {
  readonly path: string;
  /** A positive identity field or key names someone (not only wildcards). */
  readonly namesIdentity: boolean;
  /** Address constraints of each kind, ANDed: every term must admit the address. */
  readonly ip: readonly AddressTerm[];
  readonly remote: readonly AddressTerm[];
}

function entries(values: readonly unknown[], path: string, errors: FieldError[]): AddressEntry[] {
  const result: AddressEntry[] = [];
  values.forEach((value, index) => {
    const at = fieldPath(path, index);
    const parsed = parseCidr(value, { bareAddress: true });
    if (parsed.ok) result.push({ path: at, cidr: parsed.cidr });
    else errors.push({ path: at, message: `not a valid IP or CIDR: ${parsed.error}` });
  });
  return result;
}

function addressTerm(
  include: unknown,
  exclude: unknown,
  path: string,
  includePath: string,
  excludePath: string,
  errors: FieldError[],
): AddressTerm | undefined {
  const positive = asList(include);
  const negative = asList(exclude);
  if (positive.length === 0 && negative.length === 0) return undefined;
  return {
    path,
    include: positive.length > 0 ? entries(positive, includePath, errors) : undefined,
    exclude: entries(negative, excludePath, errors),
  };
}

/** The rule's `when` conditions on the caller: identity narrowing and address terms; errors for bad IPs. */
function readWhen(
  rule: Readonly<Record<string, unknown>>,
  path: string,
  errors: FieldError[],
): { namesIdentity: boolean; ip: AddressTerm[]; remote: AddressTerm[] } {
  const result = { namesIdentity: false, ip: [] as AddressTerm[], remote: [] as AddressTerm[] };
  asList(rule.when).forEach((condition, index) => {
    if (!isRecord(condition)) return;
    const at = fieldPath(path, 'when', index);
    const key = asString(condition.key) ?? '';
    if (IP_KEYS.includes(key)) {
      const term = addressTerm(
        condition.values,
        condition.notValues,
        at,
        `${at}.values`,
        `${at}.notValues`,
        errors,
      );
      if (term !== undefined && key === 'source.ip') result.ip.push(term);
      if (term !== undefined && key === 'remote.ip') result.remote.push(term);
      return;
    }
    const test = identityTest(key);
    const values = asList(condition.values);
    if (
      test !== undefined &&
      values.length > 0 &&
      !values.some((value) => typeof value === 'string' && test(value))
    )
      result.namesIdentity = true;
  });
  return result;
}

function readSource(
  entry: unknown,
  path: string,
  when: ReturnType<typeof readWhen>,
  errors: FieldError[],
): Caller {
  const source = isRecord(entry) && isRecord(entry.source) ? entry.source : {};
  const at = `${path}.source`;
  const namesIdentity =
    when.namesIdentity ||
    Object.entries(IDENTITY_FIELDS).some(([field, test]) => {
      const values = asList(source[field]);
      return values.length > 0 && !values.some((value) => typeof value === 'string' && test(value));
    });
  const ip = addressTerm(
    source.ipBlocks,
    source.notIpBlocks,
    at,
    `${at}.ipBlocks`,
    `${at}.notIpBlocks`,
    errors,
  );
  const remote = addressTerm(
    source.remoteIpBlocks,
    source.notRemoteIpBlocks,
    at,
    `${at}.remoteIpBlocks`,
    `${at}.notRemoteIpBlocks`,
    errors,
  );
  return {
    path,
    namesIdentity,
    ip: ip === undefined ? when.ip : [ip, ...when.ip],
    remote: remote === undefined ? when.remote : [remote, ...when.remote],
  };
}

function setOf(terms: readonly AddressTerm[]): AddressSet {
  let set = EVERY_ADDRESS;
  for (const term of terms) set = intersectionOf(set, termSet(term));
  return set;
}

const coversSome = (set: AddressSet): boolean => FAMILIES.some((family) => coversFamily(set, family));

function familyCovered(set: AddressSet): string {
  return FAMILIES.filter((family) => coversFamily(set, family))
    .map((family) => `every IPv${family} address`)
    .join(' and ');
}

/** The finding when callers narrowed only by address cover a family together (split CIDRs, split rules). */
function addressCoverage(
  partial: readonly { path: string; ip: AddressSet; remote: AddressSet }[],
): AllowAllFinding[] {
  for (const [field, own, other] of [
    ['ipBlocks/source.ip', 'ip', 'remote'],
    ['remoteIpBlocks/remote.ip', 'remote', 'ip'],
  ] as const) {
    const counted = partial.filter((caller) => coversSome(caller[other]) && !isEmptySet(caller[own]));
    let union = NO_ADDRESSES;
    for (const caller of counted) union = unionOf(union, caller[own]);
    if (!coversSome(union)) continue;
    const paths = counted.map((caller) => caller.path);
    const listed =
      paths.length > 4 ? `${paths.slice(0, 4).join(', ')} and ${paths.length - 4} more` : paths.join(' and ');
    return [
      {
        path: paths[0] ?? 'spec.rules',
        message: `the ${field} addresses of ${listed} together cover ${familyCovered(union)}: any caller matches one of them, ${consequence('ingress')}`,
      },
    ];
  }
  return [];
}

/** Every ALLOW rule and `from` entry that admits every caller; address sets count across entries and rules. */
export function istioAllowAll(rules: readonly unknown[], errors: FieldError[]): AllowAllFinding[] {
  const findings: AllowAllFinding[] = [];
  const partial: { path: string; ip: AddressSet; remote: AddressSet }[] = [];
  rules.forEach((rule, index) => {
    const path = fieldPath('spec.rules', index);
    const body = isRecord(rule) ? rule : {};
    const when = readWhen(body, path, errors);
    const from = asList(body.from);
    const callers =
      from.length === 0
        ? [readSource(undefined, path, when, errors)]
        : from.map((entry, entryIndex) =>
            readSource(entry, fieldPath(path, 'from', entryIndex), when, errors),
          );
    const narrowed =
      isSet(body.to) || isSet(body.when) ? '; its to/when only narrow the operation, not the caller' : '';
    callers.forEach((caller, callerIndex) => {
      if (caller.namesIdentity) return;
      const ip = setOf(caller.ip);
      const remote = setOf(caller.remote);
      if (coversSome(ip) && coversSome(remote)) {
        const what =
          from.length === 0
            ? `an ALLOW rule without \`from\`${droppedNote(body, RULE_FIELDS)}`
            : `this source${droppedNote(from[callerIndex], ['source'])}`;
        findings.push({
          path: caller.path,
          message: `${what} names no caller (no principals, namespaces, ServiceAccounts or IP blocks; only wildcards or exclusions)${narrowed}: any caller matches, ${consequence('ingress')}`,
        });
        return;
      }
      partial.push({ path: caller.path, ip, remote });
    });
  });
  return [...findings, ...addressCoverage(partial)];
}
