/**
 * One side of a Calico Allow rule (projectcalico.org/v3 EntityRule: the source of an ingress rule,
 * the destination of an egress rule) judged by what it admits. Its fields are ANDed: nets and
 * notNets test the address; selector, namespaceSelector, serviceAccounts and services pick
 * endpoints (and so leave out every address outside the cluster); notSelector only excludes
 * endpoints (calico-labels.ts says which endpoint labels a pod nobody labelled carries).
 */
import type { AddressEntry, AddressTerm } from '../net/address-coverage.js';
import { findCoverage } from '../net/address-coverage.js';
import { parseCidr, type IpFamily } from '../net/cidr.js';
import { isCalicoAll, type CalicoSelector } from '../selectors/calico-ast.js';
import { parseCalicoSelector } from '../selectors/calico-parser.js';
import type { AllowAllFinding, FieldError } from '../types.js';
import { calicoModel, endpointRole, profileRole } from './calico-labels.js';
import { consequence, droppedNote, EVERYONE, isOpen, whyOpen, type Direction } from './everyone.js';
import { asList, asString, fieldPath, isRecord } from './shared.js';

/** The fields of a Calico EntityRule; anything else is dropped before storing. */
export const ENTITY_FIELDS = [
  'nets',
  'notNets',
  'selector',
  'notSelector',
  'namespaceSelector',
  'ports',
  'notPorts',
  'serviceAccounts',
  'services',
] as const;

/** The fields of the EntityRule's ServiceAccountMatch and ServiceMatch. */
const NESTED_FIELDS = { serviceAccounts: ['names', 'selector'], services: ['name', 'namespace'] };

/** A selector field's syntax tree; undefined when absent or blank (no criterion). Errors are reported elsewhere. */
function selectorOf(value: unknown): CalicoSelector | undefined {
  const text = asString(value);
  if (text === undefined || text.trim() === '') return undefined;
  const parsed = parseCalicoSelector(text);
  return parsed.ok ? parsed.selector : undefined;
}

function readNets(
  entity: Readonly<Record<string, unknown>>,
  key: 'nets' | 'notNets',
  path: string,
  errors: FieldError[],
): AddressEntry[] {
  const entries: AddressEntry[] = [];
  asList(entity[key]).forEach((net, index) => {
    const at = fieldPath(path, key, index);
    // libcalico-go ParseCIDROrIP: a bare address is a /32 or /128.
    const parsed = parseCidr(net, { bareAddress: true });
    if (parsed.ok) entries.push({ path: at, cidr: parsed.cidr });
    else errors.push({ path: at, message: `not a valid CIDR or IP: ${parsed.error}` });
  });
  return entries;
}

/** Whether the rule's entity names endpoints: a selector, namespaceSelector, ServiceAccounts or a service. */
function endpointFields(entity: Readonly<Record<string, unknown>>): string[] {
  const fields: string[] = [];
  if (selectorOf(entity.namespaceSelector) !== undefined) fields.push('namespaceSelector');
  if (selectorOf(entity.selector) !== undefined) fields.push('selector');
  const accounts = entity.serviceAccounts;
  if (
    isRecord(accounts) &&
    (asList(accounts.names).length > 0 || selectorOf(accounts.selector) !== undefined)
  )
    fields.push('serviceAccounts');
  if (isRecord(entity.services) && asString(entity.services.name) !== undefined) fields.push('services');
  return fields;
}

/** What one Allow rule's entity contributes: a finding when it admits every endpoint or everything, or its addresses. */
export interface EntityReading {
  readonly finding?: AllowAllFinding;
  readonly term?: AddressTerm;
}

interface EntityContext {
  /** The rule's path ("spec.ingress[0]"); the entity is its `source` (ingress) or `destination` (egress). */
  readonly rulePath: string;
  readonly direction: Direction;
  readonly global: boolean;
  readonly families: readonly IpFamily[] | undefined;
}

