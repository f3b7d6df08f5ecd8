import { hasStatus, type KubeRest } from '../../adapters/kube/kube-rest.js';
import type { KubeLogger } from '../../adapters/kube/logger.js';
import { createReflector, type Reflector, type ReflectorChange } from '../../adapters/kube/reflector.js';
import { apiVersionOf, coreResource, resourceKey, type ResourceSpec } from '../../adapters/kube/resources.js';
import type { ViewSnapshot } from '../../adapters/view-source.js';
import { MANAGED_BY_LABEL, type ZtgateConfig } from '../../policy/config.js';
import type { Controller, ControllerContext, Intent, WatchDeclaration } from './controller.js';
import type { CacheLookup } from './ensure.js';

/** The Namespace resource every runtime watches: its work items are namespaces. */
export const NAMESPACES: ResourceSpec = coreResource('Namespace');

/** Where a change sends the runtime: one namespace ('' for cluster-wide work), or every one. */
export interface WatchTriggers {
  namespace(key: string): void;
  all(): void;
}

/** What the watches need beyond the API: the published view, and how often to look for optional resources. */
export interface WatchSources {
  view(): ViewSnapshot | undefined;
  /** How often discovery looks for optional owned resources (a CRD installed or removed later). */
  readonly discoveryIntervalMs: number;
}

/** The runtime's watches: namespaces, ztgate's own objects, and what each controller declared. */
export interface ControllerWatches {
  readonly namespaces: Reflector;
  contextOf(controller: Controller): ControllerContext;
  /** Whether every watch the controller declared has listed. */
  synced(controller: Controller): boolean;
  /** The cached copy of an intent's object, and whether absence there is proof. */
  cacheFor(intent: Pick<Intent, 'resource' | 'namespace' | 'name'>): CacheLookup;
  start(): void;
  stop(): void;
}

type Watch = Omit<WatchDeclaration, 'name'>;
const keyOf = (watch: Watch): string =>
  [resourceKey(watch.resource), watch.namespace, watch.labelSelector, watch.fieldSelector].join('|');

/**
 * Creates one reflector per distinct watch (resource, namespace, selectors) over all controllers.
 * ztgate's own objects are watched by their managed-by label: that cache makes an identical object
 * cost no read, and an object someone took the label off reads as absent, so it is looked at live.
 */
