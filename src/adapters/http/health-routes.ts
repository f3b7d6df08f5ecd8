import type { ViewSource } from '../view-source.js';
import type { AdmissionServer } from './app.js';
import type { AdmissionMetrics } from './metrics.js';

/** GET /healthz (alive), /readyz (view loaded or synced, not stale), /metrics (Prometheus text). */
export function registerHealthRoutes(
  app: AdmissionServer,
  viewSource: ViewSource,
  metrics: AdmissionMetrics,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (viewSource.isReady()) return { status: 'ready', revision: viewSource.current()?.revision };
    const reason = viewSource.notReadyReason?.() ?? 'cluster view not synced yet';
    return reply.code(503).send({ status: 'not ready', reason });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
