/**
 * projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy → NormalizedPolicy, following
 * libcalico-go's conversion for Felix (updateprocessors/networkpolicyprocessor.go and
 * globalnetworkpolicyprocessor.go): a namespaced policy's selector is ANDed with
 * `projectcalico.org/namespace == '<ns>'`; a global policy's namespaceSelector is matched against
 * the namespace's labels (Felix sees them on the endpoint as `pcns.<key>`), and a
 * serviceAccountSelector against the ServiceAccount's labels (`pcsa.<key>`).
 */
import {
  calicoSelectorLabels,
  evaluateCalicoSelectorOn,
  isCalicoAll,
  type CalicoSelector,
} from '../selectors/calico-ast.js';
import { parseCalicoSelector } from '../selectors/calico-parser.js';
import type {
  FieldError,
  KubeObject,
  Labels,
  NormalizedPolicy,
  RequiredLabel,
  SelectTarget,
} from '../types.js';
import {
  ACCOUNT_PREFIX,
  NAME_LABEL,
  NAMESPACE_LABEL,
  NAMESPACE_PREFIX,
  ORCHESTRATOR_LABEL,
  picksUnlabelled,
  SERVICE_ACCOUNT_LABEL,
} from './calico-labels.js';
import { calicoAllowAll, calicoRuleErrors, calicoRulesAdmit, calicoRulesAllow } from './calico-rules.js';
import { asList, buildPolicy, fieldPath, isRecord, metadataOf, type NormalizeOptions } from './shared.js';
import { quoteValue } from '../message-text.js';

const ALL: CalicoSelector = { type: 'all' };

