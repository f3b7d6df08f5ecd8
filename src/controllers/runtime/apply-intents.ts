import type { KubeRest } from '../../adapters/kube/kube-rest.js';
import type { KubeLogger } from '../../adapters/kube/logger.js';
import type { NamespaceEnforcement } from '../../policy/desired/index.js';
import type { EnsureIntent, Intent, RemoveIntent } from './controller.js';
import { ensureObject, removeObject, type CacheLookup, type WriteAction } from './ensure.js';
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
  readonly onWrite?: (write: ControllerWrite) => void;
}

/** Applies one controller's intents for one work item (a namespace, or '' for cluster-wide). */
export interface IntentWriter {
  apply(
    key: string,
    controller: string,
    enforcement: NamespaceEnforcement,
    intents: readonly Intent[],
  ): Promise<void>;
  /** Forgets what a dry run sent for a namespace that went away. */
  forget(key: string): void;
  /** Forgets every dry-run memory (a new leader term sends again). */
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

  async function write(key: string, controller: string, intent: Intent): Promise<WriteAction | undefined> {
    const cache = options.cacheFor(intent);
    const id = `${controller}|${intent.action}|${describeObject(intent)}`;
    const body = intent.action === 'ensure' ? (intent.create ?? null) : null;
    const seen = `${String(cache.cached?.metadata?.['resourceVersion'] ?? 'absent')}|${JSON.stringify(body)}`;
    const memo = dryRunSeen.get(key) ?? new Map<string, string>();
    if (dryRun && memo.get(id) === seen) return undefined;
    const action =
      intent.action === 'remove'
        ? await removeObject(rest, intent, cache, { dryRun })
        : await ensureObject(rest, intent, cache, { dryRun });
    if (dryRun) dryRunSeen.set(key, memo.set(id, seen));
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
      // In order, and a conflict stops the rest: each step relies on the ones before it.
      for (const intent of [...rollback, ...active]) {
        const action = await write(key, controller, intent);
        if (action !== undefined) record(controller, intent, action, enforcement);
      }
    },
    forget: (key) => void dryRunSeen.delete(key),
    clear: () => dryRunSeen.clear(),
  };
}
