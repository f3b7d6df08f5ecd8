import type { ClusterView, MissingRef } from '../policy/types.js';

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
  /** Starts loading/watching; resolves when started (not necessarily synced). */
  start(): Promise<void>;
  /** Stops watches and timers. */
  close(): Promise<void>;
}
