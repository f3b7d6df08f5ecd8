import type { KubeConfig } from '@kubernetes/client-node';
import { isExemptNamespace, MANAGED_BY_LABEL, type ZtgateConfig } from '../../policy/config.js';
import type { KubeObject } from '../../policy/types.js';
import {
  buildDesiredPolicies,
  buildReplacement,
  isPolicyUpToDate,
  type DesiredPolicy,
} from './desired-policies.js';
import { createKubeRest, hasStatus, KubeApiError, type KubeRest } from './kube-rest.js';
import { startLeaseElector } from './lease-elector.js';
import type { KubeLogger } from './logger.js';
import { createReflector, type ReflectorChange } from './reflector.js';
import { CORE_RESOURCES, resourcePath } from './resources.js';

/** A write the reconciler made (tests count them; metrics may too). */
export interface ReconcilerWrite {
  readonly action: 'create' | 'replace';
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

const [NAMESPACES, , NETWORK_POLICIES] = CORE_RESOURCES as [
  (typeof CORE_RESOURCES)[number],
  (typeof CORE_RESOURCES)[number],
  (typeof CORE_RESOURCES)[number],
];

/** Writes into a namespace being deleted fail with 404 or 403 "being terminated"; neither is ours to fix. */
function isGoneNamespace(error: unknown): boolean {
  if (hasStatus(error, 404)) return true;
  return (
    error instanceof KubeApiError && error.statusCode === 403 && error.message.includes('being terminated')
  );
}

/**
 * Starts the default-deny reconciler: replicas elect a leader through a Lease, and the leader
 * ensures ztgate's default-deny (and DNS) NetworkPolicies in every non-exempt namespace, reacting
 * to namespace and policy watch events and resyncing periodically.
 */
export function startDefaultDenyReconciler(options: DefaultDenyReconcilerOptions): DefaultDenyReconciler {
  const { config, logger } = options;
  if (!config.defaultDeny.create) {
    logger.info({}, 'defaultDeny.create is false: ztgate requires default deny but does not create it');
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
  const policies = createReflector({
    rest,
    spec: NETWORK_POLICIES,
    logger,
    onChange,
    labelSelector: `${MANAGED_BY_LABEL}=ztgate`,
  });

  async function write(
    method: 'POST' | 'PUT',
    policy: KubeObject | DesiredPolicy,
    namespace: string,
  ): Promise<void> {
    const name = policy.metadata?.name ?? '';
    const path = resourcePath(NETWORK_POLICIES, namespace, method === 'PUT' ? name : undefined);
    await rest.request(method, path, { body: policy });
    const action = method === 'POST' ? 'create' : 'replace';
    logger.info({ namespace, name, action }, 'default-deny policy written');
    options.onWrite?.({ action, namespace, name });
  }

  async function ensure(desired: DesiredPolicy): Promise<void> {
    const { namespace, name } = desired.metadata;
    const cached = policies.get(namespace, name);
    if (cached && isPolicyUpToDate(cached, desired)) return;
    let existing: KubeObject | undefined;
    try {
      existing = await rest.request<KubeObject>('GET', resourcePath(NETWORK_POLICIES, namespace, name));
    } catch (error) {
      if (!hasStatus(error, 404)) throw error;
    }
    if (existing && isPolicyUpToDate(existing, desired)) return;
    try {
      if (existing) await write('PUT', buildReplacement(existing, desired), namespace);
      else await write('POST', desired, namespace);
    } catch (error) {
      // 409: someone wrote it between our read and write; the watch event brings us back to check.
      if (hasStatus(error, 409) || isGoneNamespace(error)) return;
      throw error;
    }
  }

  async function reconcile(namespace: string): Promise<void> {
    if (isExemptNamespace(config, namespace)) return;
    const object = namespaces.get('', namespace);
    const phase = (object?.['status'] as { phase?: string } | undefined)?.phase;
    if (!object || phase === 'Terminating' || object.metadata?.['deletionTimestamp']) return;
    for (const desired of buildDesiredPolicies(config.defaultDeny, namespace)) await ensure(desired);
  }

  async function drain(): Promise<void> {
    while (leading && !stopped && queue.size > 0) {
      const namespace = queue.values().next().value as string;
      queue.delete(namespace);
      try {
        await reconcile(namespace);
      } catch (error) {
        logger.warn({ namespace, err: String(error) }, 'default-deny reconcile failed; retrying');
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
  policies.start();
  const resync = setInterval(enqueueAll, options.resyncIntervalMs ?? 60_000);
  resync.unref();

  return {
    isLeader: () => elector.isLeader(),
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(resync);
      namespaces.stop();
      policies.stop();
      await draining;
      await elector.stop();
    },
  };
}
