/**
 * How `check` treats Namespaces given with -f and the namespace labels that switch ztgate off. The
 * webhook judges a Namespace (rule protected-namespace-labels) before it exists, and a refused one
 * is never created or relabelled: so a Namespace `check` refuses does not join the view, and its
 * `ztgate.dev/mode=audit` or `ztgate.dev/exempt=true` cannot soften the verdicts of the workloads
 * in the same change. `check` has no user: it judges as a developer (no ztgate admin) unless
 * `--as-admin` says the change is applied by an admin of the config.
 */
import { EXEMPT_LABEL, type ZtgateConfig } from '../policy/config.js';
import type { ClusterView, Decision, KubeObject, UserInfo } from '../policy/types.js';

/** Whether the object is a core v1 Namespace (what the namespaces webhook judges). */
export function isNamespaceObject(object: KubeObject): boolean {
  return object.kind === 'Namespace' && object.apiVersion === 'v1';
}

/** The requester `check` judges as: nobody in particular (a developer), or an admin of `config`. */
export function checkUser(config: ZtgateConfig, asAdmin: boolean): UserInfo | undefined {
  if (!asAdmin) return undefined;
  const { users, groups } = config.admins;
  return { username: users[0] ?? 'ztgate-check', groups: [...groups] };
}

/** Whether `--as-admin` can mean anything: the config names at least one admin. */
export function configHasAdmins(config: ZtgateConfig): boolean {
  return config.admins.users.length > 0 || config.admins.groups.length > 0;
}

/**
 * The decision for an object in a namespace the webhooks skip: `ztgate.dev/exempt=true` takes the
 * namespace out of their namespaceSelector, so the API server never asks ztgate (as in the cluster).
 */
export function exemptByLabel(view: ClusterView, namespace: string | undefined): Decision | undefined {
  if (namespace === undefined || view.namespace(namespace)?.labels[EXEMPT_LABEL] !== 'true') return undefined;
  const note = `not judged: namespace "${namespace}" is labelled ${EXEMPT_LABEL}=true, so the webhooks skip it`;
  return { allowed: true, skipped: true, mode: 'enforce', violations: [], warnings: [note] };
}
