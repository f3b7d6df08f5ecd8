import type { KubeRest } from '../../adapters/kube/kube-rest.js';
import type { KubeLogger } from '../../adapters/kube/logger.js';
import type { ViewSource } from '../../adapters/view-source.js';
import { createComeBacks } from './come-back.js';
import type { ZtgateConfig } from '../../policy/config.js';
import {
  clusterEnforcement,
  namespaceEnforcement,
  type NamespaceEnforcement,
} from '../../policy/desired/index.js';
import { readLabels } from '../../policy/objects.js';
import type { KubeObject } from '../../policy/types.js';
import { createIntentWriter, type ControllerWrite } from './apply-intents.js';
import type { Controller, ControllerCondition, Intent } from './controller.js';
import { WriteConflict } from './ensure.js';
import { startLeaseElector } from './lease-elector.js';
import { createRateLimiter, type RateLimit } from './rate-limiter.js';
import { createReports } from './reports.js';
import { createControllerWatches } from './watches.js';
import { createWorkQueue } from './work-queue.js';

export type { ControllerWrite } from './apply-intents.js';

/** The Lease the replicas compete for: one for all controllers. */
export const LEADER_LEASE_NAME = 'ztgate-leader';

/** The work queue's key for cluster-wide work (a namespace name is never empty). */
const CLUSTER = '';

