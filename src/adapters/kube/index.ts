export { createKubeViewSource, type KubeViewSourceOptions } from './view-source.js';
export {
  startDefaultDenyReconciler,
  LEADER_LEASE_NAME,
  type DefaultDenyReconciler,
  type DefaultDenyReconcilerOptions,
  type ReconcilerWrite,
} from './reconciler.js';
export { createKubeRest, KubeApiError, type KubeRest } from './kube-rest.js';
export { listClusterObjects, type ListProgress } from './list-cluster.js';
export { applyReports, type ApplyReportsResult } from './apply-reports.js';
export type { KubeLogger } from './logger.js';
export { loadKubeConfig, type KubeConfigSource } from './load-kube-config.js';
