/**
 * Cilium rule analysis (cilium.io/v2 IngressRule and EgressRule): which rules admit everyone, in
 * either direction. Cilium semantics (docs.cilium.io, Layer 3/4 policy; pkg/policy): the peer
 * fields of a rule (fromEndpoints, fromCIDR, toFQDNs, ...) are ORed; a rule with no peer but toPorts/icmps is L4-only and admits
 * every peer on those ports; an empty rule `{}` allows nothing (it only turns default deny on).
 * An endpoint selector of a namespaced policy is limited to the policy's namespace unless it
 * names `io.kubernetes.pod.namespace` itself or a `reserved:` label; a cluster-wide one only
 * requires that some namespace label exists (k8s/apis/cilium.io/utils getEndpointSelector).
 */
import type { AddressEntry, AddressTerm } from '../net/address-coverage.js';
import { parseCidr } from '../net/cidr.js';
import {
  isEmptyLabelSelector,
  labelSelectorKeys,
  mapLabelSelectorKeys,
  validateLabelSelector,
} from '../selectors/label-selector.js';
import type { AllowAllFinding, FieldError } from '../types.js';
import {
  ciliumModel,
  ciliumPeerRole,
  ciliumValidationKey,
  NAMESPACE_KEY,
  RESERVED_PREFIX,
  stripCiliumSource,
} from './cilium-labels.js';
import { consequence, EVERYONE, isOpen, whyOpen, type Direction } from './everyone.js';
import { asList, asString, fieldPath, isRecord, isSet } from './shared.js';
import { quoteValue } from '../message-text.js';

const PEERS: Readonly<Record<Direction, readonly string[]>> = {
  ingress: ['fromEndpoints', 'fromCIDR', 'fromCIDRSet', 'fromEntities', 'fromGroups', 'fromNodes'],
  egress: [
    'toEndpoints',
    'toCIDR',
    'toCIDRSet',
    'toEntities',
    'toGroups',
    'toNodes',
    'toServices',
    'toFQDNs',
  ],
};
const PREFIX: Readonly<Record<Direction, 'from' | 'to'>> = { ingress: 'from', egress: 'to' };
const PORT_FIELDS = ['toPorts', 'icmps'] as const;
const RULE_FIELDS: Readonly<Record<Direction, readonly string[]>> = {
  ingress: [...PEERS.ingress, 'fromRequires', ...PORT_FIELDS, 'authentication'],
  egress: [...PEERS.egress, 'toRequires', ...PORT_FIELDS, 'authentication'],
};

/** Entities that stand for every peer, or every peer of a kind (docs: Entities based). */
const OPEN_ENTITIES: Readonly<Record<string, string>> = {
  all: 'every peer, inside the cluster and out',
  world: 'every address outside the cluster',
  'world-ipv4': 'every IPv4 address outside the cluster',
  'world-ipv6': 'every IPv6 address outside the cluster',
  cluster: 'every endpoint in the cluster',
};

/** Reserved identities outside the cluster: a selector that matches one admits the whole internet. */
const WORLD_IDENTITIES = ['world', 'world-ipv4', 'world-ipv6'];

/** Whether a rule holds nothing the API defines (unknown fields are dropped): `{}`, which allows nothing. */
export function isEmptyCiliumRule(rule: unknown, direction: Direction = 'ingress'): boolean {
  return !isRecord(rule) || RULE_FIELDS[direction].every((key) => !isSet(rule[key]));
}

/** What one direction of a policy admits: errors, findings, and CIDR terms judged together. */
export interface CiliumDirection {
  readonly errors: FieldError[];
  readonly findings: AllowAllFinding[];
  readonly terms: AddressTerm[];
}

function addEntities(
  rule: Readonly<Record<string, unknown>>,
  path: string,
  direction: Direction,
  out: CiliumDirection,
): void {
  const key = `${PREFIX[direction]}Entities`;
  asList(rule[key]).forEach((entity, index) => {
    const what =
      typeof entity === 'string' && Object.hasOwn(OPEN_ENTITIES, entity) ? OPEN_ENTITIES[entity] : undefined;
    if (what !== undefined)
      out.findings.push({
        path: fieldPath(path, key, index),
        message: `${key} ${entity as string} is ${what}, ${consequence(direction)}`,
      });
  });
}

function readCidr(value: unknown, path: string, out: CiliumDirection): AddressEntry | undefined {
  // Cilium reads CIDRs with netip; a bare address is one host.
  const parsed = parseCidr(value, { bareAddress: true });
  if (parsed.ok) return { path, cidr: parsed.cidr };
  out.errors.push({ path, message: `not a valid CIDR: ${parsed.error}` });
  return undefined;
}

