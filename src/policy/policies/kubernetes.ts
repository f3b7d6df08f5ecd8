/**
 * networking.k8s.io/v1 NetworkPolicy → NormalizedPolicy. Semantics from the API reference
 * (NetworkPolicySpec): an empty podSelector selects every pod of the namespace; policyTypes
 * defaults to Ingress, plus Egress when the spec has egress rules; the policy only allows.
 */
import {
  isEmptyLabelSelector,
  compileLabelSelector,
  validateLabelSelector,
} from '../selectors/label-selector.js';
import type { AllowAllFinding, FieldError, KubeObject, NormalizedPolicy } from '../types.js';
import {
  asList,
  buildPolicy,
  fieldPath,
  isEverythingCidr,
  isRecord,
  requiredLabelsOf,
  metadataOf,
  type NormalizeOptions,
} from './shared.js';

interface Directions {
  readonly ingress: boolean;
  readonly egress: boolean;
}

/** policyTypes as Kubernetes defaults it (pkg/apis/networking/v1 defaults.go). */
export function kubernetesPolicyTypes(
  spec: Readonly<Record<string, unknown>>,
  errors: FieldError[] = [],
): Directions {
  const types = asList(spec.policyTypes);
  if (types.length === 0) return { ingress: true, egress: asList(spec.egress).length > 0 };
  types.forEach((type, index) => {
    if (type !== 'Ingress' && type !== 'Egress') {
      errors.push({
        path: fieldPath('spec.policyTypes', index),
        message: `unknown policy type ${JSON.stringify(type)}: expected Ingress or Egress`,
      });
    }
  });
  return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
}

function peerFindings(peer: unknown, path: string): AllowAllFinding[] {
  if (!isRecord(peer) || Object.keys(peer).length === 0) {
    return [
      { path, message: 'an empty peer {} matches every source: any pod in any namespace and any address' },
    ];
  }
  const findings: AllowAllFinding[] = [];
  const podSelector = peer.podSelector;
  const anyPod = podSelector === undefined || podSelector === null || isEmptyLabelSelector(podSelector);
  if (isEmptyLabelSelector(peer.namespaceSelector) && anyPod) {
    findings.push({
      path: `${path}.namespaceSelector`,
      message: 'namespaceSelector {} without a narrowing podSelector matches every pod in every namespace',
    });
  }
  if (isRecord(peer.ipBlock) && isEverythingCidr(peer.ipBlock.cidr)) {
    findings.push({
      path: `${path}.ipBlock.cidr`,
      message: `ipBlock ${String(peer.ipBlock.cidr)} admits every address, inside the cluster and out`,
    });
  }
  return findings;
}

/** Every ingress rule or peer that admits every source. */
function findAllowAll(ingress: readonly unknown[]): AllowAllFinding[] {
  const findings: AllowAllFinding[] = [];
  ingress.forEach((rule, index) => {
    const path = fieldPath('spec.ingress', index);
    const from = isRecord(rule) ? asList(rule.from) : [];
    if (from.length === 0) {
      // An absent or empty `from` matches all sources (NetworkPolicyIngressRule API docs).
      findings.push({ path, message: 'ingress rule without `from` admits traffic from every source' });
      return;
    }
    from.forEach((peer, peerIndex) =>
      findings.push(...peerFindings(peer, fieldPath(path, 'from', peerIndex))),
    );
  });
  return findings;
}

function peerErrors(rules: readonly unknown[], base: string, key: 'from' | 'to'): FieldError[] {
  const errors: FieldError[] = [];
  rules.forEach((rule, index) => {
    asList(isRecord(rule) ? rule[key] : undefined).forEach((peer, peerIndex) => {
      if (!isRecord(peer)) return;
      const path = fieldPath(base, index, key, peerIndex);
      errors.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
      errors.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
    });
  });
  return errors;
}

/** Normalizes a Kubernetes NetworkPolicy. */
export function normalizeKubernetesPolicy(object: KubeObject, options: NormalizeOptions): NormalizedPolicy {
  const { name, namespace } = metadataOf(object, options.defaultNamespace);
  const spec = isRecord(object.spec) ? object.spec : {};
  // podSelector is required, but an omitted one decodes to the empty selector: every pod.
  const podSelector = spec.podSelector ?? {};
  const selectorErrors = validateLabelSelector(podSelector, 'spec.podSelector');
  const errors: FieldError[] = [...selectorErrors];
  const types = kubernetesPolicyTypes(spec, errors);
  const ingress = asList(spec.ingress);
  const egress = asList(spec.egress);
  errors.push(...peerErrors(ingress, 'spec.ingress', 'from'), ...peerErrors(egress, 'spec.egress', 'to'));
  const valid = selectorErrors.length === 0;
  const selectsEveryPod = valid && isEmptyLabelSelector(podSelector);
  const matches = compileLabelSelector(podSelector);
  return buildPolicy({
    flavour: 'kubernetes',
    object,
    name,
    namespace,
    clusterWide: false,
    selects: (target) => valid && target.namespace === namespace && matches(target.podLabels),
    selectsEveryPod,
    // matchLabels are read from the pod's own labels only.
    requiredPodLabels: valid ? requiredLabelsOf(podSelector, () => true) : [],
    appliesToIngress: types.ingress,
    appliesToEgress: types.egress,
    ingressRuleCount: ingress.length,
    egressRuleCount: egress.length,
    // A NetworkPolicy only ever allows: with no rules it allows nothing, which is still a list.
    isAllowList: types.ingress,
    isDefaultDeny:
      selectsEveryPod && types.ingress && types.egress && ingress.length === 0 && egress.length === 0,
    coversNamespace: (candidate) => candidate === namespace,
    allowAll: types.ingress ? findAllowAll(ingress) : [],
    errors,
  });
}
