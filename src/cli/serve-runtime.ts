import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { collectGarbage } from '../adapters/collect-garbage.js';
import { createStateDirSource } from '../adapters/state-dir-source.js';
import type { ViewSource } from '../adapters/view-source.js';
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
    collectGarbage();
    logger.info({ state: choice.state }, 'cluster view loaded from a state folder');
    return { viewSource, stop: () => viewSource.close() };
  }
  // Loaded only in cluster mode: the Kubernetes client costs about 65 MiB of RSS and 0.4 s of
  // start-up, which a server reading a state folder (the demo, the benchmark) never needs.
  const { createKubeViewSource, loadKubeConfig } = await import('../adapters/kube/index.js');
  const { registerControllerMetrics, startZtgateControllers } = await import('../controllers/index.js');
  // As kubectl: --kubeconfig, $KUBECONFIG, ~/.kube/config, then the pod's in-cluster credentials.
  const kubeConfig = loadKubeConfig({ kubeconfig: choice.kubeconfig });
  const viewSource = createKubeViewSource({ kubeConfig, config, logger, onSynced: collectGarbage });
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
