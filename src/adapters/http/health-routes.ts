import type { ViewSource } from '../view-source.js';
import type { AdmissionServer } from './app.js';
import type { ConnectionGuard } from './connections.js';
import type { AdmissionMetrics } from './metrics.js';

/** The /readyz reason while the process drains after SIGTERM. */
export const DRAINING_REASON = 'shutting down: draining connections';

/**
 * GET /healthz (alive), /readyz (view loaded or synced, not stale, not shutting down), /metrics
 * (Prometheus text).
 */
export function registerHealthRoutes(
  app: AdmissionServer,
  viewSource: ViewSource,
  metrics: AdmissionMetrics,
  guard: ConnectionGuard,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    // Fails first thing on SIGTERM, so the Service (or a balancer) stops sending new connections
    // while admissions on existing ones are still answered.
    if (guard.draining) return reply.code(503).send({ status: 'not ready', reason: DRAINING_REASON });
    if (viewSource.isReady()) return { status: 'ready', revision: viewSource.current()?.revision };
    const reason = viewSource.notReadyReason?.() ?? 'cluster view not synced yet';
    return reply.code(503).send({ status: 'not ready', reason });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
