import type { ZtgateConfig } from '../policy/config.js';
import { buildEnrolmentMarks } from '../policy/desired/index.js';
import { readLabels } from '../policy/objects.js';
import type { Controller } from './runtime/controller.js';
import { namespaceMarks } from './runtime/intents.js';

/**
 * The mesh-enrolment controller: every enforced namespace carries the configured mesh's mark
 * (Istio `istio-injection=enabled` or `istio.io/rev=<rev>`, ambient
 * `istio.io/dataplane-mode=ambient`, Linkerd's `linkerd.io/inject: enabled` annotation with a
 * default inbound policy that requires mTLS), so the mesh's injector meshes its new pods. The
 * mark lives on the namespace because the injectors select pods by their namespace's labels.
 * It is set on a Namespace someone else owns: only the named keys change, it is never removed
 * (not even when the namespace goes to audit: pods that are meshed cut no traffic by being so),
 * and an admin's explicit opt-out (`istio-injection=disabled` …) is never overwritten. The
 * runtime withholds it in audit and exempt namespaces and reports it there.
 */
export function meshEnrolmentController(config: ZtgateConfig): Controller {
  return {
    name: 'mesh-enrolment',
    // The Namespaces themselves: the runtime's namespace watch is the cache.
    owns: [],
    watches: [],
    desired(namespace) {
      const annotations = readLabels(namespace.object.metadata?.annotations);
      const marks = buildEnrolmentMarks(config, {
        name: namespace.name,
        labels: namespace.labels,
        annotations,
      });
      if (marks === undefined) return [];
      return [namespaceMarks(namespace.name, { enforcing: true, ...marks })];
    },
  };
}