function addCidrs(
  rule: Readonly<Record<string, unknown>>,
  path: string,
  direction: Direction,
  out: CiliumDirection,
): void {
  const plain = `${PREFIX[direction]}CIDR`;
  asList(rule[plain]).forEach((value, index) => {
    const at = fieldPath(path, plain, index);
    const entry = readCidr(value, at, out);
    if (entry !== undefined) out.terms.push({ path: at, include: [entry], exclude: [] });
  });
  const set = `${PREFIX[direction]}CIDRSet`;
  asList(rule[set]).forEach((value, index) => {
    const at = fieldPath(path, set, index);
    if (!isRecord(value) || (value.cidr === undefined && value.cidrGroupRef === undefined)) {
      out.errors.push({ path: at, message: 'a CIDRSet entry needs a cidr (or a cidrGroupRef)' });
      return;
    }
    // A cidrGroupRef names a CiliumCIDRGroup, which ztgate does not see: judged by its name alone.
    if (value.cidr === undefined) return;
    const include = readCidr(value.cidr, `${at}.cidr`, out);
    const exclude = asList(value.except).map((except, exceptIndex) =>
      readCidr(except, fieldPath(at, 'except', exceptIndex), out),
    );
    if (include === undefined || exclude.includes(undefined)) return;
    out.terms.push({ path: at, include: [include], exclude: exclude as AddressEntry[] });
  });
}

/** Why an endpoint selector admits every endpoint (or the world), or undefined when it names someone. */
function openSelector(
  selector: unknown,
  requires: readonly unknown[],
  namespaced: boolean,
): string | undefined {
  const stripped = mapLabelSelectorKeys(selector, stripCiliumSource);
  const keys = labelSelectorKeys(stripped, ciliumValidationKey);
  const model = ciliumModel(selector);
  const reserved = keys.filter((key) => key.startsWith(RESERVED_PREFIX));
  const carries = (label: string) => (key: string) => (key === `${RESERVED_PREFIX}${label}` ? '' : undefined);
  if (reserved.length > 0) {
    const world = WORLD_IDENTITIES.find((name) => model.predicate(carries(name)));
    if (world !== undefined)
      return `matches Cilium's reserved:${world} identity: every address outside the cluster`;
    if (model.predicate(carries('all')))
      return "selects Cilium's reserved:all label, which every identity matches";
  }
  // Without a namespace key (or a reserved label) a namespaced policy's selector stays in its namespace.
  if (namespaced && reserved.length === 0 && !keys.includes(NAMESPACE_KEY)) return undefined;
  if (!isOpen(model, ciliumPeerRole)) return undefined;
  for (const required of requires) {
    if (!isOpen(ciliumModel(required), ciliumPeerRole)) return undefined;
  }
  if (isEmptyLabelSelector(stripped))
    return 'is {} in a cluster-wide policy: every endpoint in every namespace';
  return `${whyOpen(model, ciliumPeerRole, 'endpoint')}${keys.includes(NAMESPACE_KEY) ? ' (naming io.kubernetes.pod.namespace lifts the limit to the policy’s namespace)' : ''}: every endpoint in the cluster`;
}

function addEndpoints(
  rule: Readonly<Record<string, unknown>>,
  path: string,
  direction: Direction,
  namespaced: boolean,
  out: CiliumDirection,
): void {
  const key = `${PREFIX[direction]}Endpoints`;
  const requiresKey = `${PREFIX[direction]}Requires`;
  const requires = asList(rule[requiresKey]);
  const before = out.errors.length;
  for (const [field, list] of [
    [key, asList(rule[key])],
    [requiresKey, requires],
  ] as const) {
    list.forEach((selector, index) =>
      out.errors.push(...validateLabelSelector(selector, fieldPath(path, field, index), ciliumValidationKey)),
    );
  }
  if (out.errors.length > before) return;
  asList(rule[key]).forEach((selector, index) => {
    const why = openSelector(selector, requires, namespaced);
    if (why !== undefined)
      out.findings.push({
        path: fieldPath(path, key, index),
        message: `${key}[${index}] ${why}, ${consequence(direction)}`,
      });
  });
}

/** toFQDNs patterns of only `*` and `.` match every name, so every address the pod resolves. */
function addFqdns(rule: Readonly<Record<string, unknown>>, path: string, out: CiliumDirection): void {
  asList(rule.toFQDNs).forEach((entry, index) => {
    const pattern = isRecord(entry) ? asString(entry.matchPattern) : undefined;
    if (pattern !== undefined && /^[*.]+$/.test(pattern) && pattern.includes('*'))
      out.findings.push({
        path: fieldPath(path, 'toFQDNs', index, 'matchPattern'),
        message: `toFQDNs matchPattern ${quoteValue(pattern)} matches every DNS name, so every address the pods resolve, ${consequence('egress')}`,
      });
  });
}

/** Reads the rules of one direction of one Cilium rule (under `base`, e.g. "specs[1]") into `out`. */
export function readCiliumRules(
  rules: readonly unknown[],
  base: string,
  direction: Direction,
  namespaced: boolean,
  out: CiliumDirection,
): void {
  rules.forEach((rule, index) => {
    if (!isRecord(rule)) return;
    const path = fieldPath(base, direction, index);
    const hasPeers = PEERS[direction].some((key) => asList(rule[key]).length > 0);
    if (!hasPeers) {
      if (PORT_FIELDS.some((key) => isSet(rule[key])))
        out.findings.push({
          path,
          message: `${direction} rule with ports but no ${PREFIX[direction]}* peers is L4-only: on those ports it names no ${EVERYONE[direction].peer}, ${consequence(direction)}`,
        });
      return;
    }
    addEntities(rule, path, direction, out);
    addCidrs(rule, path, direction, out);
    addEndpoints(rule, path, direction, namespaced, out);
    if (direction === 'egress') addFqdns(rule, path, out);
  });
}
