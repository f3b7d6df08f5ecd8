import { buildDefaultDenyFix } from '../fix/index.js';
import { namespaceEnforcement } from '../desired/enforcement.js';
import { ztgateCreatesClause } from '../fix/who-acts.js';
import type { ZtgateConfig } from '../config.js';
import type { Caller, ClusterView, Violation, Workload } from '../types.js';
import { namespaceLabelsFor } from '../workload.js';
import type { Rule } from './rule.js';
import { showText } from '../message-text.js';

const RULE = 'namespace-default-deny';

/**
 * Per frozen view, the answer for each namespace asked about: it depends on the view's policies and
 * namespace labels only, and every /validate request of a workload asked it afresh. A view is
 * long-lived (one per watch snapshot), so keying a WeakMap by it holds no per-request object.
 */
const defaultDenyByView = new WeakMap<ClusterView, Map<string, boolean>>();

/** Whether a policy in force denies all ingress and egress for every pod of the namespace. */
export function hasDefaultDeny(namespace: string, view: ClusterView): boolean {
  // A view that is not frozen could change under the cache: it is judged afresh every time. Only
  // namespaces the view holds are kept, so the cache is bounded by the cluster, not by the names
  // whoever reaches the webhook port writes into request bodies.
  if (!Object.isFrozen(view) || view.namespace(namespace) === undefined)
    return findDefaultDeny(namespace, view);
  let byNamespace = defaultDenyByView.get(view);
  if (byNamespace === undefined) defaultDenyByView.set(view, (byNamespace = new Map()));
  let found = byNamespace.get(namespace);
  if (found === undefined) byNamespace.set(namespace, (found = findDefaultDeny(namespace, view)));
  return found;
}

function findDefaultDeny(namespace: string, view: ClusterView): boolean {
  const labels = namespaceLabelsFor(view, namespace);
  return view
    .policiesFor(namespace)
    .some((policy) => policy.isDefaultDeny && policy.coversNamespace(namespace, labels));
}

function checkWorkload(
  workload: Workload,
  view: ClusterView,
  config: ZtgateConfig,
  caller: Caller | undefined,
): Violation[] {
  const namespace = workload.namespace;
  if (hasDefaultDeny(namespace, view)) return [];
  // Say who acts: with defaultDeny.create the reconciler adds it within seconds (a retry passes).
  const create = config.defaultDeny.create;
  const enforcement = namespaceEnforcement(config, namespace, namespaceLabelsFor(view, namespace));
  const pending = enforcement.mode === 'enforce' ? undefined : enforcement.reason;
  const who = create
    ? ztgateCreatesClause(config.defaultDeny.policyName, namespace, caller, pending)
    : 'an administrator must create one (ztgate does not: defaultDeny.create is false)';
  return [
    {
      rule: RULE,
      path: 'metadata.namespace',
      message: `namespace ${showText(namespace)} has no default deny for ingress and egress; ${who}`,
      value: namespace,
      fix: buildDefaultDenyFix(namespace, config),
      missing: {
        kind: 'Policy',
        namespace,
        name: config.defaultDeny.policyName,
        ...(create ? { providedByZtgate: true } : {}),
      },
    },
  ];
}

/** Rule 4: the workload's namespace starts from deny-all in both directions. */
export const namespaceDefaultDeny: Rule = {
  name: RULE,
  description: 'The workload’s namespace has a default deny for ingress and egress.',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check: (context) =>
    context.workload === undefined
      ? []
      : checkWorkload(context.workload, context.view, context.config, context.input.caller),
};
