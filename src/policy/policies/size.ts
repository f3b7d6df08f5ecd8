/**
 * How much of a policy ztgate judges in one admission request. Kubernetes, Calico, Cilium and Istio
 * set no limit on a policy's rules, but every rule is read, normalized and judged on the request's
 * path: 20,000 ingress rules held the event loop 120 ms, every other admission and /healthz
 * waiting behind it. No hand-written or generated policy comes near these bounds; past them the
 * policy is refused as invalid-object before it is read, so the work per request stays bounded.
 */
import { isRecord } from '../objects.js';
import type { FieldError, KubeObject } from '../types.js';

/** The most rules in one rule list (spec.ingress, spec.egress, Cilium's deny lists, Istio's rules). */
export const MAX_RULES = 1_000;
/** The most list items, at any depth, in one policy's spec (peers, ports, CIDRs, principals …). */
export const MAX_ITEMS = 20_000;

const RULE_LISTS = ['ingress', 'egress', 'ingressDeny', 'egressDeny', 'rules'] as const;

/** List items under `value`, counted until `budget` is passed (then budget + 1); no allocation. */
function countItems(value: unknown, budget: number, depth = 0): number {
  // Bodies nested past 1,000 levels are refused before parsing; this bounds the walk anyway.
  if (depth > 1_000 || typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    count += value.length;
    for (const item of value) {
      if (count > budget) return count;
      count += countItems(item, budget - count, depth + 1);
    }
    return count;
  }
  for (const key in value) {
    if (count > budget) return count;
    if (Object.hasOwn(value, key))
      count += countItems((value as Record<string, unknown>)[key], budget - count, depth + 1);
  }
  return count;
}

function ruleListErrors(spec: unknown, path: string): FieldError[] {
  if (!isRecord(spec)) return [];
  const errors: FieldError[] = [];
  for (const list of RULE_LISTS) {
    const rules = spec[list];
    if (Array.isArray(rules) && rules.length > MAX_RULES)
      errors.push({
        path: `${path}.${list}`,
        message: `${rules.length} rules; ztgate judges at most ${MAX_RULES} rules in one list (split the policy)`,
      });
  }
  return errors;
}

/** Errors for a policy larger than ztgate judges in one request; [] for every real policy. */
export function policySizeErrors(object: KubeObject): FieldError[] {
  const errors = ruleListErrors(object['spec'], 'spec');
  const specs = object['specs'];
  if (Array.isArray(specs)) {
    if (specs.length > MAX_RULES)
      errors.push({
        path: 'specs',
        message: `${specs.length} rule sets; ztgate judges at most ${MAX_RULES}`,
      });
    else specs.forEach((spec, index) => errors.push(...ruleListErrors(spec, `specs[${index}]`)));
  }
  if (errors.length > 0) return errors;
  const items = countItems(object['spec'], MAX_ITEMS) + countItems(specs, MAX_ITEMS);
  if (items > MAX_ITEMS)
    return [
      {
        path: 'spec',
        message: `more than ${MAX_ITEMS} list items (rules, peers, ports, addresses); ztgate judges at most ${MAX_ITEMS} in one policy (split the policy)`,
      },
    ];
  return [];
}
