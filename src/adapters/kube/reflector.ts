import type { KubeObject } from '../../policy/types.js';
import { hasStatus, KubeApiError, type KubeRest, type WatchEvent } from './kube-rest.js';
import type { KubeLogger } from './logger.js';
import { apiVersionOf, resourceKey, resourcePath, type ResourceSpec } from './resources.js';
import { ObjectStore } from './object-store.js';
import { stripObject } from './strip-object.js';

/** What changed in a reflector's store: one object, or everything after a (re)list. */
export type ReflectorChange =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: KubeObject }
  | { readonly type: 'RELISTED' };

/** Options of a reflector: one resource, listed then watched, kept in memory. */
export interface ReflectorOptions {
  readonly rest: KubeRest;
  readonly spec: ResourceSpec;
  readonly logger: KubeLogger;
  readonly onChange: (change: ReflectorChange) => void;
  readonly labelSelector?: string;
  /** e.g. `metadata.name=ztgate-trust-bundle`: one object, without reading the rest of its kind. */
  readonly fieldSelector?: string;
  /** Lists and watches in this namespace only (a namespaced resource); cluster-wide when absent. */
  readonly namespace?: string;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly now?: () => number;
}

/** A list+watch loop over one resource with its object store. */
export interface Reflector {
  readonly spec: ResourceSpec;
  start(): void;
  stop(): void;
  /** True once the resource has been listed. */
  synced(): boolean;
  /** When the watch broke (ms epoch), or undefined while it is healthy. */
  brokenSince(): number | undefined;
  /** The last list or watch failure, until a list succeeds again (for /readyz reasons). */
  lastError(): string | undefined;
  objects(): IterableIterator<KubeObject>;
  /** How many objects the store holds. */
  size(): number;
  /** Lists after the first one (each follows a broken watch or an expired resourceVersion). */
  relists(): number;
  /** The objects of one namespace ('' for cluster-scoped ones). */
  objectsIn(namespace: string): Iterable<KubeObject>;
  get(namespace: string, name: string): KubeObject | undefined;
}

interface ListResponse {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly Record<string, unknown>[];
}

/** Creates a reflector; it does nothing until start(). */
export function createReflector(options: ReflectorOptions): Reflector {
  const { rest, spec, logger, onChange } = options;
  const now = options.now ?? Date.now;
  // At most 10 s between attempts: a view stays stale (and /validate denies) until one succeeds.
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const apiVersion = apiVersionOf(spec);
  const path = resourcePath(spec, options.namespace);
  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  let store = new ObjectStore();
  let resourceVersion = '';
  let listed = false;
  let lists = 0;
  let stopped = true;
  let broken: number | undefined;
  let failure: string | undefined;
  let handle: { abort(): void } | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function list(): Promise<void> {
    const items = new ObjectStore();
    let token: string | undefined;
    let version = '';
    do {
      const page = await rest.request<ListResponse>('GET', path, {
        query: { limit: 500, continue: token, ...selectors },
      });
      for (const item of page.items ?? []) {
        const object = stripObject(item, apiVersion, spec.kind);
        items.set(object);
      }
      token = page.metadata?.continue || undefined;
      version = page.metadata?.resourceVersion ?? '';
    } while (token !== undefined && !stopped);
    store = items;
    resourceVersion = version;
    listed = true;
    lists += 1;
    broken = undefined;
    failure = undefined;
    onChange({ type: 'RELISTED' });
  }

  function apply(event: WatchEvent): void {
    const metadata = event.object['metadata'] as { resourceVersion?: string } | undefined;
    if (event.type === 'ERROR') {
      const code = Number(event.object['code']);
      throw new KubeApiError(
        code,
        String(event.object['message'] ?? 'watch error'),
        String(event.object['reason']),
      );
    }
    if (metadata?.resourceVersion) resourceVersion = metadata.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    const object = stripObject(event.object, apiVersion, spec.kind);
    if (event.type === 'DELETED') store.delete(object);
    else store.set(object);
    if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
      onChange({ type: event.type, object });
    }
  }

  /** Watches until the stream ends; resolves on a clean end, rejects on an error. */
  function watchOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      let failed: unknown;
      const query = {
        resourceVersion,
        allowWatchBookmarks: true,
        // Spread the server-side timeouts so every watch does not reconnect at once.
        timeoutSeconds: 240 + Math.floor(Math.random() * 120),
        ...selectors,
      };
      const onEvent = (event: WatchEvent): void => {
        if (failed !== undefined) return;
        try {
          apply(event);
        } catch (error) {
          failed = error;
          handle?.abort();
          reject(error);
        }
      };
      const onDone = (error: unknown): void => (error ? reject(error) : resolve());
      rest.watch(path, query, onEvent, onDone).then((watch) => {
        handle = watch;
        if (stopped) watch.abort();
        else if (failed === undefined) broken = undefined;
      }, reject);
    });
  }

  async function run(): Promise<void> {
    let delay = backoff.initialMs;
    while (!stopped) {
      try {
        if (!resourceVersion) await list();
        await watchOnce();
        delay = backoff.initialMs;
      } catch (error) {
        if (stopped) return;
        resourceVersion = '';
        // 410 Gone: our resourceVersion is too old; relist at once, nothing is broken.
        if (hasStatus(error, 410)) continue;
        broken ??= now();
        failure = error instanceof Error ? error.message : String(error);
        logger.warn(
          { resource: resourceKey(spec), err: String(error), retryInMs: delay },
          'kube watch broken; relisting after backoff',
        );
        await sleep(delay + Math.floor(Math.random() * delay * 0.2));
        delay = Math.min(delay * 2, backoff.maxMs);
      }
    }
  }

  return {
    spec,
    start(): void {
      if (!stopped) return;
      stopped = false;
      void run();
    },
    stop(): void {
      stopped = true;
      handle?.abort();
      wake?.();
    },
    synced: () => listed,
    brokenSince: () => broken,
    lastError: () => failure,
    objects: () => store.values(),
    size: () => store.size,
    relists: () => Math.max(0, lists - 1),
    objectsIn: (namespace) => store.in(namespace),
    get: (namespace, name) => store.get(namespace, name),
  };
}
