/**
 * Whether one Kubernetes NetworkPolicy admits nothing another does not: every flow its rules allow
 * (pods it selects × peers × ports, per direction) is allowed by the other. Sound, not complete:
 * each peer and port must fit inside one rule of the other, and anything ztgate cannot prove to
 * fit — a selector universe too large to check, a named port, an ipBlock against selectors —
 * counts as wider. Used to let anyone narrow ztgate's companion policies and only admins widen them.
 */
import { isRecord } from '../objects.js';
import { kubernetesPolicyTypes } from '../policies/kubernetes.js';
import { asList, fieldPath } from '../policies/shared.js';
import { labelSelectorMentions, labelSelectorPredicate } from '../selectors/label-selector.js';
import { isWithin, mergeMentions } from '../selectors/label-universe.js';
import { isTermWithin, type AddressTerm } from './address-coverage.js';
import { parseCidr } from './cidr.js';

/** The verdict: within, or the first place the policy lets more through and what. */
export type Containment =
  { readonly within: true } | { readonly within: false; readonly path: string; readonly reason: string };

type Spec = Readonly<Record<string, unknown>>;
type Direction = 'ingress' | 'egress';

const NAME_KEY = 'kubernetes.io/metadata.name';
const PEER_KEY: Readonly<Record<Direction, 'from' | 'to'>> = { ingress: 'from', egress: 'to' };
const present = (value: unknown): boolean => value !== undefined && value !== null;

/** Whether every label set `inner` matches, `outer` matches too (undefined selectors: everything). */
function selectorWithin(inner: unknown, outer: unknown, alwaysPresent: (key: string) => boolean): boolean {
  const a = present(inner) ? inner : {};
  const b = present(outer) ? outer : {};
  const mentions = mergeMentions([labelSelectorMentions(a), labelSelectorMentions(b)]);
  return isWithin(labelSelectorPredicate(a), labelSelectorPredicate(b), mentions, alwaysPresent) === true;
}

const namespaceKeys = (key: string): boolean => key === NAME_KEY;
const noKeys = (): boolean => false;

/** The namespaces a peer reaches: its namespaceSelector, or the policy's own namespace by name. */
function namespacesOf(peer: Spec, namespace: string): unknown {
  return present(peer.namespaceSelector)
    ? peer.namespaceSelector
    : { matchLabels: { [NAME_KEY]: namespace } };
}

function ipTerm(peer: Spec, path: string): AddressTerm | undefined {
  const block = isRecord(peer.ipBlock) ? peer.ipBlock : undefined;
  const cidr = parseCidr(block?.cidr, { bareAddress: false });
  if (!cidr.ok) return undefined;
  const exclude = [];
  for (const except of asList(block?.except)) {
    const parsed = parseCidr(except, { bareAddress: false });
    if (!parsed.ok) return undefined;
    exclude.push({ path, cidr: parsed.cidr });
  }
  return { path, include: [{ path, cidr: cidr.cidr }], exclude };
}

/** Whether peer `inner` reaches no pod or address outside peer `outer`. */
function peerWithin(inner: Spec, outer: Spec, namespace: string): boolean {
  if (present(outer.ipBlock) || present(inner.ipBlock)) {
    if (!present(outer.ipBlock) || !present(inner.ipBlock)) return false;
    const a = ipTerm(inner, '');
    const b = ipTerm(outer, '');
    return a !== undefined && b !== undefined && isTermWithin(a, [b]);
  }
  return (
    selectorWithin(namespacesOf(inner, namespace), namespacesOf(outer, namespace), namespaceKeys) &&
    selectorWithin(inner.podSelector, outer.podSelector, noKeys)
  );
}

/** A port entry as a protocol and an inclusive range (named ports: the name), undefined port meaning all. */
function portOf(entry: unknown): { protocol: string; from?: number; to?: number; name?: string } | undefined {
  if (!isRecord(entry)) return undefined;
  const protocol = typeof entry.protocol === 'string' ? entry.protocol : 'TCP';
  const port = entry.port;
  if (port === undefined || port === null) return { protocol };
  if (typeof port === 'string') return { protocol, name: port };
  if (typeof port !== 'number') return undefined;
  const end = typeof entry.endPort === 'number' ? entry.endPort : port;
  return { protocol, from: port, to: end };
}

