import { Gauge, type Registry } from 'prom-client';
import type { RunningControllers } from './runtime/run-controllers.js';

/**
 * Registers the controllers' gauges: what audit and exempt namespaces are spared (an admin about
 * to enforce alerts on nothing, but reads how much would change), and standing conditions.
 */
export function registerControllerMetrics(registry: Registry, controllers: RunningControllers): void {
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
}
