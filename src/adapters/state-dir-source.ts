import { createClusterView } from '../policy/cluster-view.js';
import type { ZtgateConfig } from '../policy/config.js';
import { deepFreeze } from '../policy/config.js';
import { isPolicyObject } from '../policy/policies/index.js';
import type { ClusterView } from '../policy/types.js';
import type { KubeObject } from '../policy/types.js';
import { loadStateDir, parseManifests, readStateDir } from './state-dir/index.js';
import type { ViewSource } from './view-source.js';

/** Options of a state-folder view source. */
export interface StateDirSourceOptions {
  readonly dir: string;
  readonly config: ZtgateConfig;
  /** False for a server: the view keeps its indexes but not the raw objects (`objects()` empty). */
  readonly retainObjects?: boolean;
}

/**
 * The objects of the files, parsed when the consumer reaches them; each text is dropped once
 * parsed. Policies are frozen: the view keeps them (their source backs messages).
 */
function* parseLazily(
  files: { file: string; text: string }[],
  counted: (object: KubeObject) => void,
): Generator<KubeObject> {
  for (let index = 0; index < files.length; index++) {
    const entry = files[index] as { file: string; text: string };
    const { objects } = parseManifests(entry.text, entry.file);
    files[index] = { file: entry.file, text: '' };
    for (const object of objects) {
      if (isPolicyObject(object)) deepFreeze(object);
      counted(object);
      yield object;
    }
  }
}

/**
 * A ViewSource over a folder of manifests, loaded once at start (the embedded demo, `serve
 * --state`). The folder stands for the whole cluster, so its ServiceAccount inventory is complete:
 * a ServiceAccount that is not in it does not exist. No `confirm`: a folder cannot lag.
 */
export function createStateDirSource(options: StateDirSourceOptions): ViewSource {
  let view: ClusterView | undefined;
  let failure: string | undefined;
  let loadedAtMs: number | undefined;
  const counts = new Map<string, { group: string; kind: string; count: number }>();
  const count = (object: KubeObject): void => {
    const group = object.apiVersion?.includes('/') ? (object.apiVersion.split('/')[0] ?? '') : '';
    const kind = object.kind ?? '';
    const entry = counts.get(`${group}/${kind}`) ?? { group, kind, count: 0 };
    entry.count += 1;
    counts.set(`${group}/${kind}`, entry);
  };
  return {
    current: () => view,
    isReady: () => view !== undefined,
    notReadyReason: () => failure ?? `state folder ${options.dir} not loaded yet`,
    // Loaded once: the view is as fresh as the folder was at start-up.
    stats: () => ({ syncedAtMs: loadedAtMs, objects: [...counts.values()], relists: [] }),
    async start() {
      try {
        const viewOptions = {
          istioRootNamespace: options.config.istioRootNamespace,
          serviceAccountsComplete: true,
          revision: 1,
          retainObjects: options.retainObjects,
        };
        if (options.retainObjects === false) {
          // Parsed one file at a time while the view is built: the raw objects the view does
          // not keep become garbage file by file instead of all being alive at the peak (the
          // peak set the heap, and so the RSS, the server kept for its whole life).
          view = createClusterView(parseLazily(await readStateDir(options.dir), count), viewOptions);
        } else {
          const objects = deepFreeze(await loadStateDir(options.dir));
          for (const object of objects) count(object);
          view = createClusterView(objects, viewOptions);
        }
        loadedAtMs = Date.now();
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
        throw error;
      }
    },
    async close() {},
  };
}
