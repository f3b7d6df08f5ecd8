import { createClusterView } from '../policy/cluster-view.js';
import { collectGarbage } from './collect-garbage.js';
import type { ZtgateConfig } from '../policy/config.js';
import { deepFreeze } from '../policy/config.js';
import { apiGroup } from '../policy/objects.js';
import type { ClusterView } from '../policy/types.js';
import type { KubeObject } from '../policy/types.js';
import {
  listStateDir,
  loadStateDir,
  parseManifests,
  readStateFile,
  throwReadFailures,
  type InputError,
} from './state-dir/index.js';
import type { ViewSource } from './view-source.js';

/** Options of a state-folder view source. */
export interface StateDirSourceOptions {
  readonly dir: string;
  readonly config: ZtgateConfig;
  /** False for a server: the view keeps its indexes but not the raw objects (`objects()` empty). */
  readonly retainObjects?: boolean;
}

/** Bytes of manifests read between two full collections while a state folder loads. */
const COLLECT_EVERY = 64 * 2 ** 20;

/**
 * The objects of the files, each file read and parsed when the consumer reaches it, so one file's
 * text is alive at a time (at 10x the texts alone are 340 MB).
 */
function* parseLazily(
  files: readonly string[],
  problems: Promise<InputError>[],
  counted: (object: KubeObject) => void,
): Generator<KubeObject> {
  let readSinceCollection = 0;
  // JSON.parse gives every object its own copy of its namespace's name, which the view keeps in
  // each ServiceAccount, policy and workload it reads from the object: one string per name
  // instead (about 30 bytes an object; 22 MB at the benchmark's 10x).
  const names = new Map<string, string>();
  const intern = (value: string): string => {
    const known = names.get(value);
    if (known !== undefined) return known;
    names.set(value, value);
    return value;
  };
  for (const file of files) {
    const text = readStateFile(file, problems);
    if (text === undefined) continue;
    // A big folder's parsed files are garbage V8 collects only once the old generation has grown
    // well past what the view keeps: the peak RSS of a start. A full collection every
    // COLLECT_EVERY bytes read bounds it (none at the benchmark's 1x, whose folder is 34 MB).
    readSinceCollection += text.length;
    if (readSinceCollection >= COLLECT_EVERY) {
      collectGarbage();
      readSinceCollection = 0;
    }
    // Not frozen: a server's view keeps no raw object (a policy keeps a frozen copy of its
    // identity), so these become garbage as soon as the view has read them.
    for (const object of parseManifests(text, file).objects) {
      // Freshly parsed and not frozen (see below): the one place these objects are written to.
      const meta = object.metadata as { namespace?: unknown; name?: unknown } | null | undefined;
      if (meta !== undefined && meta !== null && typeof meta === 'object') {
        if (typeof meta.namespace === 'string') meta.namespace = intern(meta.namespace);
        else if (object.kind === 'Namespace' && typeof meta.name === 'string') meta.name = intern(meta.name);
      }
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
  // apiVersion → kind → entry: no key string is built per object (it was 5 % of start-up at 1x).
  const byVersion = new Map<
    string | undefined,
    Map<string | undefined, { group: string; kind: string; count: number }>
  >();
  const count = (object: KubeObject): void => {
    let byKind = byVersion.get(object.apiVersion);
    if (byKind === undefined) byVersion.set(object.apiVersion, (byKind = new Map()));
    let entry = byKind.get(object.kind);
    if (entry === undefined) {
      const group = apiGroup(object.apiVersion);
      const kind = object.kind ?? '';
      entry = counts.get(`${group}/${kind}`) ?? { group, kind, count: 0 };
      counts.set(`${group}/${kind}`, entry);
      byKind.set(object.kind, entry);
    }
    entry.count += 1;
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
          const problems: Promise<InputError>[] = [];
          const files = await listStateDir(options.dir);
          const built = createClusterView(parseLazily(files, problems, count), viewOptions);
          await throwReadFailures(problems);
          view = built;
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
