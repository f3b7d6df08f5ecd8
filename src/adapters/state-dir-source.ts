import { createClusterView } from '../policy/cluster-view.js';
import type { ZtgateConfig } from '../policy/config.js';
import { deepFreeze } from '../policy/config.js';
import { isPolicyObject } from '../policy/policies/index.js';
import type { ClusterView } from '../policy/types.js';
import { loadStateDir } from './state-dir/index.js';
import type { ViewSource } from './view-source.js';

/** Options of a state-folder view source. */
export interface StateDirSourceOptions {
  readonly dir: string;
  readonly config: ZtgateConfig;
  /** False for a server: the view keeps its indexes but not the raw objects (`objects()` empty). */
  readonly retainObjects?: boolean;
}

/**
 * A ViewSource over a folder of manifests, loaded once at start (the embedded demo, `serve
 * --state`). The folder stands for the whole cluster, so its ServiceAccount inventory is complete:
 * a ServiceAccount that is not in it does not exist. No `confirm`: a folder cannot lag.
 */
export function createStateDirSource(options: StateDirSourceOptions): ViewSource {
  let view: ClusterView | undefined;
  let failure: string | undefined;
  return {
    current: () => view,
    isReady: () => view !== undefined,
    notReadyReason: () => failure ?? `state folder ${options.dir} not loaded yet`,
    async start() {
      try {
        const objects = await loadStateDir(options.dir);
        // Whatever the view keeps is frozen: every object, or without raw objects only the
        // policies (their source backs messages); freezing 700k discarded objects cost seconds.
        if (options.retainObjects === false) {
          for (const object of objects) if (isPolicyObject(object)) deepFreeze(object);
        } else deepFreeze(objects);
        view = createClusterView(objects, {
          istioRootNamespace: options.config.istioRootNamespace,
          serviceAccountsComplete: true,
          revision: 1,
          retainObjects: options.retainObjects,
        });
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
        throw error;
      }
    },
    async close() {},
  };
}
