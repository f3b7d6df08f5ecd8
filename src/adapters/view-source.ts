import type { ClusterView, KubeObject, MissingRef } from '../policy/types.js';

/** A published view with what a leader's background work reads beside it (cluster mode). */
export interface ViewSnapshot {
  readonly view: ClusterView;
  /** The objects of a namespace ('' for cluster-scoped ones) exactly as `view` was built from them. */
  objectsIn(namespace: string): readonly KubeObject[];
  /**
   * The revision of the latest view whose change could alter how this namespace is judged (its
   * objects, its labels, or anything cluster-wide), never later than this view's: equal values
   * from two snapshots mean the namespace's judgement inputs did not change in between.
   */
  changedAt(namespace: string): number;
}

/** One publish: the new snapshot and the namespaces its change touched. */
export interface ViewPublication {
  readonly snapshot: ViewSnapshot;
  /** 'all' after a relist or a change to something every namespace reads (a cluster-wide policy). */
  readonly touched: ReadonlySet<string> | 'all';
}

/** Freshness and size of a view, read at scrape time for /metrics. */
export interface ViewStats {
  /**
   * The last moment the view was known to match its source (ms epoch): now while every watch is
   * healthy, when the oldest broken watch broke otherwise; a state folder's load time. Undefined
   * before the first sync.
   */
  readonly syncedAtMs: number | undefined;
  /** Objects held, by API group and kind. */
  readonly objects: readonly { readonly group: string; readonly kind: string; readonly count: number }[];
  /** Lists after the first (a broken watch or an expired resourceVersion), by API group and kind. */
  readonly relists: readonly { readonly group: string; readonly kind: string; readonly count: number }[];
}

/**
 * Where the server gets its cluster view: a state folder (loaded once) or the Kubernetes watch
 * cache (a new frozen view published on every change). A request reads `current()` once.
 */
export interface ViewSource {
  /** The latest frozen view, or undefined until the first load/sync. */
  current(): ClusterView | undefined;
  /** True once loaded/synced and not stale. Drives /readyz. */
  isReady(): boolean;
  /** Why not ready (for /readyz bodies and logs). */
  readonly notReadyReason?: () => string;
  /**
   * Confirms objects the view lacks with a live read (the watch cache lags the API server by a few
   * ms; `kubectl apply -f dir/` creates a ServiceAccount just before its Deployment). Resolves to a
   * view that includes whatever was found. Absent for sources that cannot lag (state folders).
   */
  confirm?(missing: readonly MissingRef[], namespace: string): Promise<ClusterView>;
  /** Freshness and size figures for /metrics. */
  stats?(): ViewStats;
  /** The latest snapshot (cluster mode), undefined until the first sync. */
  snapshot?(): ViewSnapshot | undefined;
  /** Calls `listener` after every publish (cluster mode); returns the unsubscribe. */
  onPublish?(listener: (publication: ViewPublication) => void): () => void;
  /** Starts loading/watching; resolves when started (not necessarily synced). */
  start(): Promise<void>;
  /** Stops watches and timers. */
  close(): Promise<void>;
}
