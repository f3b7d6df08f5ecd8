import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createKubeViewSource, loadKubeConfig } from '../adapters/kube/index.js';
import { createStateDirSource } from '../adapters/state-dir-source.js';
import type { ViewSource } from '../adapters/view-source.js';
import { registerControllerMetrics, startZtgateControllers } from '../controllers/index.js';
import type { ZtgateConfig } from '../policy/config.js';

/** Where the demo state ships: manifests/demo beside src/ or dist/ (so it works installed too). */
export const DEMO_STATE_DIR = fileURLToPath(new URL('../../manifests/demo/', import.meta.url));

/** The running view source plus whatever else cluster mode starts. */
export interface ViewRuntime {
  readonly viewSource: ViewSource;
  /** Adds the runtime's own metrics (cluster mode: the controllers') to the server's registry. */
  readonly registerMetrics?: (registry: Registry) => void;
  /** Whether this replica leads the controllers (cluster mode only), for ztgate_leader. */
  readonly isLeader?: () => boolean;
  stop(): Promise<void>;
}

/** Options that pick where the view comes from. */
export interface ViewChoice {
  readonly state?: string;
  readonly kubeconfig?: string;
}

/** Starts the view source: a state folder, or the Kubernetes watch cache plus the leader's controllers. */
export async function startViewRuntime(
  choice: ViewChoice,
  config: ZtgateConfig,
  logger: Logger,
): Promise<ViewRuntime> {
  if (choice.state !== undefined) {
    // The webhook's rules read the indexes only; raw Deployments would be most of its memory.
    const viewSource = createStateDirSource({ dir: choice.state, config, retainObjects: false });
    await viewSource.start();
    logger.info({ state: choice.state }, 'cluster view loaded from a state folder');
    return { viewSource, stop: () => viewSource.close() };
  }
  // As kubectl: --kubeconfig, $KUBECONFIG, ~/.kube/config, then the pod's in-cluster credentials.
  const kubeConfig = loadKubeConfig({ kubeconfig: choice.kubeconfig });
  const viewSource = createKubeViewSource({ kubeConfig, config, logger });
  // Not awaited to sync: /readyz stays 503 and /validate denies until the first sync.
  await viewSource.start();
  const identity = process.env['POD_NAME'] ?? hostname();
  const controllers = startZtgateControllers({ kubeConfig, config, logger, identity, view: viewSource });
  logger.info({ cluster: kubeConfig.getCurrentCluster()?.server, identity }, 'watching the cluster');
  return {
    viewSource,
    registerMetrics: (registry) => registerControllerMetrics(registry, controllers, config),
    isLeader: () => controllers.isLeader(),
    async stop() {
      await controllers.stop();
      await viewSource.close();
    },
  };
}
