export { createKubeViewSource, type KubeViewSourceOptions } from './view-source.js';
export { createKubeRest, KubeApiError, type KubeRest } from './kube-rest.js';
export { listClusterObjects, type ListProgress } from './list-cluster.js';
export { applyReports, type ApplyReportsResult } from './apply-reports.js';
export type { KubeLogger } from './logger.js';
export { loadKubeConfig, type KubeConfigSource } from './load-kube-config.js';
export { readMeshInjector } from './read-injector.js';