export function createControllerWatches(
  rest: KubeRest,
  logger: KubeLogger,
  config: ZtgateConfig,
  controllers: readonly Controller[],
  triggers: WatchTriggers,
  sources: WatchSources,
): ControllerWatches {
  const reflectors = new Map<string, Reflector>();
  type Scope = NonNullable<WatchDeclaration['requeue']>;
  const scopes = new Map<string, Scope>();
  // Two controllers may share a watch: the wider requeue wins.
  const width: Readonly<Record<Scope, number>> = { cluster: 0, namespace: 1, all: 2 };
  const reflect = (watch: Watch): Reflector => {
    const key = keyOf(watch);
    const scope = watch.requeue ?? 'namespace';
    const known = scopes.get(key);
    if (known === undefined || width[scope] > width[known]) scopes.set(key, scope);
    const existing = reflectors.get(key);
    if (existing !== undefined) return existing;
    const onChange = (change: ReflectorChange): void => {
      if (change.type === 'RELISTED' || scopes.get(key) === 'all') return triggers.all();
      // '' is the cluster-wide work item, where the runtime judges conditions.
      if (scopes.get(key) === 'cluster') return triggers.namespace('');
      const { kind, metadata } = change.object;
      triggers.namespace((kind === 'Namespace' ? metadata?.name : metadata?.namespace) ?? '');
    };
    const { resource: spec, namespace, labelSelector, fieldSelector } = watch;
    const reflector = createReflector({
      rest,
      spec,
      logger,
      namespace,
      labelSelector,
      fieldSelector,
      onChange,
    });
    reflectors.set(key, reflector);
    return reflector;
  };

  const namespaces = reflect({ resource: NAMESPACES });
  const owned = new Map<string, Reflector>();
  const optional = new Map<string, ResourceSpec>();
  for (const controller of controllers) {
    for (const spec of controller.owns) {
      const key = resourceKey(spec);
      if (key === resourceKey(NAMESPACES)) continue;
      const name = controller.ownedNames?.[key];
      const byName = name === undefined ? {} : { fieldSelector: `metadata.name=${name}` };
      owned.set(key, reflect({ resource: spec, labelSelector: `${MANAGED_BY_LABEL}=ztgate`, ...byName }));
      if (controller.optionalOwns?.includes(key)) optional.set(key, spec);
    }
  }
  const discovery = watchWhenServed(rest, logger, optional, owned, triggers, sources.discoveryIntervalMs);
  const contexts = new Map<Controller, ControllerContext>();
  const declaredBy = new Map<Controller, readonly Reflector[]>();
  for (const controller of controllers) {
    const declared = new Map(controller.watches.map((watch) => [watch.name, reflect(watch)]));
    declaredBy.set(controller, [...declared.values()]);
    const watched = (name: string): Reflector => {
      const reflector = declared.get(name);
      if (reflector === undefined) throw new Error(`controller ${controller.name} declares no watch ${name}`);
      return reflector;
    };
    contexts.set(controller, {
      config,
      watched,
      view: sources.view,
      serves: (resource) => discovery.serves(resourceKey(resource)),
    });
  }

  return {
    namespaces,
    contextOf(controller) {
      const context = contexts.get(controller);
      if (context === undefined) throw new Error(`unknown controller ${controller.name}`);
      return context;
    },
    synced: (controller) => (declaredBy.get(controller) ?? []).every((reflector) => reflector.synced()),
    cacheFor(intent) {
      const key = resourceKey(intent.resource);
      const cache = key === resourceKey(NAMESPACES) ? namespaces : owned.get(key);
      if (cache === undefined) return { authoritative: false, cached: undefined };
      return { authoritative: cache.synced(), cached: cache.get(intent.namespace ?? '', intent.name) };
    },
    start() {
      const later = new Set([...optional.keys()].map((key) => owned.get(key)));
      for (const reflector of reflectors.values()) if (!later.has(reflector)) reflector.start();
      discovery.start();
    },
    stop() {
      discovery.stop();
      reflectors.forEach((reflector) => reflector.stop());
    },
  };
}

/** Which optional owned resources are served, kept current by polling discovery. */
interface ServedResources {
  serves(key: string): boolean | undefined;
  start(): void;
  stop(): void;
}

/**
 * Starts the cache watch of an optional resource (a CRD's) once discovery finds it served and
 * stops it when it no longer is — a watch on an unserved resource would fail and warn forever.
 * Every change of what is served, and the first answer, reconciles everything.
 */
function watchWhenServed(
  rest: KubeRest,
  logger: KubeLogger,
  optional: ReadonlyMap<string, ResourceSpec>,
  owned: ReadonlyMap<string, Reflector>,
  triggers: WatchTriggers,
  intervalMs: number,
): ServedResources {
  const served = new Map<string, boolean>();
  let timer: ReturnType<typeof setInterval> | undefined;
  const groupPath = (spec: ResourceSpec): string =>
    spec.group === '' ? `/api/${spec.version}` : `/apis/${apiVersionOf(spec)}`;

  async function isServed(spec: ResourceSpec): Promise<boolean | undefined> {
    try {
      const list = await rest.request<{ resources?: { name?: string }[] }>('GET', groupPath(spec));
      return (list.resources ?? []).some((resource) => resource.name === spec.plural);
    } catch (error) {
      if (hasStatus(error, 404, 503)) return false;
      logger.debug(
        { resource: resourceKey(spec), err: String(error) },
        'discovery failed; asking again later',
      );
      return undefined;
    }
  }

  async function discover(): Promise<void> {
    let changed = false;
    for (const [key, spec] of optional) {
      const now = await isServed(spec);
      if (now === undefined || now === served.get(key)) continue;
      changed = true;
      served.set(key, now);
      if (now) owned.get(key)?.start();
      else owned.get(key)?.stop();
    }
    if (changed) triggers.all();
  }

  return {
    serves: (key) => (optional.has(key) ? served.get(key) : true),
    start() {
      if (optional.size === 0) return;
      void discover();
      timer = setInterval(() => void discover(), intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
