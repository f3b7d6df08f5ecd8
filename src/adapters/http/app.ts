import { answerClientError } from './client-error.js';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ZtgateConfig } from '../../policy/config.js';
import { evaluate } from '../../policy/engine.js';
import { buildSidecarPatch } from '../../policy/sidecar/index.js';
import { flushLogger } from '../audit/logger.js';
import type { ViewSource } from '../view-source.js';
import { handleMutate } from './handle-mutate.js';
import { handleValidate } from './handle-validate.js';
import type { AdmissionDeps } from './handler-common.js';
import { BODY_LIMIT_BYTES, registerBodyHandling } from './body-handling.js';
import { guardConnections, serverLimits, type ConnectionGuard, type ServerLimits } from './connections.js';
import { registerHealthRoutes } from './health-routes.js';
import { lazyChildLogger } from './lazy-child-logger.js';
import { createMetrics } from './metrics.js';
import { REVIEW_RESPONSE_SCHEMA } from './review-schema.js';
import { patchedReviewText, REVIEW_CONTENT_TYPE } from './review-text.js';
import { loadTlsPair, type TlsFiles, type TlsPair } from './tls-pair.js';
import { startTlsReloader, type TlsReloader } from './tls-reloader.js';

/** The Fastify instance ztgate serves: HTTP/2 over TLS with HTTP/1.1 fallback. */
export type AdmissionServer = FastifyInstance<
  Http2SecureServer,
  Http2ServerRequest,
  Http2ServerResponse,
  FastifyBaseLogger
>;

export { BODY_LIMIT_BYTES } from './body-handling.js';

const reloaders = new WeakMap<AdmissionServer, TlsReloader>();
const guards = new WeakMap<AdmissionServer, ConnectionGuard>();

/** The certificate watcher of an app (tests and `serve` use it to force a check). */
export function tlsReloaderOf(app: AdmissionServer): TlsReloader | undefined {
  return reloaders.get(app);
}

/** The connection guard of an app: drain and close on shutdown (`serve`), counts (tests). */
export function connectionGuardOf(app: AdmissionServer): ConnectionGuard {
  const guard = guards.get(app);
  if (guard === undefined) throw new Error('not an app built by buildApp');
  return guard;
}

/** Options of the admission server. */
export interface BuildAppOptions {
  readonly viewSource: ViewSource;
  readonly config: ZtgateConfig;
  readonly tls: TlsFiles;
  readonly logger: Logger;
  /** Whether this replica leads (cluster mode): exported as ztgate_leader. */
  readonly isLeader?: () => boolean;
  /** Certificate poll interval (ms); fs events usually win. */
  readonly tlsPollIntervalMs?: number;
  /** Adds metrics of other parts of the server (the controllers) to /metrics. */
  readonly registerMetrics?: (registry: Registry) => void;
  /** Timeouts and the connection cap; from `config.server` when omitted (tests shorten them). */
  readonly limits?: ServerLimits;
  /** Test seams: replace the engine or the patch builder. */
  readonly evaluate?: AdmissionDeps['evaluate'];
  readonly buildPatch?: AdmissionDeps['buildPatch'];
}

function secureContextOptions(pair: TlsPair): { key: string; cert: string; minVersion: 'TLSv1.2' } {
  return { key: pair.key, cert: pair.cert, minVersion: 'TLSv1.2' };
}

/** Grace past the idle limit for the socket-level timeout, so an idle HTTP/2 session is closed (GOAWAY) first. */
const SOCKET_IDLE_GRACE_MS = 1000;

/**
 * Builds the webhook server: POST /validate and /mutate, GET /healthz, /readyz and /metrics, and
 * a watcher that swaps in a renewed certificate without dropping connections. Not yet listening.
 */
export async function buildApp(options: BuildAppOptions): Promise<AdmissionServer> {
  const initial = await loadTlsPair(options.tls);
  const limits = options.limits ?? serverLimits(options.config.server);
  const app = fastify({
    http2: true,
    // allowHTTP1: curl and older clients; the kube-apiserver negotiates h2 through ALPN. A TLS
    // handshake gets the request timeout (Node's default, 120 s, let a silent client pin a socket).
    https: {
      allowHTTP1: true,
      handshakeTimeout: limits.requestTimeoutMs,
      // Node refuses new streams (ENHANCE_YOUR_CALM) once a session buffers 10 MB, its default:
      // three 3 MiB reviews in flight on the API server's one connection. Room for ten, and no
      // more streams at once than Go's server allows.
      maxSessionMemory: 32,
      settings: { maxConcurrentStreams: 250 },
      ...secureContextOptions(initial),
    },
    loggerInstance: options.logger as FastifyBaseLogger,
    // The decision log is the request log; one line per admission, not three.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is made when a request first logs: an answered request logs nothing through it.
    childLoggerFactory: lazyChildLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    http2SessionTimeout: limits.idleTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs + SOCKET_IDLE_GRACE_MS,
    // Requests still arriving while the server closes are answered, never 503: the API server
    // counts a 503 as a failed webhook call. The drain (connections.ts) sends clients away first.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
  }) as unknown as AdmissionServer;
  const guard = guardConnections(app.server, limits);
  guards.set(app, guard);

  const metrics = createMetrics({
    viewStats: () => options.viewSource.stats?.(),
    isLeader: options.isLeader,
  });
  metrics.setCertificateExpiry(initial.notAfterMs);
  options.registerMetrics?.(metrics.registry);
  const deps: AdmissionDeps = {
    viewSource: options.viewSource,
    config: options.config,
    logger: options.logger,
    metrics,
    evaluate: options.evaluate ?? evaluate,
    buildPatch: options.buildPatch ?? buildSidecarPatch,
  };

  registerBodyHandling(app, metrics);
  const schema = { response: { 200: REVIEW_RESPONSE_SCHEMA } };
  app.post('/validate', { schema }, (request) => handleValidate(deps, request.body));
  app.post('/mutate', { schema }, async (request, reply) => {
    const review = await handleMutate(deps, request.body);
    const text = patchedReviewText(review);
    return text === undefined ? review : reply.type(REVIEW_CONTENT_TYPE).send(text);
  });
  registerHealthRoutes(app, options.viewSource, metrics, guard);

  const reloader = startTlsReloader({
    files: options.tls,
    initial,
    pollIntervalMs: options.tlsPollIntervalMs,
    apply(pair) {
      // New handshakes get the new pair; established connections keep theirs.
      app.server.setSecureContext(secureContextOptions(pair));
      metrics.setCertificateExpiry(pair.notAfterMs);
      options.logger.info(
        { fingerprint: pair.fingerprint, notAfter: new Date(pair.notAfterMs).toISOString() },
        'serving certificate reloaded',
      );
    },
    onError(error) {
      options.logger.error({ err: error }, 'serving certificate not reloaded; keeping the current one');
    },
  });
  reloaders.set(app, reloader);
  app.addHook('onClose', async () => {
    reloader.close();
    // Decision lines are written in batches; none may be lost when the server goes away.
    await flushLogger(options.logger);
  });
  return app;
}
