import { Option, type Command } from 'commander';
import type { Registry } from 'prom-client';
import { createLogger } from '../adapters/audit/logger.js';
import { loadConfig } from '../adapters/config/load-config.js';
import { buildApp } from '../adapters/http/app.js';
import { ensureDemoCertificates } from '../adapters/certs/demo-certs.js';
import { createPendingViewSource, onShutdownSignal } from './serve-lifecycle.js';
import { DEMO_STATE_DIR, startViewRuntime, type ViewRuntime } from './serve-runtime.js';
import { UsageError } from './usage-error.js';

/** Options of `ztgate serve`. */
export interface ServeOptions {
  readonly port: string;
  readonly host?: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly config?: string;
  readonly state?: string;
  readonly kubeconfig?: string;
  readonly demo?: boolean;
  readonly logLevel: string;
}

/** pino's levels, quietest last; `silent` drops the decision log too. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`serve: --port must be 0-65535, got ${text}`);
  return port;
}

async function serve(options: ServeOptions): Promise<void> {
  if (options.state !== undefined && options.kubeconfig !== undefined) {
    throw new UsageError('serve: use either --state or --kubeconfig, not both');
  }
  if (options.demo === true && (options.state !== undefined || options.kubeconfig !== undefined)) {
    throw new UsageError(
      'serve: --demo serves manifests/demo; it cannot be combined with --state or --kubeconfig',
    );
  }
  const port = parsePort(options.port);
  // A bad config stops start-up with a message naming the key (ConfigError → exit 2 below).
  const config = await loadConfig(options.config);
  const logger = createLogger({ level: options.logLevel });
  if (!logger.isLevelEnabled('info') && logger.isLevelEnabled('warn')) {
    // Decision lines are info: an auditor must know the trail is off, not find it empty.
    logger.warn({ level: options.logLevel }, 'the admission decision log is off at this log level');
  }
  const demoCerts = options.demo === true ? await ensureDemoCertificates() : undefined;
  if (demoCerts?.regenerated !== undefined) {
    logger.info({ caFile: demoCerts.caFile, reason: demoCerts.regenerated }, 'generated demo certificates');
  }
  const tls = demoCerts ?? { certFile: options.tlsCert, keyFile: options.tlsKey };
  const host = options.host ?? (options.demo === true ? '127.0.0.1' : '0.0.0.0');
  // Listen first, then connect: /healthz answers and /readyz says why it waits while the cluster
  // (or a slow API server) is reached; /validate denies until the view is there.
  const viewSource = createPendingViewSource();
  let view: ViewRuntime | undefined;
  let registry: Registry | undefined;
  const clusterMode = options.demo !== true && options.state === undefined;
  const app = await buildApp({
    viewSource,
    config,
    tls,
    logger,
    // The runtime (and its controllers) comes after listen; its metrics join the registry then.
    registerMetrics: (appRegistry) => (registry = appRegistry),
    ...(clusterMode ? { isLeader: () => view?.isLeader?.() ?? false } : {}),
  });
  let started!: (runtime: ViewRuntime | undefined) => void;
  const runtime = new Promise<ViewRuntime | undefined>((resolve) => (started = resolve));
  const stopped = onShutdownSignal(app, runtime, logger, config.server);
  const address = await app.listen({ host, port });
  logger.info({ address, mode: config.mode }, 'ztgate serving');
  try {
    view = await startViewRuntime(
      { state: options.demo === true ? DEMO_STATE_DIR : options.state, kubeconfig: options.kubeconfig },
      config,
      logger,
    );
    if (registry !== undefined) view.registerMetrics?.(registry);
    viewSource.attach(view.viewSource);
    started(view);
  } catch (error) {
    // A bad kubeconfig or state folder still stops start-up (exit 2 with the reason).
    started(undefined);
    await app.close();
    throw error;
  }
  if (options.demo === true) {
    logger.info(
      {
        try: `curl --cacert ${demoCerts?.caFile ?? ''} -H 'Content-Type: application/json' --data @test/fixtures/admission/storefront-deployment-review.json ${address}/validate`,
      },
      'demo ready',
    );
  }
  await stopped;
}

/** Registers `ztgate serve`: the admission webhook over HTTPS (HTTP/2 and HTTP/1.1). */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the admission webhook (POST /validate, /mutate; GET /healthz, /readyz, /metrics)')
    .option('--port <port>', 'HTTPS port', '8443')
    .option('--host <address>', 'address to listen on (default 0.0.0.0; 127.0.0.1 with --demo)')
    .option('--tls-cert <file>', 'serving certificate (PEM), reloaded when it changes', 'certs/tls.crt')
    .option('--tls-key <file>', 'serving private key (PEM), reloaded when it changes', 'certs/tls.key')
    .option('--config <file>', 'ztgate config file (YAML), validated at start-up')
    .option('--state <dir>', 'serve a folder of manifests as the cluster view')
    .option(
      '--kubeconfig <file>',
      'watch the cluster of this kubeconfig (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
    )
    .option(
      '--demo',
      'serve manifests/demo/ on https://127.0.0.1:8443 with certificates of its own in certs/demo/ (made when absent or unfit)',
    )
    .addOption(
      new Option('--log-level <level>', 'log level (above info the decision log is off)')
        .choices([...LOG_LEVELS])
        .default('info'),
    )
    .action(async (options: ServeOptions) => {
      try {
        await serve(options);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        // Start-up failures (bad config, unreadable certificate, unreachable cluster) exit 2 with the reason.
        throw new UsageError(`serve: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
}
