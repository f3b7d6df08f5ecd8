/**
 * Kubernetes NetworkPolicy rules and peers, read as the API server validates them
 * (pkg/apis/networking/validation: a peer sets podSelector, namespaceSelector or ipBlock, ipBlock
 * alone; cidr and except parse with net.ParseCIDR, each except a strict subset of its cidr) and
 * judged by what they admit. Unknown fields count for nothing: the API server drops them before
 * storing, so a peer of unknown fields only is an empty peer, which it refuses.
 */
import type { AddressEntry, AddressTerm } from '../net/address-coverage.js';
import { goContains, parseCidr, type ParsedCidr } from '../net/cidr.js';
import {
  labelSelectorMentions,
  labelSelectorPredicate,
  validateLabelSelector,
} from '../selectors/label-selector.js';
import type { KeyRole } from '../selectors/label-universe.js';
import type { AllowAllFinding, FieldError } from '../types.js';
import {
  consequence,
  coverageFinding,
  droppedNote,
  EVERYONE,
  isOpen,
  NAMESPACE_NAME_KEY,
  OPT_IN,
  OWN_NAME,
  podLabelRole,
  whyOpen,
  type Direction,
  type SelectorModel,
} from './everyone.js';
import { asList, fieldPath, isRecord } from './shared.js';

const PEER_FIELDS = ['podSelector', 'namespaceSelector', 'ipBlock'] as const;
const PEER_KEY: Readonly<Record<Direction, 'from' | 'to'>> = { ingress: 'from', egress: 'to' };

/** Every namespace carries its name label; no other namespace or pod label is there unless someone sets it. */
const namespaceRole = (key: string): KeyRole => (key === NAMESPACE_NAME_KEY ? OWN_NAME : OPT_IN);
/** A pod carries no label nobody set, bar those its controller sets. */
export const podRole = (key: string): KeyRole => podLabelRole(key);

/** A (valid) Kubernetes label selector as the label-universe checks read it. */
export function selectorModel(selector: unknown): SelectorModel {
  return { mentions: labelSelectorMentions(selector), predicate: labelSelectorPredicate(selector) };
}

const isPresent = (value: unknown): boolean => value !== undefined && value !== null;

function parseBlock(value: unknown, path: string, errors: FieldError[]): ParsedCidr | undefined {
  const parsed = parseCidr(value, { bareAddress: false });
  if (parsed.ok) return parsed.cidr;
  errors.push({ path, message: `not a valid CIDR: ${parsed.error}` });
  return undefined;
}

/** An ipBlock's addresses (cidr minus except), or undefined when the API server would refuse it. */
function readIpBlock(ipBlock: unknown, path: string, errors: FieldError[]): AddressTerm | undefined {
  if (!isRecord(ipBlock)) {
    errors.push({ path, message: 'ipBlock must be an object with cidr (and except)' });
    return undefined;
  }
  if (ipBlock.cidr === undefined || ipBlock.cidr === null || ipBlock.cidr === '') {
    errors.push({
      path: `${path}.cidr`,
      message: `ipBlock needs a cidr${droppedNote(ipBlock, ['cidr', 'except'])}`,
    });
    return undefined;
  }
  const cidr = parseBlock(ipBlock.cidr, `${path}.cidr`, errors);
  if (cidr === undefined) return undefined;
  const exclude: AddressEntry[] = [];
  const before = errors.length;
  asList(ipBlock.except).forEach((text, index) => {
    const at = fieldPath(path, 'except', index);
    const except = parseBlock(text, at, errors);
    if (except === undefined) return;
    if (!goContains(cidr, except) || cidr.prefix >= except.prefix) {
      errors.push({
        path: at,
        message: `except ${except.text} must be a strict subset of cidr ${cidr.text}`,
      });
      return;
    }
    exclude.push({ path: at, cidr: except });
  });
  if (errors.length > before) return undefined;
  return { path, include: [{ path: `${path}.cidr`, cidr }], exclude };
}

/** A peer's errors; its finding when it admits every pod of every namespace; its addresses when an ipBlock. */
function readPeer(
  peer: unknown,
  path: string,
  direction: Direction,
  out: { errors: FieldError[]; findings: AllowAllFinding[]; terms: AddressTerm[] },
): void {
  if (!isRecord(peer)) {
    out.errors.push({ path, message: 'a peer must be an object' });
    return;
  }
  const set = PEER_FIELDS.filter((key) => isPresent(peer[key]));
  if (set.length === 0) {
    out.errors.push({
      path,
      message: `a peer must set podSelector, namespaceSelector or ipBlock${droppedNote(peer, PEER_FIELDS)}; the API server refuses an empty peer`,
    });
    return;
  }
  if (set.length > 1 && set.includes('ipBlock')) {
    out.errors.push({ path, message: 'a peer may not set ipBlock together with a selector' });
    return;
  }
  const before = out.errors.length;
  out.errors.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  out.errors.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  if (out.errors.length > before) return;
  if (set.includes('ipBlock')) {
    const term = readIpBlock(peer.ipBlock, `${path}.ipBlock`, out.errors);
    if (term !== undefined) out.terms.push(term);
    return;
  }
  if (!isPresent(peer.namespaceSelector)) return; // podSelector alone: the policy's own namespace
  const namespaces = selectorModel(peer.namespaceSelector);
  const pods = isPresent(peer.podSelector) ? selectorModel(peer.podSelector) : undefined;
  if (!isOpen(namespaces, namespaceRole) || (pods !== undefined && !isOpen(pods, podRole))) return;
  const podPart =
    pods === undefined ? 'no podSelector narrows it' : `its podSelector ${whyOpen(pods, podRole, 'pod')}`;
  out.findings.push({
    path: `${path}.namespaceSelector`,
    message: `this ${EVERYONE[direction].peer}'s namespaceSelector ${whyOpen(namespaces, namespaceRole, 'namespace')} and ${podPart}: it is every pod in the cluster, ${consequence(direction)}`,
  });
}

/** What one direction's rules admit: API-server errors, and every way they admit everyone. */
export function readKubernetesRules(
  rules: readonly unknown[],
  direction: Direction,
): { readonly errors: FieldError[]; readonly findings: AllowAllFinding[] } {
  const out = { errors: [] as FieldError[], findings: [] as AllowAllFinding[], terms: [] as AddressTerm[] };
  const key = PEER_KEY[direction];
  rules.forEach((rule, index) => {
    const path = fieldPath(`spec.${direction}`, index);
    const peers = isRecord(rule) ? asList(rule[key]) : [];
    if (peers.length === 0) {
      // An absent or empty from/to matches every peer (NetworkPolicyIngressRule/EgressRule API docs).
      out.findings.push({
        path,
        message: `${direction} rule without \`${key}\`${droppedNote(rule, [key, 'ports'])} names no ${EVERYONE[direction].peer}, ${consequence(direction)}`,
      });
      return;
    }
    peers.forEach((peer, peerIndex) => readPeer(peer, fieldPath(path, key, peerIndex), direction, out));
  });
  out.findings.push(...coverageFinding(out.terms, 'ipBlock', direction));
  return { errors: out.errors, findings: out.findings };
}
