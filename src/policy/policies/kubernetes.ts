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
import type { FieldError, KubeObject, NormalizedPolicy } from '../types.js';
import { isOpen } from './everyone.js';
import { podRole, readKubernetesRules, selectorModel } from './kubernetes-peers.js';
import {
  asList,
  buildPolicy,
  fieldPath,
  isRecord,
  requiredLabelsOf,
  metadataOf,
  type NormalizeOptions,
} from './shared.js';
import { quoteValue } from '../message-text.js';

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
        message: `unknown policy type ${quoteValue(type)}: expected Ingress or Egress`,
      });
    }
  });
  return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
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
  const ingressReading = readKubernetesRules(ingress, 'ingress');
  const egressReading = readKubernetesRules(egress, 'egress');
  errors.push(...ingressReading.errors, ...egressReading.errors);
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
    selectsUnlabelledPods: valid && isOpen(selectorModel(podSelector), podRole),
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
    allowAll: types.ingress ? ingressReading.findings : [],
    // Egress rules count whatever the pod selector: any pod they open cancels the egress default deny.
    allowAllEgress: types.egress ? egressReading.findings : [],
    errors,
  });
}
