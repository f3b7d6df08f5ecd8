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
  evaluateCalicoSelector,
  isCalicoAll,
  type CalicoSelector,
} from '../selectors/calico-ast.js';
import { parseCalicoSelector } from '../selectors/calico-parser.js';
import type { FieldError, KubeObject, Labels, NormalizedPolicy, SelectTarget } from '../types.js';
import { calicoAllowAll, calicoRuleErrors, calicoRulesAdmit, calicoRulesAllow } from './calico-rules.js';
import { asList, buildPolicy, fieldPath, isRecord, metadataOf, type NormalizeOptions } from './shared.js';
import { memoizeByNamespace, memoizeByTarget } from './target-memo.js';

const NAMESPACE_LABEL = 'projectcalico.org/namespace';
const ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';
const SERVICE_ACCOUNT_LABEL = 'projectcalico.org/serviceaccount';
/** Calico labels every namespace and ServiceAccount with its own name under this key. */
const NAME_LABEL = 'projectcalico.org/name';
const ALL: CalicoSelector = { type: 'all' };

function prefixed(prefix: string, labels: Labels): Record<string, string> {
  const result: Record<string, string> = {};
  for (const key of Object.keys(labels)) result[`${prefix}${key}`] = labels[key] as string;
  return result;
}

/** Labels every pod of a namespace carries as Calico sees it (no pod-specific ones). */
const namespaceLevelLabels = memoizeByNamespace((namespace: string, namespaceLabels: Labels): Labels => ({
  ...prefixed('pcns.', { ...namespaceLabels, [NAME_LABEL]: namespace }),
  [NAMESPACE_LABEL]: namespace,
  [ORCHESTRATOR_LABEL]: 'k8s',
}));

/** A namespace's labels as a namespaceSelector sees them: its own plus its name. */
const namespaceSelectorLabels = memoizeByNamespace((namespace: string, labels: Labels): Labels => ({
  ...labels,
  [NAME_LABEL]: namespace,
}));

/** The workload endpoint's labels: profile labels, then the pod's, then Calico's own, which win. */
const endpointLabels = memoizeByTarget((target: SelectTarget): Labels => {
  const serviceAccount = target.serviceAccountName ?? 'default';
  const accountLabels =
    target.serviceAccountLabels === undefined
      ? {}
      : { ...target.serviceAccountLabels, [NAME_LABEL]: serviceAccount };
  return {
    ...prefixed('pcsa.', accountLabels),
    ...target.podLabels,
    ...namespaceLevelLabels(target.namespace, target.namespaceLabels),
    [SERVICE_ACCOUNT_LABEL]: serviceAccount,
  };
});

/** The ServiceAccount's labels as a serviceAccountSelector sees them; undefined when unknown. */
const accountSelectorLabels = memoizeByTarget((target: SelectTarget): Labels | null =>
  target.serviceAccountLabels === undefined
    ? null
    : { ...target.serviceAccountLabels, [NAME_LABEL]: target.serviceAccountName ?? 'default' },
);

function isNamespaceLevel(key: string): boolean {
  return key === NAMESPACE_LABEL || key === ORCHESTRATOR_LABEL || key.startsWith('pcns.');
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
          message: `unknown type ${JSON.stringify(type)}: expected Ingress or Egress`,
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
  readonly selectsEveryPod: boolean;
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
    return { selects: () => false, selectsEveryPod: false, coversNamespace: () => false };
  }
  const inScope = (candidate: string, labels: Labels): boolean =>
    (namespace === undefined || candidate === namespace) &&
    evaluateCalicoSelector(namespaceSelector, namespaceSelectorLabels(candidate, labels));
  const everyAccount = isCalicoAll(accountSelector);
  const accountMatches = (target: SelectTarget): boolean => {
    if (everyAccount) return true;
    // Unknown ServiceAccount labels cannot prove a match: the policy is not counted as selecting.
    const labels = accountSelectorLabels(target);
    return labels !== null && evaluateCalicoSelector(accountSelector, labels);
  };
  const namespaceLevel = calicoSelectorLabels(selector).every(isNamespaceLevel);
  return {
    selects: (target) =>
      inScope(target.namespace, target.namespaceLabels) &&
      evaluateCalicoSelector(selector, endpointLabels(target)) &&
      accountMatches(target),
    selectsEveryPod: namespaceLevel && isCalicoAll(accountSelector),
    coversNamespace: (candidate, labels) =>
      inScope(candidate, labels) &&
      (!namespaceLevel || evaluateCalicoSelector(selector, namespaceLevelLabels(candidate, labels))),
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
    allowAll: types.ingress ? calicoAllowAll(ingress, global) : [],
    errors,
  });
}
