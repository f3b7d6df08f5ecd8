import type { Logger } from 'pino';
import { closeLogger } from '../adapters/audit/logger.js';
import { connectionGuardOf, type AdmissionServer } from '../adapters/http/app.js';
import type { ViewSource } from '../adapters/view-source.js';
import type { ClusterView, MissingRef } from '../policy/types.js';
import type { ServerConfig } from '../policy/config.js';

/** What `serve` stops last: the view source, watches and the reconciler. */
export interface StoppableRuntime {
  stop(): Promise<void>;
}

/** A view source that answers "starting" until the real one is attached. */
export interface PendingViewSource extends ViewSource {
  attach(source: ViewSource): void;
}

/**
 * The server listens before the cluster view exists: an API server that accepts TCP and never
 * answers used to keep ztgate from listening for 31 s, long enough for the liveness probe to kill
 * it. Until the real source is attached, /healthz answers, /readyz says why it is not ready, and
 * /validate denies as for a view not synced yet.
 */
export function createPendingViewSource(reason = 'starting: connecting to the cluster'): PendingViewSource {
  let source: ViewSource | undefined;
  return {
    current: () => source?.current(),
    isReady: () => source?.isReady() ?? false,
    notReadyReason: () => (source === undefined ? reason : (source.notReadyReason?.() ?? 'not ready')),
    confirm(missing: readonly MissingRef[], namespace: string): Promise<ClusterView> {
      const view = source?.current();
      if (source?.confirm !== undefined) return source.confirm(missing, namespace);
      return view === undefined
        ? Promise.reject(new Error('cluster view not synced yet'))
        : Promise.resolve(view);
    },
    stats: () => source?.stats?.() ?? { syncedAtMs: undefined, objects: [], relists: [] },
    start: async () => undefined,
    close: async () => source?.close(),
    attach(attached) {
      source = attached;
    },
  };
}

/** The timings of a graceful shutdown, in milliseconds. */
export interface ShutdownTimings {
  /** /readyz fails, admissions are still answered, for this long. */
  readonly drainDelayMs: number;
  /** After the drain, connections get this long to finish before they are destroyed. */
  readonly closeDeadlineMs: number;
  /** The view runtime (lease release) gets this long to stop. */
  readonly stopDeadlineMs: number;
}

/** Timings from the config: in-flight requests can last the request timeout, plus a margin. */
export function shutdownTimings(server: ServerConfig): ShutdownTimings {
  return {
    drainDelayMs: server.drainDelaySeconds * 1000,
    closeDeadlineMs: server.requestTimeoutSeconds * 1000 + 2000,
    stopDeadlineMs: 3000,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when `work` finished within `ms`, false when the time ran out first. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = work.then(
    () => true as const,
    () => true as const,
  );
  const finished = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return finished;
}

/**
 * The shutdown `serve` runs on SIGTERM, in the order a webhook behind a Service needs:
 * 1. /readyz fails at once, so endpoints (or a balancer's health check) stop routing here;
 * 2. admissions are answered normally for the drain delay, while that propagates (the API server
 *    keeps one HTTP/2 connection per endpoint and counts a 503 as a failed call);
 * 3. the listener closes, every HTTP/2 session gets a GOAWAY and idle HTTP/1.1 keep-alives close;
 *    in-flight requests finish (destroyed only at the close deadline);
 * 4. watches and the lease stop, the log is flushed. The whole is well inside the 30 s default
 *    terminationGracePeriodSeconds with the default config (5 s + at most 12 s + 3 s).
 */
export async function shutDownGracefully(
  app: AdmissionServer,
  runtime: Promise<StoppableRuntime | undefined>,
  logger: Logger,
  timings: ShutdownTimings,
): Promise<void> {
  const guard = connectionGuardOf(app);
  guard.beginDrain();
  logger.info(
    { drainDelayMs: timings.drainDelayMs, ...guard.counts() },
    'shutting down: /readyz fails; admissions still answered during the drain delay',
  );
  await sleep(timings.drainDelayMs);
  const closed = app.close();
  guard.closeConnections();
  logger.info({ ...guard.counts() }, 'drain over: listener closed, GOAWAY sent, idle connections closed');
  if (!(await within(closed, timings.closeDeadlineMs))) {
    logger.warn({ ...guard.counts() }, 'connections still open at the close deadline; destroying them');
    guard.destroyAll();
    await closed.catch(() => undefined);
  }
  try {
    const stopping = (await runtime)?.stop() ?? Promise.resolve();
    if (!(await within(stopping, timings.stopDeadlineMs))) logger.warn({}, 'watches did not stop in time');
  } catch (error) {
    logger.error({ err: error }, 'error while shutting down');
  }
  // Last: every decision line (and the shutdown lines above) written before the exit.
  await closeLogger(logger);
}

/**
 * Runs shutDownGracefully on the first SIGTERM or SIGINT (a second one kills the process at
 * once, Node's default) and resolves when it is done, exit code 0. A socket or timer still open
 * after that (a watch being torn down) cannot hold the exit for more than a second.
 */
export function onShutdownSignal(
  app: AdmissionServer,
  runtime: Promise<StoppableRuntime | undefined>,
  logger: Logger,
  server: ServerConfig,
): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      logger.info({ signal }, 'signal received');
      void shutDownGracefully(app, runtime, logger, shutdownTimings(server)).finally(() => {
        process.exitCode = 0;
        setTimeout(() => process.exit(), 1000).unref();
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
