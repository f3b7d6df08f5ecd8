/**
 * cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy → NormalizedPolicy.
 * Default deny follows Cilium's policy enforcement docs and pkg/policy/repository.go: a rule
 * puts the endpoints it selects into default deny for a direction when it has rules for that
 * direction (`ingress`/`ingressDeny`, `egress`/`egressDeny` non-empty) unless
 * `enableDefaultDeny.<direction>` is false. An empty list (`ingress: []`) is no rule at all:
 * the Rule API says "if omitted or empty, this rule does not apply at ingress". The canonical
 * deny-all is `ingress: [{}]` / `egress: [{}]`, an empty rule that allows nothing.
 */
import {
  labelSelectorKeys,
  mapLabelSelectorKeys,
  compileLabelSelectorOn,
  validateLabelSelector,
} from '../selectors/label-selector.js';
import type {
  FieldError,
  KubeObject,
  Labels,
  NormalizedPolicy,
  RequiredLabel,
  SelectTarget,
} from '../types.js';
import {
  ciliumModel,
  ciliumTargetRole,
  ciliumValidationKey,
  isNamespaceKey,
  NAMESPACE_KEY,
  NAMESPACE_LABELS_PREFIX,
  SERVICE_ACCOUNT_KEY,
  stripCiliumSource,
} from './cilium-labels.js';
import { isEmptyCiliumRule, readCiliumRules, type CiliumDirection } from './cilium-rules.js';
import { coverageFinding, isOpen, type Direction } from './everyone.js';
import {
  asList,
  buildPolicy,
  fieldPath,
  isRecord,
  requiredLabelsOf,
  metadataOf,
  type NormalizeOptions,
} from './shared.js';

export { stripCiliumSource };

interface NamespaceSource {
  readonly namespace: string;
  readonly namespaceLabels: Labels;
}

/** A label Cilium derives from the namespace: its name and its labels under a prefix. */
function namespaceLevelLabel(source: NamespaceSource, key: string): string | undefined {
  if (key === NAMESPACE_KEY) return source.namespace;
  if (!key.startsWith(NAMESPACE_LABELS_PREFIX)) return undefined;
  const name = key.slice(NAMESPACE_LABELS_PREFIX.length);
  return Object.hasOwn(source.namespaceLabels, name) ? source.namespaceLabels[name] : undefined;
}

/**
 * A label of the endpoint, read through the layers Cilium merges (pod labels, then the
 * ServiceAccount, then the namespace-derived labels, which win) without building the merged map.
 */
function endpointLabel(target: SelectTarget, key: string): string | undefined {
  const namespaceLevel = namespaceLevelLabel(target, key);
  if (namespaceLevel !== undefined) return namespaceLevel;
  if (key === SERVICE_ACCOUNT_KEY) return target.serviceAccountName ?? 'default';
  return Object.hasOwn(target.podLabels, key) ? target.podLabels[key] : undefined;
}

/** The part of a (valid, stripped) selector that constrains the namespace only. */
function namespacePart(selector: Readonly<Record<string, unknown>>): unknown {
  const labels = isRecord(selector.matchLabels)
    ? Object.entries(selector.matchLabels).filter(([key]) => isNamespaceKey(key))
    : [];
  const expressions = asList(selector.matchExpressions).filter(
    (entry) => isRecord(entry) && isNamespaceKey(String(entry.key)),
  );
  return { matchLabels: Object.fromEntries(labels), matchExpressions: expressions };
}

interface RuleSummary {
  readonly selects: (target: SelectTarget) => boolean;
  readonly requiredPodLabels: readonly RequiredLabel[];
  readonly everyPod: boolean;
  /** Whether it selects a pod nobody labelled (in some namespace): written for no one in particular. */
  readonly unlabelled: boolean;
  readonly coversNamespace: (namespace: string, labels: Labels) => boolean;
  /** Whether it has ingress allow rules (each lists sources). */
  readonly listsSources: boolean;
  readonly appliesToIngress: boolean;
  readonly appliesToEgress: boolean;
  readonly ruleCount: { readonly ingress: number; readonly egress: number };
  readonly isDefaultDeny: boolean;
  readonly errors: readonly FieldError[];
}

