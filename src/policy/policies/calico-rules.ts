/**
 * Calico rule analysis (projectcalico.org/v3 Rule and EntityRule): rule actions, selector and
 * address errors inside rules, and Allow rules that admit everyone in either direction.
 */
import type { AddressTerm } from '../net/address-coverage.js';
import { parseCidr, type IpFamily } from '../net/cidr.js';
import { parseCalicoSelector } from '../selectors/calico-parser.js';
import type { AllowAllFinding, FieldError } from '../types.js';
import { readCalicoEntity } from './calico-entity.js';
import { coverageFinding, type Direction } from './everyone.js';
import { asList, fieldPath, isRecord } from './shared.js';
import { quoteValue } from '../message-text.js';

/** The actions a Calico rule may take. */
export const CALICO_ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const;

const ENTITY_SELECTORS = ['selector', 'notSelector', 'namespaceSelector'] as const;

/** Errors of a Calico selector field; absent or empty is valid (it means all()). */
export function calicoSelectorErrors(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string') return [{ path, message: 'a Calico selector must be a string' }];
  const parsed = parseCalicoSelector(value);
  return parsed.ok ? [] : [{ path, message: parsed.error }];
}

function entityErrors(entity: unknown, path: string): FieldError[] {
  if (!isRecord(entity)) return [];
  const errors = ENTITY_SELECTORS.flatMap((key) => calicoSelectorErrors(entity[key], `${path}.${key}`));
  if (isRecord(entity.serviceAccounts)) {
    errors.push(...calicoSelectorErrors(entity.serviceAccounts.selector, `${path}.serviceAccounts.selector`));
  }
  for (const key of ['nets', 'notNets'] as const) {
    asList(entity[key]).forEach((net, index) => {
      // libcalico-go ParseCIDROrIP: a bare address is a /32 or /128.
      const parsed = parseCidr(net, { bareAddress: true });
      if (!parsed.ok)
        errors.push({
          path: fieldPath(path, key, index),
          message: `not a valid CIDR or IP: ${parsed.error}`,
        });
    });
  }
  return errors;
}

/** The families a rule is limited to by `ipVersion` (4 or 6), or undefined for both. */
function familiesOf(rule: Readonly<Record<string, unknown>>): readonly IpFamily[] | undefined {
  return rule.ipVersion === 4 || rule.ipVersion === 6 ? [rule.ipVersion] : undefined;
}

/** Invalid actions and selectors in a list of rules at `base` (e.g. "spec.ingress"). */
export function calicoRuleErrors(rules: readonly unknown[], base: string): FieldError[] {
  const errors: FieldError[] = [];
  rules.forEach((rule, index) => {
    const path = fieldPath(base, index);
    const action = isRecord(rule) ? rule.action : undefined;
    if (!(CALICO_ACTIONS as readonly unknown[]).includes(action)) {
      errors.push({
        path: `${path}.action`,
        message: `action must be one of ${CALICO_ACTIONS.join(', ')}, not ${quoteValue(action)}`,
      });
    }
    if (!isRecord(rule)) return;
    const version = rule.ipVersion;
    if (version !== undefined && version !== null && version !== 4 && version !== 6)
      errors.push({
        path: `${path}.ipVersion`,
        message: `ipVersion must be 4 or 6, not ${quoteValue(version)}`,
      });
    errors.push(
      ...entityErrors(rule.source, `${path}.source`),
      ...entityErrors(rule.destination, `${path}.destination`),
    );
  });
  return errors;
}

/** Whether any rule lets traffic through this policy: Allow, or Pass to the next tier, which may allow. */
export function calicoRulesAdmit(rules: readonly unknown[]): boolean {
  return rules.some((rule) => isRecord(rule) && (rule.action === 'Allow' || rule.action === 'Pass'));
}

/** Whether any rule is an Allow. */
export function calicoRulesAllow(rules: readonly unknown[]): boolean {
  return rules.some((rule) => isRecord(rule) && rule.action === 'Allow');
}

/**
 * Every way the Allow rules of one direction admit everyone: a rule whose source (ingress) or
 * destination (egress) names no one or every endpoint, and the rules' addresses taken together
 * (`nets` minus `notNets`, limited by `ipVersion`). Deny and Pass rules admit nothing here; an
 * Allow rule is judged by itself, not by the Deny rules before it (name the peers in the Allow).
 */
export function calicoAllowAll(
  rules: readonly unknown[],
  direction: Direction,
  global: boolean,
): AllowAllFinding[] {
  const findings: AllowAllFinding[] = [];
  const terms: AddressTerm[] = [];
  const side = direction === 'ingress' ? 'source' : 'destination';
  rules.forEach((rule, index) => {
    if (!isRecord(rule) || rule.action !== 'Allow') return;
    const rulePath = fieldPath(`spec.${direction}`, index);
    const reading = readCalicoEntity(
      rule[side],
      { rulePath, direction, global, families: familiesOf(rule) },
      [],
    );
    if (reading.finding !== undefined) findings.push(reading.finding);
    if (reading.term !== undefined) terms.push(reading.term);
  });
  findings.push(...coverageFinding(terms, `${side} net`, direction));
  return findings;
}