function own(labels: Labels, key: string): string | undefined {
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** A namespace's labels as Calico's profile shows them: its own, and its name, which wins. */
function profileLabel(name: string, labels: Labels, key: string): string | undefined {
  return key === NAME_LABEL ? name : own(labels, key);
}

/** Where a namespace-level label lives; the merged maps are never built (a decision asks often). */
interface NamespaceSource {
  readonly namespace: string;
  readonly namespaceLabels: Labels;
}

/** A label of the namespace as a namespaceSelector sees it. */
function namespaceProfileLabel(source: NamespaceSource, key: string): string | undefined {
  return profileLabel(source.namespace, source.namespaceLabels, key);
}

/**
 * A label every pod of a namespace carries as Calico sees it (no pod-specific ones):
 * `pcns.<key>` from the namespace's profile, plus Calico's namespace and orchestrator labels.
 */
function namespaceLevelLabel(source: NamespaceSource, key: string): string | undefined {
  if (key === NAMESPACE_LABEL) return source.namespace;
  if (key === ORCHESTRATOR_LABEL) return 'k8s';
  if (!key.startsWith(NAMESPACE_PREFIX)) return undefined;
  return profileLabel(source.namespace, source.namespaceLabels, key.slice(NAMESPACE_PREFIX.length));
}

/**
 * A label of the workload endpoint. Felix merges, lowest first: the ServiceAccount profile
 * (`pcsa.<key>`), the pod's labels, the namespace-level labels, and its serviceaccount label.
 */
function endpointLabel(target: SelectTarget, key: string): string | undefined {
  if (key === SERVICE_ACCOUNT_LABEL) return target.serviceAccountName ?? 'default';
  const namespaceLevel = namespaceLevelLabel(target, key);
  if (namespaceLevel !== undefined) return namespaceLevel;
  const pod = own(target.podLabels, key);
  if (pod !== undefined || !key.startsWith(ACCOUNT_PREFIX)) return pod;
  return accountLabel(target, key.slice(ACCOUNT_PREFIX.length));
}

/** Keys endpointLabel answers from the pod's own labels alone (no namespace, account or Calico label). */
function isPodOnlyKey(key: string): boolean {
  return (
    key !== SERVICE_ACCOUNT_LABEL &&
    key !== NAMESPACE_LABEL &&
    key !== ORCHESTRATOR_LABEL &&
    !key.startsWith(NAMESPACE_PREFIX) &&
    !key.startsWith(ACCOUNT_PREFIX)
  );
}

/** The `key == 'value'` terms the selector cannot match without: itself, or terms of a top-level `&&`. */
function requiredPodLabels(selector: CalicoSelector): RequiredLabel[] {
  const terms = selector.type === 'and' ? selector.operands : [selector];
  const required: RequiredLabel[] = [];
  for (const term of terms) {
    if (term.type === 'eq' && isPodOnlyKey(term.label)) required.push({ key: term.label, value: term.value });
  }
  return required;
}

/** A label of the ServiceAccount as a serviceAccountSelector sees it; none when its labels are unknown. */
function accountLabel(target: SelectTarget, key: string): string | undefined {
  const labels = target.serviceAccountLabels;
  return labels === undefined ? undefined : profileLabel(target.serviceAccountName ?? 'default', labels, key);
}

function isNamespaceLevel(key: string): boolean {
  return key === NAMESPACE_LABEL || key === ORCHESTRATOR_LABEL || key.startsWith(NAMESPACE_PREFIX);
}

/** Parses an optional selector field; absent or blank means all(). */
function parseField(
  spec: Readonly<Record<string, unknown>>,
  key: string,
  errors: FieldError[],
): CalicoSelector | undefined {
  const value = spec[key];
  if (value === undefined || value === null) return { type: 'all' };
  if (typeof value !== 'string') {
    errors.push({ path: `spec.${key}`, message: 'a Calico selector must be a string' });
    return undefined;
  }
  const parsed = parseCalicoSelector(value);
  if (parsed.ok) return parsed.selector;
  errors.push({ path: `spec.${key}`, message: parsed.error });
  return undefined;
}

/** Calico `types` defaulting: Ingress unless there are only egress rules; both when both have rules. */
export function calicoPolicyTypes(
  spec: Readonly<Record<string, unknown>>,
  errors: FieldError[] = [],
): { ingress: boolean; egress: boolean } {
  const types = asList(spec.types);
  if (types.length > 0) {
    types.forEach((type, index) => {
      if (type !== 'Ingress' && type !== 'Egress') {
        errors.push({
          path: fieldPath('spec.types', index),
          message: `unknown type ${quoteValue(type)}: expected Ingress or Egress`,
        });
      }
    });
    return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  }
  const ingress = asList(spec.ingress).length;
  const egress = asList(spec.egress).length;
  return { ingress: ingress > 0 || egress === 0, egress: egress > 0 };
}

interface CalicoMatcher {
  readonly selects: (target: SelectTarget) => boolean;
  readonly requiredPodLabels: readonly RequiredLabel[];
  readonly selectsEveryPod: boolean;
  readonly selectsUnlabelledPods: boolean;
  readonly coversNamespace: (namespace: string, labels: Labels) => boolean;
}

/** Selection as Felix computes it from selector, namespaceSelector and serviceAccountSelector. */
function calicoMatcher(
  spec: Readonly<Record<string, unknown>>,
  namespace: string | undefined,
  errors: FieldError[],
): CalicoMatcher {
  const selector = parseField(spec, 'selector', errors);
  // A namespaced policy has no namespaceSelector of its own: its namespace is its scope.
  const namespaceSelector = namespace === undefined ? parseField(spec, 'namespaceSelector', errors) : ALL;
  const accountSelector = parseField(spec, 'serviceAccountSelector', errors);
  if (selector === undefined || namespaceSelector === undefined || accountSelector === undefined) {
    return {
      selects: () => false,
      requiredPodLabels: [],
      selectsEveryPod: false,
      selectsUnlabelledPods: false,
      coversNamespace: () => false,
    };
  }
  const inScope = (candidate: string, labels: Labels): boolean =>
    (namespace === undefined || candidate === namespace) &&
    evaluateCalicoSelectorOn(
      namespaceSelector,
      { namespace: candidate, namespaceLabels: labels },
      namespaceProfileLabel,
    );
  const everyAccount = isCalicoAll(accountSelector);
  // Unknown ServiceAccount labels cannot prove a match: the policy is not counted as selecting.
  const accountMatches = (target: SelectTarget): boolean =>
    everyAccount ||
    (target.serviceAccountLabels !== undefined &&
      evaluateCalicoSelectorOn(accountSelector, target, accountLabel));
  const namespaceLevel = calicoSelectorLabels(selector).every(isNamespaceLevel);
  return {
    selects: (target) =>
      inScope(target.namespace, target.namespaceLabels) &&
      evaluateCalicoSelectorOn(selector, target, endpointLabel) &&
      accountMatches(target),
    requiredPodLabels: requiredPodLabels(selector),
    selectsEveryPod: namespaceLevel && isCalicoAll(accountSelector),
    selectsUnlabelledPods: picksUnlabelled(selector, namespaceSelector, accountSelector),
    coversNamespace: (candidate, labels) =>
      inScope(candidate, labels) &&
      (!namespaceLevel ||
        evaluateCalicoSelectorOn(
          selector,
          { namespace: candidate, namespaceLabels: labels },
          namespaceLevelLabel,
        )),
  };
}

/** Normalizes a Calico NetworkPolicy or GlobalNetworkPolicy. */
export function normalizeCalicoPolicy(object: KubeObject, options: NormalizeOptions): NormalizedPolicy {
  const global = object.kind === 'GlobalNetworkPolicy';
  const meta = metadataOf(object, options.defaultNamespace);
  const namespace = global ? undefined : meta.namespace;
  const spec = isRecord(object.spec) ? object.spec : {};
  const errors: FieldError[] = [];
  const matcher = calicoMatcher(spec, namespace, errors);
  const types = calicoPolicyTypes(spec, errors);
  const ingress = asList(spec.ingress);
  const egress = asList(spec.egress);
  errors.push(...calicoRuleErrors(ingress, 'spec.ingress'), ...calicoRuleErrors(egress, 'spec.egress'));
  const admitsNothing = !calicoRulesAdmit(ingress) && !calicoRulesAdmit(egress);
  return buildPolicy({
    flavour: global ? 'calico-global' : 'calico',
    object,
    name: meta.name,
    namespace,
    clusterWide: global,
    ...matcher,
    appliesToIngress: types.ingress,
    appliesToEgress: types.egress,
    ingressRuleCount: ingress.length,
    egressRuleCount: egress.length,
    // Rules that only Deny/Log/Pass name nobody who may connect: that is not an allow-list.
    isAllowList: types.ingress && (ingress.length === 0 || calicoRulesAllow(ingress)),
    // Deny and Log rules let nothing through, so with them the policy still denies everything.
    isDefaultDeny: matcher.selectsEveryPod && types.ingress && types.egress && admitsNothing,
    allowAll: types.ingress ? calicoAllowAll(ingress, 'ingress', global) : [],
    // Egress rules count whatever the selector: any pod they open cancels the egress default deny.
    allowAllEgress: types.egress ? calicoAllowAll(egress, 'egress', global) : [],
    errors,
  });
}
