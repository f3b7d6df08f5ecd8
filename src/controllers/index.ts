import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeRest, type KubeRest } from '../adapters/kube/kube-rest.js';
import type { ZtgateConfig } from '../policy/config.js';
import { buildDesiredPeerAuthentication } from '../policy/desired/index.js';
import { backgroundAuditController, type AuditStatus } from './background-audit.js';
import { defaultDenyController } from './default-deny.js';
import { meshEnrolmentController } from './mesh-enrolment.js';
import { meshInjectorController } from './mesh-injector.js';
import type { Controller } from './runtime/controller.js';
import {
  startControllers,
  type ControllersOptions,
  type RunningControllers,
} from './runtime/run-controllers.js';
import { strictMtlsController } from './strict-mtls.js';
import { trustBundleController } from './trust-bundle.js';

export { backgroundAuditController, type AuditStatus, type BackgroundAudit } from './background-audit.js';
export { defaultDenyController } from './default-deny.js';
export { meshEnrolmentController } from './mesh-enrolment.js';
export {
  INJECTOR_MISSING,
  meshInjectorController,
  MUTATING_WEBHOOK_CONFIGURATIONS,
} from './mesh-injector.js';
export { PEER_AUTHENTICATIONS, strictMtlsController } from './strict-mtls.js';
export { trustBundleController } from './trust-bundle.js';
export { registerControllerMetrics } from './metrics.js';
export type * from './runtime/controller.js';
export { metadataMarks, namespaceMarks, ownedObject, unwanted } from './runtime/intents.js';
export {
  LEADER_LEASE_NAME,
  startControllers,
  type ControllerWrite,
  type ControllersOptions,
  type RunningControllers,
} from './runtime/run-controllers.js';

/**
 * The controllers the config turns on, in the order they reconcile a namespace: the mesh
 * injector check (it writes nothing), the enrolment (the next pod is meshed), then the default
 * deny with its companions, then STRICT mTLS.
 */
export function buildControllers(config: ZtgateConfig): Controller[] {
  const injector = meshInjectorController(config);
  return [
    ...(injector === undefined ? [] : [injector]),
    ...(config.mesh.provider === 'builtin' ? [] : [meshEnrolmentController(config)]),
    ...(config.defaultDeny.create ? [defaultDenyController(config)] : []),
    // Only ztgate's own sidecar mounts the trust bundle; a mesh's proxies get theirs from the mesh.
    ...(config.mesh.provider === 'builtin' && config.sidecar.distributeTrustBundle
      ? [trustBundleController(config)]
      : []),
    // Istio providers with mesh.createStrictPeerAuthentication: the core builds a policy to keep.
    ...(buildDesiredPeerAuthentication(config, config.namespace) === undefined
      ? []
      : [strictMtlsController(config)]),
  ];
}

/** Options of ztgate's controllers in `serve`. */
export type ZtgateControllersOptions = Omit<ControllersOptions, 'rest' | 'controllers'> & {
  readonly kubeConfig: KubeConfig;
  readonly rest?: KubeRest;
};

/** The running controllers, and what the background audit's metrics read when it runs. */
export interface ZtgateControllers extends RunningControllers {
  readonly audit: AuditStatus | undefined;
}

/** Starts the controllers the config turns on (cluster mode); inert when it turns none on. */
export function startZtgateControllers(options: ZtgateControllersOptions): ZtgateControllers {
  const { config, logger } = options;
  if (!config.defaultDeny.create) {
    logger.info({}, 'defaultDeny.create is false: ztgate requires default deny but does not create it');
  }
  const audit = config.audit.background ? backgroundAuditController(config) : undefined;
  const controllers = [...buildControllers(config), ...(audit === undefined ? [] : [audit])];
  const rest = options.rest ?? createKubeRest(options.kubeConfig);
  if (options.dryRun ?? config.controllers.dryRun) {
    logger.warn(
      {},
      'controllers.dryRun: every controller write is sent with dryRun=All and persists nothing',
    );
  }
  // The audit's full pass starts on a resync: resync at least as often as it wants one.
  const resync = Math.min(options.resyncIntervalMs ?? 60_000, config.audit.intervalSeconds * 1000);
  const running = startControllers({ ...options, rest, controllers, resyncIntervalMs: resync });
  return { ...running, audit: audit?.status };
}
