/**
 * Cilium rule analysis (cilium.io/v2 IngressRule): which ingress rules admit every source.
 * Cilium semantics (docs.cilium.io, Layer 3/4 policy): a rule's from* fields select peers; a rule
 * with no from* field but with toPorts/icmps is an L4-only rule that admits every peer on those
 * ports; an empty rule `{}` selects no peer and allows nothing (it only turns on default deny).
 */
import { isEmptyLabelSelector } from '../selectors/label-selector.js';
import type { AllowAllFinding } from '../types.js';
import { asList, fieldPath, isEverythingCidr, isRecord, isSet } from './shared.js';

const PEER_FIELDS = [
  'fromEndpoints',
  'fromCIDR',
  'fromCIDRSet',
  'fromEntities',
  'fromGroups',
  'fromNodes',
] as const;
const PORT_FIELDS = ['toPorts', 'icmps'] as const;

/** Entities that stand for every source, or every source of a kind (docs: Entities based). */
const OPEN_ENTITIES: Readonly<Record<string, string>> = {
  all: 'every source, inside the cluster and out',
  world: 'every address outside the cluster',
  'world-ipv4': 'every IPv4 address outside the cluster',
  'world-ipv6': 'every IPv6 address outside the cluster',
  cluster: 'every endpoint in the cluster',
};

/** Whether a rule is the empty rule `{}`, which allows nothing. */
export function isEmptyCiliumRule(rule: unknown): boolean {
  return !isRecord(rule) || Object.keys(rule).length === 0;
}

function peerFindings(
  rule: Readonly<Record<string, unknown>>,
  path: string,
  clusterWide: boolean,
): AllowAllFinding[] {
  const findings: AllowAllFinding[] = [];
  asList(rule.fromEntities).forEach((entity, index) => {
    const what = typeof entity === 'string' ? OPEN_ENTITIES[entity] : undefined;
    if (what !== undefined)
      findings.push({
        path: fieldPath(path, 'fromEntities', index),
        message: `fromEntities ${entity as string} admits ${what}`,
      });
  });
  asList(rule.fromCIDR).forEach((cidr, index) => {
    if (isEverythingCidr(cidr))
      findings.push({
        path: fieldPath(path, 'fromCIDR', index),
        message: `fromCIDR ${String(cidr)} admits every address`,
      });
  });
  asList(rule.fromCIDRSet).forEach((entry, index) => {
    if (isRecord(entry) && isEverythingCidr(entry.cidr)) {
      findings.push({
        path: fieldPath(path, 'fromCIDRSet', index, 'cidr'),
        message: `fromCIDRSet ${String(entry.cidr)} admits every address`,
      });
    }
  });
  if (clusterWide) {
    // In a namespaced policy `{}` means "every pod of this namespace"; cluster-wide it means every pod anywhere.
    asList(rule.fromEndpoints).forEach((selector, index) => {
      if (isEmptyLabelSelector(selector)) {
        findings.push({
          path: fieldPath(path, 'fromEndpoints', index),
          message: 'fromEndpoints {} in a cluster-wide policy admits every endpoint in every namespace',
        });
      }
    });
  }
  return findings;
}

/** Every ingress rule (under `base`, e.g. "spec") that admits every source. */
export function ciliumAllowAll(
  ingress: readonly unknown[],
  base: string,
  clusterWide: boolean,
): AllowAllFinding[] {
  const findings: AllowAllFinding[] = [];
  ingress.forEach((rule, index) => {
    if (!isRecord(rule)) return;
    const path = fieldPath(base, 'ingress', index);
    const hasPeers = PEER_FIELDS.some((key) => rule[key] !== undefined && rule[key] !== null);
    if (!hasPeers) {
      if (PORT_FIELDS.some((key) => isSet(rule[key]))) {
        findings.push({
          path,
          message:
            'ingress rule with ports but no from* peers is L4-only and admits every source on those ports',
        });
      }
      return;
    }
    findings.push(...peerFindings(rule, path, clusterWide));
  });
  return findings;
}
