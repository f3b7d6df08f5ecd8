import { isExemptNamespace, type ZtgateConfig } from '../config.js';
import type { KubeObject, UserInfo, Violation } from '../types.js';
import type { Rule } from './rule.js';

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

/**
 * Protects ztgate's namespace guardrails: the default-deny NetworkPolicy may be neither deleted nor
 * weakened, and the DNS allowance may not be deleted, except by a configured admin.
 */
export const defaultDenyProtectedRule: Rule = {
  name: 'default-deny-protected',
  description: `Only ztgate admins may delete or weaken the namespace's default-deny NetworkPolicy, or delete its DNS allowance.`,
  appliesTo: 'policy',
  operations: ['UPDATE', 'DELETE'],
  check({ input, config, policy }): readonly Violation[] {
    const old = input.oldObject;
    if (!isKubeNetworkPolicy(old)) return [];
    const name = old.metadata?.name ?? '';
    const namespace = old.metadata?.namespace ?? input.namespace ?? '';
    if (isExemptNamespace(config, namespace) || isZtgateAdmin(input.user, config)) return [];
    if (input.user?.username === NAMESPACE_CONTROLLER) return [];
    const { policyName, dns } = config.defaultDeny;
    const keep = `Keep it and add allow-list policies for the flows you need; an admin may also exempt namespace "${namespace}" in the ztgate config.`;
    if (name === policyName && input.operation === 'DELETE') {
      const message = `Deleting NetworkPolicy "${name}" in namespace "${namespace}" removes its default deny: every flow no policy allows would be admitted.`;
      return [violation('metadata.name', name, message, keep, config)];
    }
    if (name === policyName && input.operation === 'UPDATE' && input.object !== undefined) {
      // The engine normalizes every NetworkPolicy it judges; one it could not read is no deny.
      const stillDenies = policy?.isDefaultDeny === true;
      if (stillDenies) return [];
      const message = `This change makes NetworkPolicy "${name}" in namespace "${namespace}" stop denying all ingress and egress (it must keep podSelector: {}, policyTypes [Ingress, Egress] and no rules).`;
      return [violation('spec', name, message, `Revert the change. ${keep}`, config)];
    }
    if (dns.enabled && name === dns.policyName && input.operation === 'DELETE') {
      const message = `Deleting NetworkPolicy "${name}" in namespace "${namespace}" cuts every pod off from DNS under the default deny; ztgate protects it from deletion like "${policyName}".`;
      return [
        violation(
          'metadata.name',
          name,
          message,
          `Keep it; to allow other flows add your own policies.`,
          config,
        ),
      ];
    }
    return [];
  },
};
