import { MANAGED_BY_LABEL, type ZtgateConfig } from '../../policy/config.js';
import {
  buildConfigMapReplacement,
  buildDesiredTrustBundle,
  isConfigMapUpToDate,
} from './desired-trust-bundle.js';
import type { ManagedObject } from './ensure-object.js';
import type { KubeRest } from './kube-rest.js';
import type { KubeLogger } from './logger.js';
import { createReflector, type ReflectorChange } from './reflector.js';
import type { ResourceSpec } from './resources.js';

/** The core/v1 ConfigMap resource. */
export const CONFIG_MAPS: ResourceSpec = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};

/** Options of the trust bundle half of the reconciler. */
export interface TrustBundleSyncOptions {
  readonly rest: KubeRest;
  readonly config: ZtgateConfig;
  readonly logger: KubeLogger;
  /** A copy changed (its namespace needs a look), or the copies were relisted. */
  readonly onCopyChange: (change: ReflectorChange) => void;
  /** The source changed, appeared or went away: every namespace needs a look. */
  readonly onSourceChange: () => void;
}

/** Watches the source trust bundle and ztgate's copies, and says what copy a namespace should hold. */
export interface TrustBundleSync {
  start(): void;
  stop(): void;
  /** The copy to ensure in a namespace; undefined while the source is not yet listed or absent. */
  copyFor(namespace: string): ManagedObject | undefined;
}

/**
 * Creates the trust bundle watches: the single source object (field selector, in ztgate's
 * namespace) and the copies (label selector) — never every ConfigMap of the cluster, which would
 * cost memory and read far more than ztgate needs.
 */
export function createTrustBundleSync(options: TrustBundleSyncOptions): TrustBundleSync {
  const { rest, config, logger } = options;
  const name = config.sidecar.trustBundleConfigMap;
  const home = config.namespace;
  let present: boolean | undefined;

  const onSource = (): void => {
    const now = source.get(home, name) !== undefined;
    // Once per change of state: a resync or a relist with the source still absent says nothing new.
    if (now !== present) {
      present = now;
      if (now) logger.info({ namespace: home, name }, 'trust bundle source found; distributing it');
      else {
        logger.warn(
          { namespace: home, name },
          'trust bundle source ConfigMap is missing; injected pods cannot start until it exists',
        );
      }
    }
    options.onSourceChange();
  };
  const source = createReflector({
    rest,
    spec: CONFIG_MAPS,
    logger,
    namespace: home,
    fieldSelector: `metadata.name=${name}`,
    onChange: onSource,
  });
  const copies = createReflector({
    rest,
    spec: CONFIG_MAPS,
    logger,
    labelSelector: `${MANAGED_BY_LABEL}=ztgate`,
    onChange: options.onCopyChange,
  });

  return {
    start(): void {
      source.start();
      copies.start();
    },
    stop(): void {
      source.stop();
      copies.stop();
    },
    copyFor(namespace: string): ManagedObject | undefined {
      const found = source.get(home, name);
      if (!found) return undefined;
      const desired = buildDesiredTrustBundle(found, namespace);
      return {
        spec: CONFIG_MAPS,
        namespace,
        name,
        desired,
        cached: copies.get(namespace, name),
        isUpToDate: (existing) => isConfigMapUpToDate(existing, desired),
        replacement: (existing) => buildConfigMapReplacement(existing, desired),
      };
    },
  };
}
