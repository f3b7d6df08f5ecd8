/** Fix builders for mesh enrolment: the namespace mark to set. */
import type { ZtgateConfig } from '../config.js';
import type { Caller } from '../types.js';
import { strictPeerAuthenticationManifest } from '../desired/strict-peer-authentication.js';
import type { NamespaceKey } from '../mesh/enrolment.js';
import { renderFix } from './render.js';

/** `kubectl label|annotate namespace <ns> key=value …` for these keys (one command per kind). */
export function namespaceCommands(
  namespace: string,
  keys: readonly NamespaceKey[],
  overwrite = false,
): string[] {
  const commands: string[] = [];
  for (const [where, verb] of [
    ['labels', 'label'],
    ['annotations', 'annotate'],
  ] as const) {
    const pairs = keys.filter((key) => key.where === where).map((key) => `${key.key}=${key.value}`);
    if (pairs.length > 0)
      commands.push(
        `kubectl ${verb} namespace ${namespace} ${pairs.join(' ')}${overwrite ? ' --overwrite' : ''}`,
      );
  }
  return commands;
}

/** The Namespace manifest carrying `keys` (what `kubectl apply` merges into the namespace). */
export function namespaceManifest(namespace: string, keys: readonly NamespaceKey[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: namespace };
  for (const where of ['labels', 'annotations'] as const) {
    const entries = keys.filter((key) => key.where === where);
    if (entries.length > 0) metadata[where] = Object.fromEntries(entries.map((key) => [key.key, key.value]));
  }
  return { apiVersion: 'v1', kind: 'Namespace', metadata };
}

/** The fix for a workload in a namespace the mesh does not enrol: the namespace's mark. */
export function buildEnrolmentFix(namespace: string, keys: readonly NamespaceKey[], lead: string): string {
  const prose = [
    lead,
    ...namespaceCommands(namespace, keys, true).map((command) => `  ${command}`),
    'or apply:',
  ];
  return renderFix(prose.join('\n'), [{ value: namespaceManifest(namespace, keys) }]);
}

/**
 * Who acts on a missing mark, for messages: ztgate's controller (enforced namespaces only: audit
 * means no enforcement), or an admin for an explicit opt-out. Only the webhook's answer says
 * "retry" (fix/who-acts.ts): check and audit are not retried.
 */
export function enrolmentWho(
  config: ZtgateConfig,
  optedOut: NamespaceKey | undefined,
  notEnforcedBecause: string | undefined,
  caller: Caller | undefined,
): string {
  if (optedOut !== undefined)
    return `it carries ${optedOut.key}=${optedOut.value}, an opt-out only a ztgate admin may set: ask an admin to remove it, or to exempt the namespace in the ztgate config`;
  if (notEnforcedBecause !== undefined)
    return `ztgate sets the mark once the namespace is enforced (it is not: ${notEnforcedBecause}); enrol it before you enforce`;
  if ((caller ?? 'webhook') === 'webhook')
    return `ztgate's controller sets the mark on every enforced namespace shortly (mesh provider ${config.mesh.provider}); retry in a few seconds`;
  return `ztgate's controller sets the mark on every namespace it enforces (mesh provider ${config.mesh.provider})`;
}

/** What a refused key needs from its fix. */
export interface OptOutFixInput {
  readonly namespace: string;
  /** The workload's top-level owner (what an exception names). */
  readonly owner: string;
  /** Dotted path of the key. */
  readonly path: string;
  readonly key: string;
  readonly value: string;
  /** Whether an admin may approve the value in `mesh.exceptions`. */
  readonly approvable: boolean;
}

/**
 * The fix for a refused label or annotation: remove it; for a capture exclusion, the exception a
 * ztgate admin would add to the ztgate config instead (never something the workload writes).
 */
export function buildOptOutFix(input: OptOutFixInput): string {
  const remove = `Remove ${input.path} (${input.key}: ${JSON.stringify(input.value)}).`;
  if (!input.approvable)
    return `${remove} Nothing on a workload takes it out of the mesh; a ztgate admin may exempt namespace "${input.namespace}" (exemptNamespaces).`;
  return renderFix(
    `${remove}\nIf the exclusion is needed, a ztgate admin approves it in the ztgate config (not on the workload):`,
    [
      {
        value: {
          mesh: {
            exceptions: [
              {
                namespace: input.namespace,
                workload: input.owner,
                annotations: { [input.key]: input.value },
              },
            ],
          },
        },
      },
    ],
  );
}

/** The fix for a workload where STRICT mTLS is not in force: the namespace's STRICT policy. */
export function buildStrictMtlsFix(namespace: string, lead: string): string {
  return renderFix(lead, [{ value: strictPeerAuthenticationManifest(namespace) }]);
}