/** Options of the controllers' runtime. */
export interface ControllersOptions {
  readonly rest: KubeRest;
  readonly config: ZtgateConfig;
  readonly logger: KubeLogger;
  /** This replica's name in the Lease (the pod name in a cluster). */
  readonly identity: string;
  readonly controllers: readonly Controller[];
  /** Every write with `?dryRun=All` (default: config controllers.dryRun). */
  readonly dryRun?: boolean;
  /** A full pass over every namespace this often while leading (default 60 s). */
  readonly resyncIntervalMs?: number;
  readonly leaseDurationSeconds?: number;
  readonly renewIntervalMs?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** The published cluster view, for controllers that read it (cluster mode's watch cache). */
  readonly view?: Pick<ViewSource, 'snapshot' | 'onPublish'>;
  /** How often to look for optional owned resources (CRDs installed later; default 30 s). */
  readonly discoveryIntervalMs?: number;
  /** The pace of posts such as Events (default 10 a second, bursts of 100). */
  readonly postRate?: RateLimit;
  readonly onWrite?: (write: ControllerWrite) => void;
}

/** The running controllers. */
export interface RunningControllers {
  isLeader(): boolean;
  /** Looks at a namespace again promptly ('' for cluster-wide work): for triggers beyond the runtime's own watches. */
  enqueue(namespace: string): void;
  /** Enforcing objects withheld from namespaces that are not enforced, by controller. */
  withheldCounts(): ReadonlyMap<string, number>;
  /** Standing controller conditions, as `controller/key`. */
  activeConditions(): readonly string[];
  /**
   * Each controller's conditions judged now from this replica's watches (every replica watches,
   * so a follower answers too); undefined for a controller whose watches have not listed yet.
   */
  currentConditions(controller: string): readonly ControllerCondition[] | undefined;
  stop(): Promise<void>;
}

const INERT: RunningControllers = {
  isLeader: () => false,
  enqueue: () => undefined,
  withheldCounts: () => new Map(),
  activeConditions: () => [],
  currentConditions: () => undefined,
  stop: async () => undefined,
};

const isTerminating = (object: KubeObject): boolean =>
  (object['status'] as { phase?: string } | undefined)?.phase === 'Terminating' ||
  object.metadata?.['deletionTimestamp'] !== undefined;

/**
 * Starts the controllers: every replica watches (warm caches for a takeover), one leader —
 * elected through one Lease — reconciles. Work is keyed by namespace: watch events queue their
 * namespace ahead of the periodic resync's bulk; a failed namespace is retried with backoff.
 * Enforcing intents are written only in enforced namespaces; elsewhere they are reported once per
 * change and ztgate's own copies are removed.
 */
export function startControllers(options: ControllersOptions): RunningControllers {
  const { rest, config, logger, controllers } = options;
  if (controllers.length === 0) return INERT;
  const reports = createReports(logger);
  const queue = createWorkQueue({
    process: reconcile,
    backoff: options.backoff,
    onRetry: (key, error, retryInMs) => {
      const fields = { namespace: key, err: String(error), retryInMs };
      if (error instanceof WriteConflict) logger.info(fields, 'write conflict; looking again');
      else logger.warn(fields, 'reconcile failed; retrying');
    },
  });
  const enqueueAll = (): void => {
    const names = [...watches.namespaces.objects()].map((object) => object.metadata?.name ?? '');
    queue.addBulk([CLUSTER, ...names.filter((name) => name !== '')]);
  };
  const watches = createControllerWatches(
    rest,
    logger,
    config,
    controllers,
    { namespace: (key) => queue.add(key), all: enqueueAll },
    { view: () => options.view?.snapshot?.(), discoveryIntervalMs: options.discoveryIntervalMs ?? 30_000 },
  );
  const posts = createRateLimiter(options.postRate ?? { perSecond: 10, burst: 100 });
  const writer = createIntentWriter({
    rest,
    logger,
    reports,
    dryRun: options.dryRun ?? config.controllers.dryRun,
    cacheFor: (intent) => watches.cacheFor(intent),
    posts,
    onWrite: options.onWrite,
  });
  // A namespace whose posts the rate limit held back comes back, behind fresh changes, when they may go.
  const later = createComeBacks(
    (count) => posts.reserve(count),
    (key) => queue.addBulk([key]),
  );
  // The view's changes name the namespaces they touched: only those are looked at again.
  const unsubscribe = controllers.some((controller) => controller.readsView)
    ? options.view?.onPublish?.(({ touched }) => {
        if (touched === 'all') enqueueAll();
        else for (const namespace of touched) queue.add(namespace);
      })
    : undefined;

  async function runAll(
    key: string,
    enforcement: NamespaceEnforcement,
    intentsOf: (controller: Controller) => readonly Intent[] | undefined,
  ): Promise<void> {
    let failure: unknown;
    let deferred = 0;
    let notBefore: number | undefined;
    // One controller failing holds back no other: the default deny never waits for a ConfigMap copy.
    for (const controller of controllers) {
      try {
        const intents = intentsOf(controller);
        if (intents !== undefined) {
          const outcome = await writer.apply(key, controller.name, enforcement, intents);
          deferred += outcome.deferred;
          if (outcome.notBefore !== undefined) notBefore = Math.min(notBefore ?? Infinity, outcome.notBefore);
        }
      } catch (error) {
        failure ??= error;
        if (!(error instanceof WriteConflict)) {
          logger.warn(
            { controller: controller.name, namespace: key, err: String(error) },
            'controller failed',
          );
        }
      }
    }
    if (deferred > 0) later.schedule(key, deferred);
    // Posts waiting for their time: back then (behind a come-back for the rate limit, if one waits).
    if (notBefore !== undefined) later.scheduleIn(key, notBefore - Date.now());
    if (failure !== undefined) throw failure;
  }

  async function reconcile(key: string): Promise<void> {
    if (key === CLUSTER) {
      for (const controller of controllers) {
        const conditions = controller.conditions?.(watches.contextOf(controller));
        if (conditions !== undefined) reports.conditions(controller.name, conditions);
      }
      const enforcement = clusterEnforcement(config);
      return runAll(key, enforcement, (c) => c.desiredCluster?.(watches.contextOf(c), enforcement));
    }
    const object = watches.namespaces.get('', key);
    if (object === undefined || isTerminating(object)) {
      reports.forgetNamespace(key);
      writer.forget(key);
      return;
    }
    const labels = readLabels(object.metadata?.labels);
    const subject = { name: key, labels, object, enforcement: namespaceEnforcement(config, key, labels) };
    await runAll(key, subject.enforcement, (c) => c.desired?.(subject, watches.contextOf(c)));
  }

  const elector = startLeaseElector({
    rest,
    logger,
    namespace: config.namespace,
    name: LEADER_LEASE_NAME,
    identity: options.identity,
    leaseDurationSeconds: options.leaseDurationSeconds,
    renewIntervalMs: options.renewIntervalMs,
    onStartedLeading: () => {
      // A new term says everything once again, and a dry run sends again.
      reports.clear();
      writer.clear();
      queue.resume();
      enqueueAll();
    },
    onStoppedLeading: () => void queue.pause(),
  });
  watches.start();
  const resync = setInterval(enqueueAll, options.resyncIntervalMs ?? 60_000);
  resync.unref();

  return {
    isLeader: () => elector.isLeader(),
    enqueue: (namespace) => queue.add(namespace),
    withheldCounts: () => reports.withheldCounts(),
    activeConditions: () => reports.activeConditions(),
    currentConditions(name) {
      const controller = controllers.find((candidate) => candidate.name === name);
      if (controller?.conditions === undefined || !watches.synced(controller)) return undefined;
      return controller.conditions(watches.contextOf(controller));
    },
    async stop(): Promise<void> {
      clearInterval(resync);
      unsubscribe?.();
      later.stop();
      watches.stop();
      await queue.close();
      await elector.stop();
    },
  };
}
