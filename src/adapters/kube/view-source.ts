import type { KubeConfig } from '@kubernetes/client-node';
import type { ZtgateConfig } from '../../policy/config.js';
import { isPeerAuthentication } from '../../policy/mesh/peer-authentication.js';
import { isPolicyObject, normalizePolicy } from '../../policy/policies/index.js';
import type { ClusterView, KubeObject, NormalizedPolicy } from '../../policy/types.js';
import type { ViewLayer } from '../../policy/view-layer.js';
import {
  buildPartition,
  composePartitions,
  groupByPartition,
  partitionObjects,
  partitionOf,
  type PartitionContents,
} from '../../policy/view-partitions.js';
import type { ViewPublication, ViewSnapshot, ViewSource } from '../view-source.js';
import { confirmMissing } from './confirm.js';
import { createKubeRest, type KubeRest } from './kube-rest.js';
import type { KubeLogger } from './logger.js';
import { chooseOptionalResources } from './optional-resources.js';
import { createReflector, type Reflector, type ReflectorChange } from './reflector.js';
import { collectViewStats } from './view-stats.js';
import {
  CORE_RESOURCES,
  CRD_RESOURCE,
  discoverOptionalResources,
  resourceKey,
  type ResourceSpec,
} from './resources.js';

/** Options of the Kubernetes watch cache. */
export interface KubeViewSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly config: ZtgateConfig;
  readonly logger: KubeLogger;
  /** Overrides the REST client (tests). */
  readonly rest?: KubeRest;
  /** Coalescing window for view rebuilds after the first sync (default 50 ms). */
  readonly debounceMs?: number;
  /** How often discovery is re-run for aggregated APIs without a CRD (default 60 s). */
  readonly discoveryIntervalMs?: number;
  readonly now?: () => number;
  /** Called after the first sync's view is published (serve frees what the lists left behind). */
  readonly onSynced?: () => void;
}

/**
 * The cluster-mode view source: one reflector per watched resource, a new frozen ClusterView
 * published after every burst of changes, policy kinds watched as soon as their CRDs are served.
 */
