import { Gauge, type Registry } from 'prom-client';
import type { AuditStatus } from './background-audit.js';
import type { ZtgateConfig } from '../policy/config.js';
import { INJECTOR_MISSING } from './mesh-injector.js';
import type { RunningControllers } from './runtime/run-controllers.js';

/**
 * Registers the controllers' gauges: what audit and exempt namespaces are spared (an admin about
 * to enforce alerts on nothing, but reads how much would change), and standing conditions.
 */
export function registerControllerMetrics(
  registry: Registry,
  controllers: RunningControllers & { readonly audit?: AuditStatus | undefined },
  config: ZtgateConfig,
): void {
  registerMeshInjectorMetric(registry, controllers, config);
  new Gauge({
    name: 'ztgate_controller_withheld_objects',
    help: 'Enforcing objects the leader withholds from namespaces in audit mode or exempt by label, by controller.',
    labelNames: ['controller'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [controller, count] of controllers.withheldCounts()) this.set({ controller }, count);
    },
  });
  new Gauge({
    name: 'ztgate_controller_condition',
    help: 'Standing controller conditions (1 while present), e.g. trust-bundle/source-missing.',
    labelNames: ['controller', 'condition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of controllers.activeConditions()) {
        const [controller = '', condition = ''] = entry.split('/');
        this.set({ controller, condition }, 1);
      }
    },
  });
  const { audit } = controllers;
  if (audit !== undefined) registerAuditMetrics(registry, audit, () => controllers.isLeader());
}

/** The background audit's gauges; a replica that does not lead audits nothing and exports none. */
function registerAuditMetrics(registry: Registry, audit: AuditStatus, isLeader: () => boolean): void {
  new Gauge({
    name: 'ztgate_audit_findings',
    help: 'Findings of the background audit (what admission would refuse today), by namespace ("" for cluster-scoped policies) and rule.',
    labelNames: ['namespace', 'rule'],
    registers: [registry],
    collect() {
      this.reset();
      if (!isLeader()) return;
      for (const { namespace, rule, count } of audit.findings()) this.set({ namespace, rule }, count);
    },
  });
  new Gauge({
    name: 'ztgate_audit_last_full_pass_timestamp_seconds',
    help: 'When the background audit last finished judging every namespace (Unix time).',
    registers: [registry],
    collect() {
      this.reset();
      const last = audit.lastFullPass();
      if (isLeader() && last !== undefined) this.set(last.endedAt / 1000);
    },
  });
  new Gauge({
    name: 'ztgate_audit_full_pass_duration_seconds',
    help: 'How long the last full pass of the background audit took, from its start to its last namespace.',
    registers: [registry],
    collect() {
      this.reset();
      const last = audit.lastFullPass();
      if (isLeader() && last !== undefined) this.set(last.durationSeconds);
    },
  });
}

/**
 * `ztgate_mesh_injector_present{provider}`: 1 while the configured mesh's injector is installed
 * and selects enrolled namespaces, 0 while it does not (every new pod of an enforced namespace
 * is then refused). Judged on every replica from its own watches; no sample until they have
 * listed, and none under the builtin injector.
 */
function registerMeshInjectorMetric(
  registry: Registry,
  controllers: RunningControllers,
  config: ZtgateConfig,
) {
  new Gauge({
    name: 'ztgate_mesh_injector_present',
    help: "1 while the configured mesh's injector (Istio, Linkerd: its MutatingWebhookConfiguration; ambient: ztunnel) is installed and selects enrolled namespaces, else 0.",
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      const conditions = controllers.currentConditions('mesh-injector');
      if (conditions === undefined) return;
      const missing = conditions.some((condition) => condition.key === INJECTOR_MISSING);
      this.set({ provider: config.mesh.provider }, missing ? 0 : 1);
    },
  });
}