/** Whether an endpoint-naming entity matches the unlabelled endpoint of an unlabelled namespace, in scope. */
function endpointsOpen(entity: Readonly<Record<string, unknown>>, global: boolean): string | undefined {
  if (isRecord(entity.services) && asString(entity.services.name) !== undefined) return undefined;
  const namespaces = selectorOf(entity.namespaceSelector);
  // A namespaced policy's selectors without a namespaceSelector stay in its own namespace.
  if (namespaces === undefined && !global) return undefined;
  if (namespaces?.type === 'global') return undefined;
  if (namespaces !== undefined && !isOpen(calicoModel(namespaces), profileRole)) return undefined;
  const selector = selectorOf(entity.selector);
  if (selector !== undefined && !isOpen(calicoModel(selector), endpointRole)) return undefined;
  const excluded = selectorOf(entity.notSelector);
  if (excluded !== undefined && isOpen(calicoModel(excluded), endpointRole)) return undefined;
  const accounts = isRecord(entity.serviceAccounts) ? entity.serviceAccounts : {};
  if (asList(accounts.names).length > 0) return undefined;
  const accountSelector = selectorOf(accounts.selector);
  if (accountSelector !== undefined && !isOpen(calicoModel(accountSelector), profileRole)) return undefined;
  const parts: string[] = [];
  if (namespaces === undefined)
    parts.push('a GlobalNetworkPolicy selector without namespaceSelector reaches every namespace');
  else
    parts.push(
      `namespaceSelector ${isCalicoAll(namespaces) ? 'all() matches every namespace' : whyOpen(calicoModel(namespaces), profileRole, 'namespace')}`,
    );
  if (selector !== undefined)
    parts.push(
      `selector ${isCalicoAll(selector) ? 'all() matches every endpoint' : whyOpen(calicoModel(selector), endpointRole, 'endpoint')}`,
    );
  return parts.join(', and ');
}

/** Reads one Allow rule's source (ingress) or destination (egress). */
export function readCalicoEntity(
  value: unknown,
  context: EntityContext,
  errors: FieldError[],
): EntityReading {
  const entity = isRecord(value) ? value : {};
  const { rulePath, direction } = context;
  const path = `${rulePath}.${direction === 'ingress' ? 'source' : 'destination'}`;
  const before = errors.length;
  const nets = readNets(entity, 'nets', path, errors);
  const notNets = readNets(entity, 'notNets', path, errors);
  if (errors.length > before) return {};
  const named = endpointFields(entity);
  if (named.length === 0) {
    if (nets.length === 0 && notNets.length === 0) {
      if (selectorOf(entity.notSelector) !== undefined)
        return {
          finding: {
            path,
            message: `this ${EVERYONE[direction].peer} only excludes (notSelector), and every address outside the cluster passes a notSelector, ${consequence(direction)}`,
          },
        };
      return {
        finding: {
          path: rulePath,
          message: `Allow rule without ${EVERYONE[direction].peer} criteria (selector, namespaceSelector, nets, serviceAccounts, services)${droppedNote(value, ENTITY_FIELDS, NESTED_FIELDS)} names no ${EVERYONE[direction].peer}, ${consequence(direction)}`,
        },
      };
    }
    return {
      term: {
        path,
        include: nets.length > 0 ? nets : undefined,
        exclude: notNets,
        families: context.families,
      },
    };
  }
  // Endpoints carry addresses of some family: nets that do not cover one narrow them.
  const netTerm: AddressTerm = {
    path,
    include: nets.length > 0 ? nets : undefined,
    exclude: notNets,
    families: context.families,
  };
  if ((nets.length > 0 || notNets.length > 0) && findCoverage([netTerm]) === undefined) return {};
  const why = endpointsOpen(entity, context.global);
  if (why === undefined) return {};
  const field = named.includes('namespaceSelector') ? 'namespaceSelector' : named[0];
  return {
    finding: {
      path: `${path}.${field ?? 'selector'}`,
      message: `${why}: this ${EVERYONE[direction].peer} is every endpoint in the cluster, ${consequence(direction)}`,
    },
  };
}