export function createKubeViewSource(options: KubeViewSourceOptions): ViewSource {
  const { config, logger } = options;
  const rest = options.rest ?? createKubeRest(options.kubeConfig);
  const now = options.now ?? Date.now;
  const debounceMs = options.debounceMs ?? 50;
  const reflectors = new Map<string, Reflector>();
  let crdReflector: Reflector | undefined;
  let discovered: ResourceSpec[] = [];
  let view: ClusterView | undefined;
  let revision = 0;
  let initialSynced = false;
  let closed = false;
  let rebuildTimer: ReturnType<typeof setTimeout> | undefined;
  let discoveryTimer: ReturnType<typeof setInterval> | undefined;
  let crdTimer: ReturnType<typeof setTimeout> | undefined;

  // Normalizing a policy (parsing its selectors) is the costly part of a rebuild; a store object is
  // replaced on every change, so a cache keyed by object identity only ever recomputes what changed.
  const normalized = new WeakMap<KubeObject, NormalizedPolicy | null>();
  const normalizeOptions = { istioRootNamespace: config.istioRootNamespace };
  // One indexed layer per namespace ('' for cluster-scoped objects); a change rebuilds its own.
  const partitions = new Map<string, ViewLayer>();
  const dirty = new Set<string>();
  let rebuildAll = true;
  // What the changes since the last publish touched, for the background audit; see touchedBy.
  const touched = new Set<string>();
  let touchedAll = true;
  const touchedAt = new Map<string, number>();
  let allTouchedAt = 0;
  let snapshot: ViewSnapshot | undefined;
  const listeners = new Set<(publication: ViewPublication) => void>();

  function normalizeCached(object: KubeObject): NormalizedPolicy | undefined {
    let policy = normalized.get(object);
    if (policy === undefined) {
      try {
        policy = normalizePolicy(object, normalizeOptions) ?? null;
      } catch (error) {
        // One stored object the core cannot read must not throw out of the publish timer (that
        // crashed the process, and every restart, while the object stayed). Left out of the view,
        // a policy allow-lists nothing: fail closed.
        logger.warn(
          { name: object.metadata?.name, namespace: object.metadata?.namespace, err: String(error) },
          'policy left out of the cluster view: it cannot be read',
        );
        policy = null;
      }
      normalized.set(object, policy);
    }
    return policy ?? undefined;
  }

  function* storedObjects(partition?: string): Generator<KubeObject> {
    for (const reflector of reflectors.values()) {
      yield* partition === undefined ? reflector.objects() : reflector.objectsIn(partition);
    }
  }

  function rebuild(partition: string, contents: PartitionContents | undefined): void {
    if (contents === undefined) partitions.delete(partition);
    else partitions.set(partition, buildPartition(contents, config.istioRootNamespace));
  }

  function snapshotOf(published: ClusterView, at: number): ViewSnapshot {
    return {
      view: published,
      objectsIn: (namespace) => partitionObjects(published, namespace),
      changedAt: (namespace) => Math.min(at, Math.max(allTouchedAt, touchedAt.get(namespace) ?? 0)),
    };
  }

  function announce(all: boolean): void {
    if (all) {
      allTouchedAt = revision;
      touchedAt.clear();
    } else for (const namespace of touched) touchedAt.set(namespace, revision);
    snapshot = snapshotOf(view as ClusterView, revision);
    const publication: ViewPublication = { snapshot, touched: all ? 'all' : new Set(touched) };
    touched.clear();
    touchedAll = false;
    for (const listener of listeners) {
      try {
        listener(publication);
      } catch (error) {
        logger.warn({ err: String(error) }, 'view listener failed');
      }
    }
  }

  function publish(): void {
    rebuildTimer = undefined;
    const all = rebuildAll || touchedAll;
    if (rebuildAll) {
      // First sync, a relist, or a resource started or stopped: every partition from the stores.
      rebuildAll = false;
      partitions.clear();
      for (const [partition, contents] of groupByPartition(storedObjects(), normalizeCached))
        rebuild(partition, contents);
    } else {
      for (const partition of dirty)
        rebuild(partition, groupByPartition(storedObjects(partition), normalizeCached).get(partition));
    }
    dirty.clear();
    revision += 1;
    view = composePartitions(partitions, {
      istioRootNamespace: config.istioRootNamespace,
      serviceAccountsComplete: true,
      revision,
    });
    announce(all);
  }

  /**
   * The namespace whose judgement a change can alter, or undefined for every namespace. A namespace
   * is judged from its own objects, its own labels and the cluster-wide policies (Calico GNPs,
   * Cilium CCNPs, Istio policies in the mesh root namespace, and the root namespace's
   * PeerAuthentications, which set the mTLS mode every namespace inherits: strict-mtls and the
   * audit's STRICT finding read them); a rule reading more must widen this.
   */
  function touchedBy(object: KubeObject): string | undefined {
    const partition = partitionOf(object);
    if (partition === '') return object.kind === 'Namespace' ? object.metadata?.name : undefined;
    if (partition === config.istioRootNamespace && (isPolicyObject(object) || isPeerAuthentication(object)))
      return undefined;
    return partition;
  }

  /** Notes what a reflector's change touches: one namespace, or everything after a relist. */
  function noteChange(change: ReflectorChange): void {
    if (change.type === 'RELISTED') {
      rebuildAll = true;
      return;
    }
    dirty.add(partitionOf(change.object));
    const namespace = touchedBy(change.object);
    if (namespace === undefined) touchedAll = true;
    else touched.add(namespace);
  }

  function onChange(): void {
    if (closed) return;
    if (!initialSynced) {
      if (![...reflectors.values()].every((r) => r.synced())) return;
      initialSynced = true;
      publish();
      logger.info({ revision, resources: [...reflectors.keys()] }, 'cluster view synced');
      options.onSynced?.();
      return;
    }
    rebuildTimer ??= setTimeout(publish, debounceMs);
  }

  function addReflector(spec: ResourceSpec): void {
    const reflector = createReflector({
      rest,
      spec,
      logger,
      now,
      onChange: (change) => {
        noteChange(change);
        onChange();
      },
    });
    reflectors.set(resourceKey(spec), reflector);
    reflector.start();
  }

  function applyOptional(): void {
    if (closed) return;
    const wanted = chooseOptionalResources(discovered, crdReflector?.objects() ?? []);
    const wantedKeys = new Set(wanted.map(resourceKey));
    const optionalKeys = [...reflectors.keys()].filter(
      (key) => !CORE_RESOURCES.some((s) => resourceKey(s) === key),
    );
    for (const key of optionalKeys) {
      if (wantedKeys.has(key)) continue;
      reflectors.get(key)?.stop();
      reflectors.delete(key);
      rebuildAll = true;
      logger.info({ resource: key }, 'resource no longer served; stopped watching');
      onChange();
    }
    for (const spec of wanted) {
      if (reflectors.has(resourceKey(spec))) continue;
      logger.info({ resource: resourceKey(spec) }, 'resource served; watching');
      addReflector(spec);
    }
  }

  async function rediscover(): Promise<void> {
    try {
      discovered = await discoverOptionalResources(rest);
    } catch (error) {
      logger.warn({ err: String(error) }, 'API discovery failed; keeping the previous answer');
    }
    applyOptional();
  }

  function notReadyReason(): string {
    if (!initialSynced) {
      const pending = [...reflectors.values()].filter((r) => !r.synced());
      const waiting = pending.map((r) => r.spec.plural);
      // Why it waits, when it knows: an API server that times out or refuses says so on /readyz.
      const failed = pending.find((r) => r.lastError() !== undefined);
      const why = failed === undefined ? '' : `; last error: ${failed.lastError() ?? ''}`;
      return `cluster view not synced yet (waiting for ${waiting.join(', ') || 'start'}${why})`;
    }
    const limitMs = config.view.staleAfterSeconds * 1000;
    for (const reflector of reflectors.values()) {
      const since = reflector.brokenSince();
      if (since !== undefined && now() - since > limitMs) {
        const seconds = Math.round((now() - since) / 1000);
        return `watch of ${resourceKey(reflector.spec)} broken for ${seconds}s (limit ${config.view.staleAfterSeconds}s)`;
      }
    }
    return '';
  }

  return {
    current: () => view,
    snapshot: () => snapshot,
    onPublish(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    isReady: () => notReadyReason() === '',
    notReadyReason,
    stats: () => collectViewStats([...reflectors.values()], initialSynced, now()),
    async start(): Promise<void> {
      try {
        discovered = await discoverOptionalResources(rest);
      } catch (error) {
        logger.warn({ err: String(error) }, 'API discovery failed; watching the core resources only for now');
      }
      // Core and optional reflectors are added in one synchronous step, so the first sync waits for all.
      for (const spec of CORE_RESOURCES) addReflector(spec);
      applyOptional();
      // A CRD event re-checks which policy kinds are served; the CRD list itself is not needed
      // for readiness (RBAC may deny it; discovery then still finds the kinds, more slowly).
      crdReflector = createReflector({
        rest,
        spec: CRD_RESOURCE,
        logger,
        now,
        onChange: () => {
          crdTimer ??= setTimeout(() => {
            crdTimer = undefined;
            void rediscover();
          }, 20);
        },
      });
      crdReflector.start();
      discoveryTimer = setInterval(() => void rediscover(), options.discoveryIntervalMs ?? 60_000);
      discoveryTimer.unref();
    },
    async close(): Promise<void> {
      closed = true;
      for (const timer of [rebuildTimer, crdTimer]) if (timer) clearTimeout(timer);
      if (discoveryTimer) clearInterval(discoveryTimer);
      crdReflector?.stop();
      for (const reflector of reflectors.values()) reflector.stop();
    },
    confirm(missing, namespace): Promise<ClusterView> {
      if (!view) return Promise.reject(new Error('cluster view not synced yet'));
      const policySpecs = [...reflectors.values()].map((r) => r.spec);
      const istioRootNamespace = config.istioRootNamespace;
      return confirmMissing({ rest, view, missing, namespace, policySpecs, logger, istioRootNamespace });
    },
  };
}
