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
import type { ClusterView, NamespaceInfo } from '../types.js';

/** A namespace ztgate does not enforce yet, and what enforcing it would create there. */
export interface PendingNamespace {
  readonly namespace: string;
  readonly enforcement: NamespaceEnforcement;
  /** Objects the controllers would create or restore once it is enforced (absent or different now). */
  readonly wouldCreate: readonly EnforcingObject[];
}

/** How one namespace is judged: as it is, or — not enforced yet — as if enforced. */
export interface NamespacePlan {
  /** Set for a namespace in audit mode or exempt by label. */
  readonly pending: PendingNamespace | undefined;
  /** The view to judge the namespace's workloads in: the real one, or one holding what enforcing creates. */
  readonly view: ClusterView;
}

/**
 * Plans "as if enforced" for the review an admin reads before switching: a namespace in audit
 * mode (config or label) or exempt by label gets the objects the controllers would create there
 * (a default deny the controllers would create lets the namespace pass `namespace-default-deny`,
 * as it will a second after the switch). Namespaces exempt by config stay as they are: nothing
 * but a config change would ever enforce them. A namespace's judgement reads its own objects
 * and cluster-wide ones only, so what enforcing another namespace creates never matters here.
 */
export function planNamespace(view: ClusterView, config: ZtgateConfig, info: NamespaceInfo): NamespacePlan {
  const enforcement = namespaceEnforcement(config, info.name, info.labels);
  if (enforcement.mode === 'enforce' || isExemptByConfig(enforcement)) return { pending: undefined, view };
  const wouldCreate = buildEnforcingObjects(config, info).filter(({ object }) => !isInView(view, object));
  const pending = { namespace: info.name, enforcement, wouldCreate };
  if (wouldCreate.length === 0) return { pending, view };
  return {
    pending,
    view: extendClusterView(
      view,
      wouldCreate.map(({ object }) => object),
    ),
  };
}
