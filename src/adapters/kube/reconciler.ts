import type { KubeConfig } from '@kubernetes/client-node';
import { isExemptNamespace, MANAGED_BY_LABEL, type ZtgateConfig } from '../../policy/config.js';
import {
  buildDesiredPolicies,
  buildReplacement,
  isPolicyUpToDate,
  type DesiredPolicy,
} from './desired-policies.js';
import { ensureObject, type ManagedObject } from './ensure-object.js';
import { createKubeRest, type KubeRest } from './kube-rest.js';
import { startLeaseElector } from './lease-elector.js';
import type { KubeLogger } from './logger.js';
import { createReflector, type Reflector, type ReflectorChange } from './reflector.js';
import { coreResource } from './resources.js';
import { createTrustBundleSync } from './trust-bundle-sync.js';

/** A write the reconciler made (tests count them; metrics may too). */
export interface ReconcilerWrite {
  readonly action: 'create' | 'replace';
  /** NetworkPolicy or ConfigMap. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Options of the default-deny reconciler. */
export interface DefaultDenyReconcilerOptions {
  readonly kubeConfig: KubeConfig;
  readonly config: ZtgateConfig;
  readonly logger: KubeLogger;
  /** This replica's name in the Lease (pod name in a cluster). */
  readonly identity: string;
  readonly rest?: KubeRest;
  /** Full pass over every namespace this often while leading (default 60 s). */
  readonly resyncIntervalMs?: number;
  readonly leaseDurationSeconds?: number;
  readonly renewIntervalMs?: number;
  readonly onWrite?: (write: ReconcilerWrite) => void;
}

/** A running reconciler. */
export interface DefaultDenyReconciler {
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** The Lease the replicas compete for. */
export const LEADER_LEASE_NAME = 'ztgate-leader';

const NAMESPACES = coreResource('Namespace');
const NETWORK_POLICIES = coreResource('NetworkPolicy');

/** A NetworkPolicy to keep, with the watch cache's copy. */
function policyObject(desired: DesiredPolicy, cache: Reflector): ManagedObject {
  const { namespace, name } = desired.metadata;
  return {
    spec: NETWORK_POLICIES,
    namespace,
    name,
    desired,
    cached: cache.get(namespace, name),
    isUpToDate: (existing) => isPolicyUpToDate(existing, desired),
    replacement: (existing) => buildReplacement(existing, desired),
  };
}

/**
 * Starts the default-deny reconciler: replicas elect a leader through a Lease, and the leader
 * ensures ztgate's default-deny (and DNS) NetworkPolicies and a copy of the mTLS trust bundle
 * ConfigMap in every non-exempt namespace, reacting to watch events and resyncing periodically.
 */
export function startDefaultDenyReconciler(options: DefaultDenyReconcilerOptions): DefaultDenyReconciler {
  const { config, logger } = options;
  const createPolicies = config.defaultDeny.create;
  if (!createPolicies) {
    logger.info({}, 'defaultDeny.create is false: ztgate requires default deny but does not create it');
  }
  if (!createPolicies && !config.sidecar.distributeTrustBundle) {
    return { isLeader: () => false, stop: async () => undefined };
  }
  const rest = options.rest ?? createKubeRest(options.kubeConfig);
  const queue = new Set<string>();
  let leading = false;
  let stopped = false;
  let draining: Promise<void> | undefined;

  const enqueueAll = (): void => {
    for (const object of namespaces.objects()) if (object.metadata?.name) queue.add(object.metadata.name);
    kick();
  };
  const onChange = (change: ReflectorChange): void => {
    if (change.type === 'RELISTED') return enqueueAll();
    const object = change.object;
    const name = object.kind === 'Namespace' ? object.metadata?.name : object.metadata?.namespace;
    if (name) queue.add(name);
    kick();
  };
  const namespaces = createReflector({ rest, spec: NAMESPACES, logger, onChange });
  const policies = createPolicies
    ? createReflector({
        rest,
        spec: NETWORK_POLICIES,
        logger,
        onChange,
        labelSelector: `${MANAGED_BY_LABEL}=ztgate`,
      })
    : undefined;
  const trustBundle = config.sidecar.distributeTrustBundle
    ? createTrustBundleSync({ rest, config, logger, onCopyChange: onChange, onSourceChange: enqueueAll })
    : undefined;

  /** Policies first: a trust bundle that cannot be written must not hold back default deny. */
  function managedObjects(namespace: string): ManagedObject[] {
    const objects = policies
      ? buildDesiredPolicies(config.defaultDeny, namespace).map((desired) => policyObject(desired, policies))
      : [];
    const copy = trustBundle?.copyFor(namespace);
    return copy ? [...objects, copy] : objects;
  }

  async function reconcile(namespace: string): Promise<void> {
    if (isExemptNamespace(config, namespace)) return;
    const object = namespaces.get('', namespace);
    const phase = (object?.['status'] as { phase?: string } | undefined)?.phase;
    if (!object || phase === 'Terminating' || object.metadata?.['deletionTimestamp']) return;
    for (const managed of managedObjects(namespace)) {
      const action = await ensureObject(rest, managed);
      if (action === undefined) continue;
      const write = {
        action,
        kind: managed.spec.kind,
        namespace,
        name: managed.name,
      };
      logger.info(write, 'reconciler wrote a managed object');
      options.onWrite?.(write);
    }
  }

  async function drain(): Promise<void> {
    while (leading && !stopped && queue.size > 0) {
      const namespace = queue.values().next().value as string;
      queue.delete(namespace);
      try {
        await reconcile(namespace);
      } catch (error) {
        logger.warn({ namespace, err: String(error) }, 'namespace reconcile failed; retrying');
        setTimeout(() => {
          queue.add(namespace);
          kick();
        }, 2000).unref();
      }
    }
    draining = undefined;
  }

  function kick(): void {
    if (leading && !stopped) draining ??= drain();
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
      leading = true;
      enqueueAll();
    },
    onStoppedLeading: () => {
      leading = false;
    },
  });
  namespaces.start();
  policies?.start();
  trustBundle?.start();
  const resync = setInterval(enqueueAll, options.resyncIntervalMs ?? 60_000);
  resync.unref();

  return {
    isLeader: () => elector.isLeader(),
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(resync);
      namespaces.stop();
      policies?.stop();
      trustBundle?.stop();
      await draining;
      await elector.stop();
    },
  };
}
