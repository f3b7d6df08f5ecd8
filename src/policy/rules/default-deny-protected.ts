import { isExemptNamespace, type ZtgateConfig } from '../config.js';
import { buildDesiredPolicies, type DesiredPolicy } from '../desired/index.js';
import { renderFix } from '../fix/render.js';
import { isNetworkPolicyWithin } from '../net/network-policy-containment.js';
import { isRecord } from '../objects.js';
import type { KubeObject, UserInfo, Violation } from '../types.js';
import type { Rule, RuleContext } from './rule.js';
import { quoteValue } from '../message-text.js';

/**
 * The namespace controller deletes every object of a terminating namespace; refusing it would
 * leave the namespace stuck in Terminating forever.
 */
const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';

function isKubeNetworkPolicy(object: KubeObject | undefined): object is KubeObject {
  // Calico also has a kind NetworkPolicy (projectcalico.org); only the Kubernetes one is ours.
  return object?.kind === 'NetworkPolicy' && (object.apiVersion ?? '').startsWith('networking.k8s.io/');
}

/** Whether the requester may weaken or delete ztgate's policies: a configured admin group or user. */
export function isZtgateAdmin(user: UserInfo | undefined, config: ZtgateConfig): boolean {
  if (user === undefined) return false;
  if (user.username !== undefined && config.admins.users.includes(user.username)) return true;
  return (user.groups ?? []).some((group) => config.admins.groups.includes(group));
}

/** Who may do what ztgate reserves for its admins, in words for a denial message. */
export function whoMay(config: ZtgateConfig): string {
  const { groups, users } = config.admins;
  const parts = [
    ...(groups.length > 0 ? [`members of group(s) ${groups.join(', ')}`] : []),
    ...(users.length > 0 ? [`user(s) ${users.join(', ')}`] : []),
  ];
  if (parts.length === 0) return 'no one: the ztgate config lists no admins (admins.groups, admins.users)';
  return `only ${parts.join(' or ')} (ztgate config admins)`;
}

function violation(
  path: string,
  name: string,
  message: string,
  fix: string,
  config: ZtgateConfig,
): Violation {
  return {
    rule: 'default-deny-protected',
    path,
    value: name,
    message: `${message} May do it: ${whoMay(config)}.`,
    fix,
  };
}

/** The default deny itself: neither deleted nor made to stop denying. */
function checkDefaultDeny(context: RuleContext, name: string, namespace: string): Violation[] {
  const { input, config, policy } = context;
  const keep = `Keep it and add allow-list policies for the flows you need; an admin may also exempt namespace ${quoteValue(namespace)} in the ztgate config.`;
  if (input.operation === 'DELETE') {
    const message = `Deleting NetworkPolicy ${quoteValue(name)} in namespace ${quoteValue(namespace)} removes its default deny: every flow no policy allows would be admitted.`;
    return [violation('metadata.name', name, message, keep, config)];
  }
  // The engine normalizes every NetworkPolicy it judges; one it could not read is no deny.
  if (input.object === undefined || policy?.isDefaultDeny === true) return [];
  const verb = input.operation === 'CREATE' ? 'Creating' : 'This change makes';
  const message = `${verb} NetworkPolicy ${quoteValue(name)} in namespace ${quoteValue(namespace)} ${input.operation === 'CREATE' ? 'with something other than a deny-all' : 'stop denying all ingress and egress'} (it must keep podSelector: {}, policyTypes [Ingress, Egress] and no rules).`;
  return [violation('spec', name, message, `Revert the change. ${keep}`, config)];
}

function restoreFix(desired: DesiredPolicy, prose: string): string {
  return renderFix(prose, [{ value: desired }]);
}

/**
 * A companion (the DNS allowance, the mesh companion ztgate-allow-mesh): neither deleted, nor changed to let more through than ztgate's
 * own version — judged by effect, so narrowing it or relabelling it is anyone's to do.
 */
function checkCompanion(context: RuleContext, desired: DesiredPolicy, namespace: string): Violation[] {
  const { input, config } = context;
  const name = desired.metadata.name;
  const policyName = config.defaultDeny.policyName;
  if (input.operation === 'DELETE') {
    const message = `Deleting NetworkPolicy ${quoteValue(name)} in namespace ${quoteValue(namespace)} cuts every pod off from what it allows under the default deny; ztgate protects it like ${quoteValue(policyName)}.`;
    return [
      violation(
        'metadata.name',
        name,
        message,
        'Keep it; to allow other flows add your own policies.',
        config,
      ),
    ];
  }
  const spec = isRecord(input.object?.spec) ? input.object.spec : {};
  const verdict = isNetworkPolicyWithin(spec, desired.spec, namespace);
  if (verdict.within) return [];
  const message = `NetworkPolicy ${quoteValue(name)} in namespace ${quoteValue(namespace)} is ztgate's; ${verdict.reason}, so it would let more through than ztgate's version. Anyone may narrow it; only admins may widen it.`;
  const fix = restoreFix(
    desired,
    `Keep ztgate's version (below) and put the flows you need in a policy of your own:`,
  );
  return [violation(verdict.path, name, message, fix, config)];
}

/**
 * Protects ztgate's namespace guardrails: the default-deny NetworkPolicy may be neither deleted nor
 * weakened, and its companions (the DNS allowance, the mesh companion) neither deleted nor widened, except by an admin.
 */
export const defaultDenyProtectedRule: Rule = {
  name: 'default-deny-protected',
  description: `Only ztgate admins may delete or weaken the namespace's default-deny NetworkPolicy, or delete or widen its companions (the DNS allowance, the mesh companion).`,
  appliesTo: 'policy',
  operations: ['CREATE', 'UPDATE', 'DELETE'],
  check(context): readonly Violation[] {
    const { input, config } = context;
    const subject = input.operation === 'CREATE' ? input.object : input.oldObject;
    if (!isKubeNetworkPolicy(subject)) return [];
    const name = subject.metadata?.name ?? '';
    const namespace = subject.metadata?.namespace ?? input.namespace ?? '';
    if (isExemptNamespace(config, namespace) || isZtgateAdmin(input.user, config)) return [];
    if (input.user?.username === NAMESPACE_CONTROLLER) return [];
    if (name === config.defaultDeny.policyName) return checkDefaultDeny(context, name, namespace);
    // Companions: ztgate's other policies, from the builder the default-deny controller writes from.
    const companion = buildDesiredPolicies(config, namespace).find(
      (desired) => desired.metadata.name === name && name !== config.defaultDeny.policyName,
    );
    return companion === undefined ? [] : checkCompanion(context, companion, namespace);
  },
};