type Peers = Readonly<Record<Direction, CiliumDirection>>;

function summarizeRule(
  rule: Readonly<Record<string, unknown>>,
  base: string,
  namespace: string | undefined,
  peers: Peers,
): RuleSummary {
  const errors: FieldError[] = [];
  const hasSelector = rule.endpointSelector !== undefined && rule.endpointSelector !== null;
  const selector = mapLabelSelectorKeys(rule.endpointSelector, stripCiliumSource) as Readonly<
    Record<string, unknown>
  >;
  if (hasSelector)
    errors.push(...validateLabelSelector(selector, `${base}.endpointSelector`, ciliumValidationKey));
  else if (rule.nodeSelector === undefined)
    errors.push({ path: base, message: 'a Cilium rule needs an endpointSelector or a nodeSelector' });
  // nodeSelector rules are host policies: they never select pods.
  const valid = hasSelector && errors.length === 0;
  const ingress = asList(rule.ingress);
  const ingressDeny = asList(rule.ingressDeny);
  const egress = asList(rule.egress);
  const egressDeny = asList(rule.egressDeny);
  const defaults = isRecord(rule.enableDefaultDeny) ? rule.enableDefaultDeny : {};
  const appliesToIngress = ingress.length > 0 || ingressDeny.length > 0;
  const appliesToEgress = egress.length > 0 || egressDeny.length > 0;
  if (!appliesToIngress && !appliesToEgress) {
    errors.push({
      path: base,
      message:
        'Cilium rejects a rule with no ingress, ingressDeny, egress or egressDeny rules (empty lists count as none)',
    });
  }
  const everyPod = valid && labelSelectorKeys(selector, ciliumValidationKey).every(isNamespaceKey);
  const allowsNothing =
    ingress.every((entry) => isEmptyCiliumRule(entry, 'ingress')) &&
    egress.every((entry) => isEmptyCiliumRule(entry, 'egress'));
  readCiliumRules(ingress, base, 'ingress', namespace !== undefined, peers.ingress);
  readCiliumRules(egress, base, 'egress', namespace !== undefined, peers.egress);
  const scoped = (candidate: string): boolean => namespace === undefined || candidate === namespace;
  const matches = compileLabelSelectorOn(selector, ciliumValidationKey);
  const matchesNamespace = valid ? compileLabelSelectorOn(namespacePart(selector)) : () => false;
  return {
    selects: (target) => valid && scoped(target.namespace) && matches(target, endpointLabel),
    // Keys endpointLabel reads from the pod's own labels: not namespace-derived, not the account.
    requiredPodLabels: valid
      ? requiredLabelsOf(selector, (key) => !isNamespaceKey(key) && key !== SERVICE_ACCOUNT_KEY)
      : [],
    everyPod,
    unlabelled: valid && isOpen(ciliumModel(rule.endpointSelector), ciliumTargetRole),
    coversNamespace: (candidate, labels) =>
      valid &&
      scoped(candidate) &&
      matchesNamespace({ namespace: candidate, namespaceLabels: labels }, namespaceLevelLabel),
    listsSources: ingress.length > 0,
    appliesToIngress,
    appliesToEgress,
    ruleCount: { ingress: ingress.length + ingressDeny.length, egress: egress.length + egressDeny.length },
    isDefaultDeny:
      everyPod &&
      appliesToIngress &&
      appliesToEgress &&
      defaults.ingress !== false &&
      defaults.egress !== false &&
      allowsNothing,
    errors,
  };
}

