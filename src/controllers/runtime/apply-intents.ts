import { hasStatus, type KubeRest } from '../../adapters/kube/kube-rest.js';
import { resourcePath } from '../../adapters/kube/resources.js';
import type { KubeLogger } from '../../adapters/kube/logger.js';
import type { NamespaceEnforcement } from '../../policy/desired/index.js';
import type { EnsureIntent, Intent, PostIntent, RemoveIntent } from './controller.js';
import { ensureObject, isGoneNamespace, removeObject, type CacheLookup, type WriteAction } from './ensure.js';
import type { RateLimiter } from './rate-limiter.js';
import { describeObject, type Reports } from './reports.js';

/** A write the runtime made (tests count them; the log has one line each). */
export interface ControllerWrite {
  readonly controller: string;
  readonly action: WriteAction;
  readonly kind: string;
  /** '' for a cluster-scoped object. */
  readonly namespace: string;
  readonly name: string;
  /** Sent with `?dryRun=All`: accepted by the API server, not persisted. */
  readonly dryRun: boolean;
}

/** What applying intents needs from the runtime. */
export interface IntentWriterOptions {
  readonly rest: KubeRest;
  readonly logger: KubeLogger;
  readonly reports: Reports;
  readonly dryRun: boolean;
  cacheFor(intent: Pick<Intent, 'resource' | 'namespace' | 'name'>): CacheLookup;
  /** Paces posts (Events): a post without a token waits for a later reconcile. */
  readonly posts: RateLimiter;
  readonly onWrite?: (write: ControllerWrite) => void;
}

/** What applying one controller's intents left for later. */
export interface ApplyOutcome {
  /** Posts the rate limit held back; the work item should come back when they may go. */
  readonly deferred: number;
  /** The earliest `notBefore` of the posts held back for it: the work item should come back then. */
  readonly notBefore?: number | undefined;
}

/** Applies one controller's intents for one work item (a namespace, or '' for cluster-wide). */
export interface IntentWriter {
  apply(
    key: string,
    controller: string,
    enforcement: NamespaceEnforcement,
    intents: readonly Intent[],
  ): Promise<ApplyOutcome>;
  /** Forgets what a dry run sent, and what was posted, for a namespace that went away. */
  forget(key: string): void;
  /** Forgets every dry-run and post memory (a new leader term sends again). */
  clear(): void;
}

const rollbackOf = ({ resource, namespace, name }: EnsureIntent): RemoveIntent => ({
  action: 'remove',
  resource,
  namespace,
  name,
});

/**
 * Creates the writer that turns intents into API calls. Enforcing ensures are written only where
 * the work item is enforced; elsewhere they are reported as withheld, and those ztgate creates are
 * removed in reverse order — the deny before the allowances it needs.
 */
export function createIntentWriter(options: IntentWriterOptions): IntentWriter {
  const { rest, logger, reports, dryRun } = options;
  // A dry run persists nothing, so nothing converges: a write is sent again only when what it saw changed.
  const dryRunSeen = new Map<string, Map<string, string>>();
  // What this term posted, by work item: posted once, never again while this replica leads.
  const posted = new Map<string, Set<string>>();

  function dryRunState(intent: EnsureIntent | RemoveIntent, cache: CacheLookup): string {
    const body =
      intent.action === 'ensure' ? (intent.fingerprint ?? JSON.stringify(intent.create ?? null)) : '';
    return `${String(cache.cached?.metadata?.['resourceVersion'] ?? 'absent')}|${body}`;
  }

  async function write(
    key: string,
    controller: string,
    intent: EnsureIntent | RemoveIntent,
  ): Promise<WriteAction | undefined> {
    const cache = options.cacheFor(intent);
    const id = `${controller}|${intent.action}|${describeObject(intent)}`;
    const memo = dryRunSeen.get(key) ?? new Map<string, string>();
    const seen = dryRun ? dryRunState(intent, cache) : '';
    if (dryRun && memo.get(id) === seen) return undefined;
    const action =
      intent.action === 'remove'
        ? await removeObject(rest, intent, cache, { dryRun })
        : await ensureObject(rest, intent, cache, { dryRun });
    if (dryRun) dryRunSeen.set(key, memo.set(id, seen));
    return action;
  }

  /** Posts a record unless this term did; 409 means an earlier post (this leader's or another's) stands. */
  async function post(
    key: string,
    controller: string,
    intent: PostIntent,
  ): Promise<WriteAction | 'deferred' | 'not-yet' | undefined> {
    const id = `${controller}|${describeObject(intent)}`;
    const done = posted.get(key) ?? new Set<string>();
    if (done.has(id)) return undefined;
    // Before the rate limit: a post that waits for its time takes no token. Date.now, as the
    // come-back that brings the work item back then (run-controllers) reads it.
    if (intent.notBefore !== undefined && intent.notBefore > Date.now()) return 'not-yet';
    if (!options.posts.take()) return 'deferred';
    const body = intent.body;
    let action: WriteAction | undefined;
    try {
      if (body !== undefined) {
        const query = dryRun ? { dryRun: 'All' } : {};
        await rest.request('POST', resourcePath(intent.resource, intent.namespace), { body, query });
        action = 'create';
      }
    } catch (error) {
      if (!hasStatus(error, 409) && !isGoneNamespace(error)) throw error;
    }
    posted.set(key, done.add(id));
    return action;
  }

  function record(
    controller: string,
    intent: Intent,
    action: WriteAction,
    enforcement: NamespaceEnforcement,
  ) {
    const { kind } = intent.resource;
    const done = { controller, action, kind, namespace: intent.namespace ?? '', name: intent.name, dryRun };
    const why = enforcement.mode === 'enforce' ? {} : { mode: enforcement.mode, reason: enforcement.reason };
    const message = dryRun
      ? 'dry run: the API server accepted a write and persisted nothing'
      : 'controller wrote an object';
    logger.info({ ...done, ...why }, message);
    options.onWrite?.(done);
  }

  return {
    async apply(key, controller, enforcement, intents) {
      const withheld =
        enforcement.mode === 'enforce'
          ? []
          : intents.filter(
              (intent): intent is EnsureIntent => intent.action === 'ensure' && intent.enforcing,
            );
      reports.withheld(controller, key, enforcement, withheld);
      const rollback = withheld
        .filter((intent) => intent.create !== undefined)
        .reverse()
        .map(rollbackOf);
      const active = intents.filter((intent) => !(withheld as readonly Intent[]).includes(intent));
      let deferred = 0;
      let notBefore: number | undefined;
      // In order, and a conflict stops the rest: each step relies on the ones before it.
      for (const intent of [...rollback, ...active]) {
        const action =
          intent.action === 'post'
            ? await post(key, controller, intent)
            : await write(key, controller, intent);
        if (action === 'deferred') deferred += 1;
        else if (action === 'not-yet') {
          // Only post() answers 'not-yet'; the check narrows the type.
          if (intent.action === 'post') notBefore = Math.min(notBefore ?? Infinity, intent.notBefore ?? 0);
        } else if (action !== undefined) record(controller, intent, action, enforcement);
      }
      return { deferred, notBefore };
    },
    forget(key) {
      dryRunSeen.delete(key);
      posted.delete(key);
    },
    clear() {
      dryRunSeen.clear();
      posted.clear();
    },
  };
}
