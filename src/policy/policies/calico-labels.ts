/**
 * The labels Felix gives a Calico workload endpoint (libcalico-go updateprocessors): the pod's own,
 * `projectcalico.org/namespace`, `projectcalico.org/orchestrator: k8s`,
 * `projectcalico.org/serviceaccount`, the namespace's labels as `pcns.<key>` (its name as
 * `pcns.projectcalico.org/name`) and the ServiceAccount's as `pcsa.<key>`; and how each appears on
 * a pod nobody labelled, for the label-universe checks.
 */
import { calicoPredicate, calicoSelectorMentions, type CalicoSelector } from '../selectors/calico-ast.js';
import { mergeMentions, type KeyRole, type SelectorMentions } from '../selectors/label-universe.js';
import {
  CONTEXT,
  CONTEXT_PRESENT,
  isOpen,
  NAMESPACE_NAME_KEY,
  OPT_IN,
  OWN_NAME,
  podLabelRole,
  type SelectorModel,
} from './everyone.js';

export const NAMESPACE_LABEL = 'projectcalico.org/namespace';
export const ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';
export const SERVICE_ACCOUNT_LABEL = 'projectcalico.org/serviceaccount';
/** Calico labels every namespace and ServiceAccount with its own name under this key. */
export const NAME_LABEL = 'projectcalico.org/name';
export const NAMESPACE_PREFIX = 'pcns.';
export const ACCOUNT_PREFIX = 'pcsa.';

const ORCHESTRATOR: KeyRole = { role: 'constant', value: 'k8s' };

/** Labels every workload endpoint carries, and the name-valued ones among them. */
const ENDPOINT_OWN_NAMES = new Set([
  NAMESPACE_LABEL,
  SERVICE_ACCOUNT_LABEL,
  `${NAMESPACE_PREFIX}${NAME_LABEL}`,
  `${NAMESPACE_PREFIX}${NAMESPACE_NAME_KEY}`,
  `${ACCOUNT_PREFIX}${NAME_LABEL}`,
]);

/** An endpoint nobody labelled, in a namespace nobody labelled, running as a ServiceAccount nobody labelled. */
export function endpointRole(key: string): KeyRole {
  if (key === ORCHESTRATOR_LABEL) return ORCHESTRATOR;
  if (ENDPOINT_OWN_NAMES.has(key)) return OWN_NAME;
  return key.startsWith(NAMESPACE_PREFIX) || key.startsWith(ACCOUNT_PREFIX) ? OPT_IN : podLabelRole(key);
}

/** A namespace (or ServiceAccount) profile nobody labelled: only its name labels. */
export function profileRole(key: string): KeyRole {
  return key === NAME_LABEL || key === NAMESPACE_NAME_KEY ? OWN_NAME : OPT_IN;
}

/** A parsed selector as the label-universe checks read it. */
export function calicoModel(selector: CalicoSelector): SelectorModel {
  return { mentions: calicoSelectorMentions(selector), predicate: calicoPredicate(selector) };
}

/**
 * Endpoint labels of a pod nobody labelled, in some namespace: its ServiceAccount's name is one
 * nobody chose, the namespace and its labels are whichever namespace makes the selector match.
 */
function targetRole(key: string): KeyRole {
  if (key === ORCHESTRATOR_LABEL) return ORCHESTRATOR;
  if (key === SERVICE_ACCOUNT_LABEL || key === `${ACCOUNT_PREFIX}${NAME_LABEL}`) return OWN_NAME;
  if (key === NAMESPACE_LABEL || key === `${NAMESPACE_PREFIX}${NAME_LABEL}`) return CONTEXT_PRESENT;
  if (key === `${NAMESPACE_PREFIX}${NAMESPACE_NAME_KEY}`) return CONTEXT_PRESENT;
  if (key.startsWith(NAMESPACE_PREFIX)) return CONTEXT;
  return key.startsWith(ACCOUNT_PREFIX) ? OPT_IN : podLabelRole(key);
}

function prefixed(mentions: SelectorMentions, prefix: string): SelectorMentions {
  return {
    keys: mentions.keys.map((key) => prefix + key),
    values: new Map([...mentions.values].map(([key, values]) => [prefix + key, values])),
  };
}

/**
 * Whether the three selectors together pick a pod nobody labelled in some namespace: the
 * namespaceSelector reads the namespace's labels (`pcns.*` on the endpoint), the
 * serviceAccountSelector the ServiceAccount's (`pcsa.*`).
 */
export function picksUnlabelled(
  selector: CalicoSelector,
  namespaceSelector: CalicoSelector,
  accountSelector: CalicoSelector,
): boolean {
  const [pod, namespace, account] = [selector, namespaceSelector, accountSelector].map(calicoModel);
  if (pod === undefined || namespace === undefined || account === undefined) return true;
  return isOpen(
    {
      mentions: mergeMentions([
        pod.mentions,
        prefixed(namespace.mentions, NAMESPACE_PREFIX),
        prefixed(account.mentions, ACCOUNT_PREFIX),
      ]),
      predicate: (lookup) =>
        pod.predicate(lookup) &&
        namespace.predicate((key) => lookup(NAMESPACE_PREFIX + key)) &&
        account.predicate((key) => lookup(ACCOUNT_PREFIX + key)),
    },
    targetRole,
  );
}
