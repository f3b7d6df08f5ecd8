import { EXEMPT_LABEL, MODE_LABEL, type ZtgateConfig } from '../config.js';
import type { Labels } from '../types.js';

/**
 * How ztgate treats a namespace: `enforce` (refuse and create the guardrails), `audit` (warn and
 * create nothing that enforces) or `exempt` (neither judge nor create anything that enforces).
 */
export type EnforcementMode = 'enforce' | 'audit' | 'exempt';

/** Why a namespace is not enforced, in words for logs and audit findings. */
export type EnforcementReason =
  | 'enforced'
  | 'config exemptNamespaces'
  | "ztgate's own namespace"
  | `label ${typeof EXEMPT_LABEL}=true`
  | 'config mode: audit'
  | `label ${typeof MODE_LABEL}=audit`;

/** A namespace's enforcement and the setting that decided it. */
export interface NamespaceEnforcement {
  readonly mode: EnforcementMode;
  readonly reason: EnforcementReason;
}

const ENFORCED: NamespaceEnforcement = Object.freeze({ mode: 'enforce', reason: 'enforced' });

/** The label Kubernetes ≥ 1.21 sets to the namespace's own name (and no one can change). */
const NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Whether the namespace's labels can be believed. On Kubernetes 1.20 `kubernetes.io/metadata.name`
 * is an ordinary label: whoever may label a namespace can set it to `kube-system` and slip past
 * the selectors of `namespaces.ztgate.dev`, then label it exempt. A name label naming another
 * namespace is that forgery (1.21+ always sets it to the real name), so its labels switch nothing off.
 */
function hasTrustworthyLabels(name: string, labels: Labels): boolean {
  return labels[NAME_LABEL] === undefined || labels[NAME_LABEL] === name;
}

/**
 * Decides a namespace's enforcement from the config and the namespace's own labels. Exemption
 * wins over audit: an exempt namespace is outside the webhooks' selectors whatever its mode. The
 * label values are matched exactly as the webhook registrations' namespaceSelector matches them
 * (`ztgate.dev/exempt NotIn ['true']`), so the controllers and the webhooks never disagree.
 * The labels count only in a namespace whose name label is its own (see hasTrustworthyLabels).
 */
export function namespaceEnforcement(
  config: ZtgateConfig,
  name: string,
  labels: Labels,
): NamespaceEnforcement {
  if (name === config.namespace) return { mode: 'exempt', reason: "ztgate's own namespace" };
  if (config.exemptNamespaces.includes(name)) return { mode: 'exempt', reason: 'config exemptNamespaces' };
  const trusted = hasTrustworthyLabels(name, labels);
  if (trusted && labels[EXEMPT_LABEL] === 'true')
    return { mode: 'exempt', reason: `label ${EXEMPT_LABEL}=true` };
  if (config.mode === 'audit') return { mode: 'audit', reason: 'config mode: audit' };
  if (trusted && labels[MODE_LABEL] === 'audit')
    return { mode: 'audit', reason: `label ${MODE_LABEL}=audit` };
  return ENFORCED;
}

/** The enforcement of cluster-wide objects (no namespace of their own): the config's mode alone. */
export function clusterEnforcement(config: ZtgateConfig): NamespaceEnforcement {
  return config.mode === 'audit' ? { mode: 'audit', reason: 'config mode: audit' } : ENFORCED;
}

/**
 * Whether the config alone exempts a namespace for good (kube-system, ztgate's own): nothing
 * short of a config change would make ztgate enforce there, so nothing "pending" is reported.
 */
export function isExemptByConfig(enforcement: NamespaceEnforcement): boolean {
  return enforcement.reason === 'config exemptNamespaces' || enforcement.reason === "ztgate's own namespace";
}
