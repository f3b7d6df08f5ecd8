import type { KubeRest } from '../../adapters/kube/kube-rest.js';
import type { KubeLogger } from '../../adapters/kube/logger.js';
import { createReflector, type Reflector, type ReflectorChange } from '../../adapters/kube/reflector.js';
import { coreResource, resourceKey, type ResourceSpec } from '../../adapters/kube/resources.js';
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

/** The runtime's watches: namespaces, ztgate's own objects, and what each controller declared. */
export interface ControllerWatches {
  readonly namespaces: Reflector;
  contextOf(controller: Controller): ControllerContext;
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
): ControllerWatches {
  const reflectors = new Map<string, Reflector>();
  const scopes = new Map<string, 'namespace' | 'all'>();
  const reflect = (watch: Watch): Reflector => {
    const key = keyOf(watch);
    if ((watch.requeue ?? 'namespace') === 'all' || !scopes.has(key))
      scopes.set(key, watch.requeue ?? 'namespace');
    const existing = reflectors.get(key);
    if (existing !== undefined) return existing;
    const onChange = (change: ReflectorChange): void => {
      if (change.type === 'RELISTED' || scopes.get(key) === 'all') return triggers.all();
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
  for (const controller of controllers) {
    for (const spec of controller.owns) {
      const key = resourceKey(spec);
      if (key === resourceKey(NAMESPACES)) continue;
      const name = controller.ownedNames?.[key];
      const byName = name === undefined ? {} : { fieldSelector: `metadata.name=${name}` };
      owned.set(key, reflect({ resource: spec, labelSelector: `${MANAGED_BY_LABEL}=ztgate`, ...byName }));
    }
  }
  const contexts = new Map<Controller, ControllerContext>();
  for (const controller of controllers) {
    const declared = new Map(controller.watches.map((watch) => [watch.name, reflect(watch)]));
    const watched = (name: string): Reflector => {
      const reflector = declared.get(name);
      if (reflector === undefined) throw new Error(`controller ${controller.name} declares no watch ${name}`);
      return reflector;
    };
    contexts.set(controller, { config, watched });
  }

  return {
    namespaces,
    contextOf(controller) {
      const context = contexts.get(controller);
      if (context === undefined) throw new Error(`unknown controller ${controller.name}`);
      return context;
    },
    cacheFor(intent) {
      const key = resourceKey(intent.resource);
      const cache = key === resourceKey(NAMESPACES) ? namespaces : owned.get(key);
      if (cache === undefined) return { authoritative: false, cached: undefined };
      return { authoritative: cache.synced(), cached: cache.get(intent.namespace ?? '', intent.name) };
    },
    start: () => reflectors.forEach((reflector) => reflector.start()),
    stop: () => reflectors.forEach((reflector) => reflector.stop()),
  };
}