/** The rules of a policy: `spec` and every entry of `specs`, with their field paths. */
function rulesOf(object: KubeObject): { rule: Readonly<Record<string, unknown>>; base: string }[] {
  const rules = isRecord(object.spec) ? [{ rule: object.spec, base: 'spec' }] : [];
  asList(object.specs).forEach((rule, index) => {
    if (isRecord(rule)) rules.push({ rule, base: fieldPath('specs', index) });
  });
  return rules;
}

/**
 * The policy's predicates, made here and not inside normalizeCiliumPolicy: a closure made there
 * would share its context with every variable any of its closures use (`peers`, the rules), and
 * keep them for the policy's life.
 */
function anyRuleSelects(selectors: readonly ((target: SelectTarget) => boolean)[]) {
  return (target: SelectTarget): boolean => selectors.some((selects) => selects(target));
}

function anyRuleCovers(coverers: readonly ((namespace: string, labels: Labels) => boolean)[]) {
  return (namespace: string, labels: Labels): boolean => coverers.some((covers) => covers(namespace, labels));
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Normalizes a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy. */
export function normalizeCiliumPolicy(object: KubeObject, options: NormalizeOptions): NormalizedPolicy {
  const clusterWide = object.kind === 'CiliumClusterwideNetworkPolicy';
  const meta = metadataOf(object, options.defaultNamespace);
  const namespace = clusterWide ? undefined : meta.namespace;
  const peers: Peers = {
    ingress: { errors: [], findings: [], terms: [] },
    egress: { errors: [], findings: [], terms: [] },
  };
  const rules = rulesOf(object).map(({ rule, base }) => summarizeRule(rule, base, namespace, peers));
  const errors = [...rules.flatMap((rule) => rule.errors), ...peers.ingress.errors, ...peers.egress.errors];
  if (rules.length === 0) errors.push({ path: 'spec', message: 'a Cilium policy needs `spec` or `specs`' });
  const selectsEveryPod = rules.length > 0 && rules.every((rule) => rule.everyPod);
  const selectsUnlabelledPods = rules.length > 0 && rules.every((rule) => rule.unlabelled);
  // With mixed rules, a rule written for no pod in particular must not make the policy look so.
  const selecting = selectsUnlabelledPods ? rules : rules.filter((rule) => !rule.unlabelled);
  // CIDRs of one direction count together, across the rules of `specs` too.
  const findingsOf = (direction: Direction) => [
    ...peers[direction].findings,
    ...coverageFinding(peers[direction].terms, 'CIDR', direction),
  ];
  const denyRules = rules.filter((rule) => rule.isDefaultDeny);
  // The policy's predicates keep only the rules' own predicates, not the rule summaries.
  const selectors = selecting.map((rule) => rule.selects);
  const coverers = (denyRules.length > 0 ? denyRules : rules).map((rule) => rule.coversNamespace);
  return buildPolicy({
    flavour: clusterWide ? 'cilium-clusterwide' : 'cilium',
    object,
    name: meta.name,
    namespace,
    clusterWide,
    selects: anyRuleSelects(selectors),
    selectsEveryPod,
    selectsUnlabelledPods,
    // One selecting rule: its label; several select a union, which no single label bounds.
    requiredPodLabels: selecting.length === 1 ? selecting[0]?.requiredPodLabels : [],
    appliesToIngress: rules.some((rule) => rule.appliesToIngress),
    appliesToEgress: rules.some((rule) => rule.appliesToEgress),
    ingressRuleCount: sum(rules.map((rule) => rule.ruleCount.ingress)),
    egressRuleCount: sum(rules.map((rule) => rule.ruleCount.egress)),
    // Only ingress *allow* rules list sources; ingressDeny alone is a block-list.
    isAllowList: selecting.some((rule) => rule.listsSources),
    isDefaultDeny: denyRules.length > 0,
    coversNamespace: anyRuleCovers(coverers),
    allowAll: findingsOf('ingress'),
    // Egress rules count whatever the selector: any pod they open cancels the egress default deny.
    allowAllEgress: findingsOf('egress'),
    errors,
  });
}