function portWithin(inner: unknown, outer: unknown): boolean {
  const a = portOf(inner);
  const b = portOf(outer);
  if (a === undefined || b === undefined || a.protocol !== b.protocol) return false;
  if (b.name !== undefined) return a.name === b.name;
  if (b.from === undefined || b.to === undefined) return true;
  return a.from !== undefined && a.to !== undefined && a.from >= b.from && a.to <= b.to;
}

/** Whether one (peer, port) of a rule fits inside some rule of the other policy; absent peer/port: all. */
function fits(
  peer: Spec | undefined,
  port: unknown,
  rules: readonly Spec[],
  key: 'from' | 'to',
  namespace: string,
): boolean {
  return rules.some((rule) => {
    const peers = asList(rule[key]);
    const ports = asList(rule.ports);
    const peerOk =
      peers.length === 0 ||
      (peer !== undefined && peers.some((outer) => isRecord(outer) && peerWithin(peer, outer, namespace)));
    const portOk =
      ports.length === 0 || (port !== undefined && ports.some((outer) => portWithin(port, outer)));
    return peerOk && portOk;
  });
}

function describePort(port: unknown): string {
  const read = portOf(port);
  if (read === undefined) return 'a port ztgate cannot read';
  const number =
    read.name ??
    (read.from === undefined
      ? 'every port'
      : read.from === read.to
        ? String(read.from)
        : `${read.from}-${read.to}`);
  return `${number}/${read.protocol}`;
}

function directionWithin(
  actual: Spec,
  desired: Spec,
  direction: Direction,
  namespace: string,
  applies: boolean,
): Containment {
  const key = PEER_KEY[direction];
  const outerRules = applies ? asList(desired[direction]).filter(isRecord) : [];
  for (const [index, rule] of asList(actual[direction]).entries()) {
    const path = fieldPath(`spec.${direction}`, index);
    const body = isRecord(rule) ? rule : {};
    const peers = asList(body[key]);
    const ports = asList(body.ports);
    for (const [peerIndex, peer] of (peers.length === 0 ? [undefined] : peers).entries()) {
      if (peer !== undefined && !isRecord(peer))
        return { within: false, path, reason: 'a peer ztgate cannot read' };
      for (const port of ports.length === 0 ? [undefined] : ports) {
        if (fits(peer, port, outerRules, key, namespace)) continue;
        const where = peer === undefined ? path : fieldPath(path, key, peerIndex);
        const what =
          peer === undefined ? `every ${direction === 'ingress' ? 'source' : 'destination'}` : 'this peer';
        return {
          within: false,
          path: where,
          reason: `it allows ${direction} to ${what} on ${describePort(port)}, which ztgate's version does not`,
        };
      }
    }
  }
  return { within: true };
}

/** Whether `actual` lets nothing through that `desired` does not (same namespace). */
export function isNetworkPolicyWithin(actual: Spec, desired: Spec, namespace: string): Containment {
  const actualTypes = kubernetesPolicyTypes(actual);
  const desiredTypes = kubernetesPolicyTypes(desired);
  const allows = (direction: Direction) => actualTypes[direction] && asList(actual[direction]).length > 0;
  if (
    (allows('ingress') || allows('egress')) &&
    !selectorWithin(actual.podSelector, desired.podSelector, noKeys)
  )
    return { within: false, path: 'spec.podSelector', reason: "it selects pods ztgate's version does not" };
  for (const direction of ['ingress', 'egress'] as const) {
    if (!allows(direction)) continue;
    const verdict = directionWithin(actual, desired, direction, namespace, desiredTypes[direction]);
    if (!verdict.within) return verdict;
  }
  return { within: true };
}
