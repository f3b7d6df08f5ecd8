/**
 * The labels Cilium gives an endpoint (pkg/k8s, pkg/labels): the pod's own (source `k8s:`; `any:`
 * or no source matches them too), `io.kubernetes.pod.namespace`, the namespace's labels as
 * `io.cilium.k8s.namespace.labels.<key>`, `io.cilium.k8s.policy.serviceaccount` and
 * `io.cilium.k8s.policy.cluster`; special identities carry `reserved:` labels (`reserved:world`).
 */
import {
  labelSelectorMentions,
  labelSelectorPredicate,
  mapLabelSelectorKeys,
} from '../selectors/label-selector.js';
import type { KeyRole } from '../selectors/label-universe.js';
import {
  CONTEXT,
  CONTEXT_PRESENT,
  NAMESPACE_NAME_KEY,
  OPT_IN,
  OWN_NAME,
  podLabelRole,
  type SelectorModel,
} from './everyone.js';

export const NAMESPACE_KEY = 'io.kubernetes.pod.namespace';
export const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';
export const SERVICE_ACCOUNT_KEY = 'io.cilium.k8s.policy.serviceaccount';
export const CLUSTER_KEY = 'io.cilium.k8s.policy.cluster';
export const RESERVED_PREFIX = 'reserved:';

/** Cilium label keys may name their source; pod labels come from `k8s`, and `any` matches every source. */
export function stripCiliumSource(key: string): string {
  return key.replace(/^(k8s|any):/, '');
}

/** Label sources Cilium knows (pkg/labels LabelSource*): stripped before a key is checked as a Kubernetes key. */
const SOURCE_PREFIX = /^(k8s|any|reserved|container|unspec|cidr|fqdn|cilium|cilium-generated|kvstore|etcd):/;

/** The Kubernetes label key inside a Cilium key, for syntax checks (`reserved:world` → `world`). */
export function ciliumValidationKey(key: string): string {
  return key.replace(SOURCE_PREFIX, '');
}

/** Whether a key is read from the endpoint's namespace (its name or labels). */
export function isNamespaceKey(key: string): boolean {
  return key === NAMESPACE_KEY || key.startsWith(NAMESPACE_LABELS_PREFIX);
}

/** A peer nobody labelled: no pod or namespace labels, names nobody chose, the cluster's own name. */
export function ciliumPeerRole(key: string): KeyRole {
  if (key === NAMESPACE_KEY || key === SERVICE_ACCOUNT_KEY) return OWN_NAME;
  if (key === `${NAMESPACE_LABELS_PREFIX}${NAMESPACE_NAME_KEY}`) return OWN_NAME;
  if (key === CLUSTER_KEY) return CONTEXT_PRESENT;
  return key.startsWith(NAMESPACE_LABELS_PREFIX) ? OPT_IN : podLabelRole(key);
}

/** A pod nobody labelled in some namespace: the namespace and its labels are whichever match. */
export function ciliumTargetRole(key: string): KeyRole {
  if (key === SERVICE_ACCOUNT_KEY) return OWN_NAME;
  if (key === NAMESPACE_KEY || key === CLUSTER_KEY) return CONTEXT_PRESENT;
  if (key === `${NAMESPACE_LABELS_PREFIX}${NAMESPACE_NAME_KEY}`) return CONTEXT_PRESENT;
  return key.startsWith(NAMESPACE_LABELS_PREFIX) ? CONTEXT : podLabelRole(key);
}

/** A Cilium endpoint selector (sources `k8s:`/`any:` stripped) as the label-universe checks read it. */
export function ciliumModel(selector: unknown): SelectorModel {
  const stripped = mapLabelSelectorKeys(selector, stripCiliumSource);
  return {
    mentions: labelSelectorMentions(stripped, ciliumValidationKey),
    predicate: labelSelectorPredicate(stripped, ciliumValidationKey),
  };
}
