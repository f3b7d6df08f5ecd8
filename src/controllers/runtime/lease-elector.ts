import { hasStatus, type KubeRest } from '../../adapters/kube/kube-rest.js';
import type { KubeLogger } from '../../adapters/kube/logger.js';

/** Options of a Lease-based leader election (coordination.k8s.io/v1, as client-go's leaderelection). */
export interface LeaseElectorOptions {
  readonly rest: KubeRest;
  readonly logger: KubeLogger;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationSeconds?: number;
  readonly renewIntervalMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly now?: () => number;
}

/** A running election. */
export interface LeaseElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the Lease so a follower takes over at once. */
  stop(): Promise<void>;
}

interface Lease {
  metadata?: { resourceVersion?: string; [key: string]: unknown };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Kubernetes MicroTime wants exactly six fractional digits. */
export function toMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Starts campaigning for the Lease at once, then every renew interval. */
export function startLeaseElector(options: LeaseElectorOptions): LeaseElector {
  const { rest, logger, identity } = options;
  const now = options.now ?? Date.now;
  const durationSeconds = options.leaseDurationSeconds ?? 15;
  const renewMs = options.renewIntervalMs ?? 5000;
  const path = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases/${options.name}`;
  let leader = false;
  let stopped = false;
  let lastRenewed = 0;
  // Expiry is judged on our own clock from when we last saw the record change (client-go does the
  // same), so clock skew between replicas cannot make a live leader look expired.
  let observed = { record: '', at: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  function setLeader(value: boolean): void {
    if (value === leader) return;
    leader = value;
    logger.info({ identity, lease: options.name }, value ? 'became leader' : 'lost leadership');
    if (value) options.onStartedLeading();
    else options.onStoppedLeading();
  }

  function spec(previous: Lease['spec'], acquired: boolean): NonNullable<Lease['spec']> {
    const time = toMicroTime(now());
    return {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: acquired ? time : (previous?.acquireTime ?? time),
      renewTime: time,
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (acquired && previous ? 1 : 0),
    };
  }

  async function tryAcquireOrRenew(): Promise<boolean> {
    let lease: Lease;
    try {
      lease = await rest.request<Lease>('GET', path);
    } catch (error) {
      if (!hasStatus(error, 404)) throw error;
      const body = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: options.name, namespace: options.namespace },
        spec: spec(undefined, true),
      };
      await rest.request('POST', path.slice(0, path.lastIndexOf('/')), { body });
      return true;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const record = `${holder}|${lease.spec?.renewTime ?? ''}`;
    if (record !== observed.record) observed = { record, at: now() };
    const duration = (lease.spec?.leaseDurationSeconds ?? durationSeconds) * 1000;
    const held = holder !== '' && holder !== identity && observed.at + duration > now();
    if (held) return false;
    const body = { ...lease, spec: spec(lease.spec, holder !== identity) };
    await rest.request('PUT', path, { body });
    return true;
  }

  async function round(): Promise<void> {
    try {
      const won = await tryAcquireOrRenew();
      if (won) lastRenewed = now();
      if (!stopped) setLeader(won);
    } catch (error) {
      // 409: another replica wrote first; it leads. Other errors: keep leading only while our lease is valid.
      if (!hasStatus(error, 409)) logger.warn({ err: String(error), identity }, 'lease renewal failed');
      if (leader && now() - lastRenewed > durationSeconds * 1000 - renewMs) setLeader(false);
    }
    if (!stopped) timer = setTimeout(() => (running = round()), leader ? renewMs : Math.min(renewMs, 2000));
  }

  running = round();
  return {
    isLeader: () => leader,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      if (!leader) return;
      setLeader(false);
      try {
        const lease = await rest.request<Lease>('GET', path);
        if (lease.spec?.holderIdentity !== identity) return;
        const released = {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: toMicroTime(now()),
        };
        await rest.request('PUT', path, { body: { ...lease, spec: released } });
      } catch (error) {
        logger.warn({ err: String(error), identity }, 'could not release the lease');
      }
    },
  };
}
