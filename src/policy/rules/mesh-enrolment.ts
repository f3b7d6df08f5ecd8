import { isExemptNamespace } from '../config.js';
import { namespaceEnforcement } from '../desired/enforcement.js';
import { buildEnrolmentFix, enrolmentWho, namespaceCommands } from '../fix/mesh.js';
import {
  enrolmentMark,
  enrolmentOptOut,
  isEnforcedNamespace,
  isEnrolled,
  type NamespaceKey,
} from '../mesh/enrolment.js';
import { readLabels } from '../objects.js';
import type { KubeObject, Violation } from '../types.js';
import { isZtgateAdmin, whoMay } from './default-deny-protected.js';
import type { Rule } from './rule.js';

const RULE = 'mesh-enrolment';

function describeKeys(keys: readonly NamespaceKey[]): string {
  return keys
    .map((key) => `${key.where === 'labels' ? 'label' : 'annotation'} ${key.key}=${key.value}`)
    .join(', ');
}

/**
 * Pods get the mesh's proxy only in a namespace the mesh's injector selects, so a workload in an
 * enforced namespace that is not enrolled would start outside the mesh. A ztgate label on the pod
 * would not help: mutating webhooks run in name order and `istio-sidecar-injector` runs before
 * ztgate's, and reinvocation never calls a webhook its selectors skipped.
 */
export const meshEnrolmentWorkload: Rule = {
  name: RULE,
  description:
    "The workload's namespace carries the mesh's enrolment mark, so its pods get the mesh's proxy.",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, view, config, input }): readonly Violation[] {
    if (workload === undefined || config.mesh.provider === 'builtin') return [];
    const namespace = view.namespace(workload.namespace);
    const meta = { labels: namespace?.labels ?? {}, annotations: namespace?.annotations ?? {} };
    if (namespace !== undefined && isEnrolled(meta, config)) return [];
    const mark = enrolmentMark(config);
    const optedOut = namespace === undefined ? undefined : enrolmentOptOut(meta, config);
    const enforcement = namespaceEnforcement(config, workload.namespace, meta.labels);
    const enforced = enforcement.mode === 'enforce';
    const who = enrolmentWho(config, optedOut, enforced ? undefined : enforcement.reason, input.caller);
    return [
      {
        rule: RULE,
        path: 'metadata.namespace',
        value: workload.namespace,
        message:
          `namespace ${workload.namespace} is not enrolled in the ${config.mesh.provider} mesh (${describeKeys(mark)}): ` +
          `its pods would start without the mesh's proxy; ${who}`,
        fix: buildEnrolmentFix(
          workload.namespace,
          mark,
          optedOut === undefined && enforced
            ? `ztgate enrols namespace ${workload.namespace} shortly; to enrol it now:`
            : `Enrol namespace ${workload.namespace} with:`,
        ),
        // ztgate's /mutate and controller set the mark wherever it enforces, never over an opt-out.
        missing: {
          kind: 'Namespace',
          name: workload.namespace,
          ...(optedOut === undefined ? { providedByZtgate: true } : {}),
        },
      },
    ];
  },
};

function metaOf(object: KubeObject | undefined): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return {
    labels: readLabels(object?.metadata?.labels),
    annotations: readLabels(object?.metadata?.annotations),
  };
}

/**
 * Removing or weakening a namespace's enrolment takes its new pods out of the mesh, so it is
 * refused like the protected ztgate labels, by meaning: switching `istio-injection=enabled` for the
 * equivalent `istio.io/rev=default` is fine, adding `istio-injection=disabled` is not. An explicit
 * opt-out on a new namespace is refused too; a new namespace without the mark is left to /mutate
 * and the controller, which add it. Exempt and audit-mode namespaces are not enforced.
 */
export const meshEnrolmentNamespace: Rule = {
  name: RULE,
  description: "Only ztgate admins may remove or weaken a namespace's mesh enrolment mark.",
  appliesTo: 'namespace',
  operations: ['CREATE', 'UPDATE'],
  check({ input, config }): readonly Violation[] {
    const object = input.object;
    const name = object?.metadata?.name;
    if (object?.kind !== 'Namespace' || typeof name !== 'string' || config.mesh.provider === 'builtin')
      return [];
    if (isExemptNamespace(config, name) || isZtgateAdmin(input.user, config)) return [];
    const now = metaOf(object);
    if (!isEnforcedNamespace(config, name, now.labels)) return [];
    const before = input.operation === 'UPDATE' ? metaOf(input.oldObject) : undefined;
    const optOut = enrolmentOptOut(now, config);
    const newOptOut =
      optOut !== undefined && (before === undefined || enrolmentOptOut(before, config) === undefined);
    const removed = before !== undefined && isEnrolled(before, config) && !isEnrolled(now, config);
    if (!newOptOut && !removed) return [];
    const mark = enrolmentMark(config);
    const what =
      optOut === undefined
        ? `would lose its mesh enrolment (${describeKeys(mark)})`
        : `would be opted out of the mesh by ${optOut.key}=${optOut.value}`;
    const path =
      optOut === undefined
        ? `metadata.${mark[0]?.where ?? 'labels'}`
        : `metadata.${optOut.where}.${optOut.key}`;
    return [
      {
        rule: RULE,
        path,
        value: optOut?.value,
        message: `Namespace "${name}" ${what}: pods created there would start without the mesh's proxy. May do it: ${whoMay(config)}.`,
        fix:
          `Keep the namespace enrolled (${namespaceCommands(name, mark, true).join('; ')}). ` +
          `To take a namespace out of the mesh, a ztgate admin lists "${name}" in exemptNamespaces.`,
      },
    ];
  },
};
