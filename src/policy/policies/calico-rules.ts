/**
 * Calico rule analysis (projectcalico.org/v3 Rule and EntityRule): rule actions, selector
 * errors inside rules, and Allow rules whose source admits everyone.
 */
import { isCalicoAll } from '../selectors/calico-ast.js';
import { parseCalicoSelector } from '../selectors/calico-parser.js';
import type { AllowAllFinding, FieldError } from '../types.js';
import { asList, asString, fieldPath, isEverythingCidr, isRecord, isSet } from './shared.js';

/** The actions a Calico rule may take. */
export const CALICO_ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const;

/** Source fields that name who may connect; `ports`/`notPorts` are source ports and name no one. */
const POSITIVE_SOURCE_FIELDS = [
  'selector',
  'namespaceSelector',
  'nets',
  'serviceAccounts',
  'services',
] as const;
const NEGATIVE_SOURCE_FIELDS = ['notSelector', 'notNets'] as const;
const ENTITY_SELECTORS = ['selector', 'notSelector', 'namespaceSelector'] as const;

/** Whether a field holds a non-empty selector that parses to all(). */
function isAllSelector(value: unknown): boolean {
  const text = asString(value);
  if (text === undefined || text.trim() === '') return false;
  const parsed = parseCalicoSelector(text);
  return parsed.ok && isCalicoAll(parsed.selector);
}

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
  return errors;
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
        message: `action must be one of ${CALICO_ACTIONS.join(', ')}, not ${JSON.stringify(action)}`,
      });
    }
    if (isRecord(rule))
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

function sourceFindings(
  source: Readonly<Record<string, unknown>>,
  path: string,
  global: boolean,
): AllowAllFinding[] {
  const positive = POSITIVE_SOURCE_FIELDS.filter((key) => isSet(source[key]));
  const negative = NEGATIVE_SOURCE_FIELDS.filter((key) => isSet(source[key]));
  if (positive.length === 0 && negative.length === 0) {
    return [
      {
        path,
        message:
          'Allow rule without source criteria (selector, namespaceSelector, nets, serviceAccounts, services) admits every source',
      },
    ];
  }
  if (positive.length === 0) {
    return [
      {
        path: `${path}.source`,
        message: `Allow rule whose source only excludes (${negative.join(', ')}) admits every other source`,
      },
    ];
  }
  const findings: AllowAllFinding[] = [];
  asList(source.nets).forEach((net, index) => {
    if (isEverythingCidr(net))
      findings.push({
        path: fieldPath(path, 'source', 'nets', index),
        message: `source net ${String(net)} admits every address`,
      });
  });
  const onlyScope =
    !isSet(source.selector) &&
    !isSet(source.serviceAccounts) &&
    !isSet(source.services) &&
    !isSet(source.nets);
  if (onlyScope && isAllSelector(source.namespaceSelector)) {
    findings.push({
      path: `${path}.source.namespaceSelector`,
      message: 'namespaceSelector all() without a selector admits every pod in every namespace',
    });
  }
  const noScope =
    !isSet(source.namespaceSelector) && !isSet(source.serviceAccounts) && !isSet(source.services);
  if (global && noScope && isAllSelector(source.selector)) {
    findings.push({
      path: `${path}.source.selector`,
      message: 'selector all() in a GlobalNetworkPolicy admits every endpoint in the cluster',
    });
  }
  return findings;
}

/** Every Allow ingress rule that admits every source, at the field that does it. */
export function calicoAllowAll(ingress: readonly unknown[], global: boolean): AllowAllFinding[] {
  const findings: AllowAllFinding[] = [];
  ingress.forEach((rule, index) => {
    if (!isRecord(rule) || rule.action !== 'Allow') return;
    const path = fieldPath('spec.ingress', index);
    findings.push(...sourceFindings(isRecord(rule.source) ? rule.source : {}, path, global));
  });
  return findings;
}
