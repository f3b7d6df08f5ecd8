import { extendClusterView } from '../cluster-view.js';
import type { ZtgateConfig } from '../config.js';
import {
  buildEnforcingObjects,
  isExemptByConfig,
  isInView,
  namespaceEnforcement,
  type EnforcingObject,
  type NamespaceEnforcement,
} from '../desired/index.js';
import type { ClusterView, KubeObject } from '../types.js';

/** A namespace ztgate does not enforce yet, and what enforcing it would create there. */
export interface PendingNamespace {
  readonly namespace: string;
  readonly enforcement: NamespaceEnforcement;
  /** Objects the controllers would create or restore once it is enforced (absent or different now). */
  readonly wouldCreate: readonly EnforcingObject[];
}

/** The scan's plan: namespaces judged as if enforced, and the view to judge each namespace in. */
export interface EnforcementPlan {
  readonly pending: readonly PendingNamespace[];
  /** The real view for enforced namespaces; for pending ones, a view holding what enforcing creates. */
  viewFor(namespace: string): ClusterView;
}

/**
 * Plans "as if enforced" for the review an admin reads before switching: every namespace in audit
 * mode (config or label) or exempt by label gets the objects the controllers would create there
 * (a default deny the controllers would create lets the namespace pass `namespace-default-deny`,
 * as it will a second after the switch). Namespaces exempt by config stay out: nothing but a
 * config change would ever enforce them.
 */
export function planEnforcement(view: ClusterView, config: ZtgateConfig): EnforcementPlan {
  const pending: PendingNamespace[] = [];
  const added: KubeObject[] = [];
  for (const info of view.namespaces()) {
    const enforcement = namespaceEnforcement(config, info.name, info.labels);
    if (enforcement.mode === 'enforce' || isExemptByConfig(enforcement)) continue;
    const wouldCreate = buildEnforcingObjects(config, info.name).filter(
      ({ object }) => !isInView(view, object),
    );
    pending.push({ namespace: info.name, enforcement, wouldCreate });
    added.push(...wouldCreate.map(({ object }) => object));
  }
  const names = new Set(pending.map((entry) => entry.namespace));
  const enforced = added.length === 0 ? view : extendClusterView(view, added);
  pending.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  return { pending, viewFor: (namespace) => (names.has(namespace) ? enforced : view) };
}
