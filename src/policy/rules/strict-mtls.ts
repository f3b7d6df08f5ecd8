import { isExemptNamespace } from '../config.js';
import { buildStrictMtlsFix, namespaceCommands } from '../fix/mesh.js';
import { isEnforcedNamespace } from '../mesh/enrolment.js';
import {
  LINKERD_DEFAULT_POLICY_ANNOTATION,
  LINKERD_ENROLLED_POLICY,
  LINKERD_STRICT_POLICIES,
} from '../mesh/linkerd.js';
import { effectiveMtls, isStrict, levelsOf, type EffectiveMtls } from '../mesh/peer-authentication.js';
import { describeLabels, readLabels } from '../objects.js';
import type { ClusterView, Violation, Workload } from '../types.js';
import type { ZtgateConfig } from '../config.js';
import { isZtgateAdmin, whoMay } from './default-deny-protected.js';
import type { Rule } from './rule.js';

const RULE = 'strict-mtls';

/** Why the effective mode is not STRICT, naming the policies that decided it. */
function explain(effective: EffectiveMtls): string {
  const weakPorts = [...effective.ports].filter(([, mode]) => mode !== 'STRICT');
  const by = effective.decidedBy.map((policy) => `PeerAuthentication ${policy.namespace}/${policy.name}`);
  if (effective.workload !== 'STRICT') {
    if (by.length === 0)
      return 'no PeerAuthentication is in force, and Istio then accepts plaintext (PERMISSIVE)';
    return `the mode in force is ${effective.workload} (${by.join(', ')}; UNSET inherits the level above, and no policy above means PERMISSIVE)`;
  }
  return `port(s) ${weakPorts.map(([port, mode]) => `${port} ${mode}`).join(', ')} (${by.join(', ')})`;
}

function istioViolation(workload: Workload, view: ClusterView, config: ZtgateConfig): Violation[] {
  const root = config.istioRootNamespace;
  const levels = levelsOf(
    view.peerAuthentications(workload.namespace),
    view.peerAuthentications(root),
    workload.namespace === root,
  );
  const effective = effectiveMtls(levels, workload.podLabels);
  if (isStrict(effective)) return [];
  const labels = view.namespace(workload.namespace)?.labels ?? {};
  const creates =
    config.mesh.createStrictPeerAuthentication && isEnforcedNamespace(config, workload.namespace, labels);
  const lead = creates
    ? `ztgate creates this policy in namespace ${workload.namespace} shortly; to create it now, apply it (and remove or fix any weaker PeerAuthentication named above):`
    : `Apply a STRICT PeerAuthentication in namespace ${workload.namespace} (and remove or fix any weaker one named above):`;
  return [
    {
      rule: RULE,
      path: 'metadata.namespace',
      value: workload.namespace,
      message: `mTLS is not STRICT for pods labelled ${describeLabels(workload.podLabels)} in namespace ${workload.namespace}: ${explain(effective)}`,
      fix: buildStrictMtlsFix(workload.namespace, lead),
      // ztgate's namespace-wide STRICT is in force once it exists, unless the namespace holds a
      // weaker PeerAuthentication of its own (the weakest at a level wins).
      missing: {
        kind: 'PeerAuthentication',
        namespace: workload.namespace,
        ...(config.mesh.createStrictPeerAuthentication &&
        view.peerAuthentications(workload.namespace).length === 0
          ? { providedByZtgate: true }
          : {}),
      },
    },
  ];
}

function linkerdViolation(workload: Workload, view: ClusterView): Violation[] {
  const value = view.namespace(workload.namespace)?.annotations[LINKERD_DEFAULT_POLICY_ANNOTATION];
  if (value !== undefined && LINKERD_STRICT_POLICIES.includes(value)) return [];
  const keys = [
    { where: 'annotations' as const, key: LINKERD_DEFAULT_POLICY_ANNOTATION, value: LINKERD_ENROLLED_POLICY },
  ];
  return [
    {
      rule: RULE,
      path: 'metadata.namespace',
      value: workload.namespace,
      message:
        `namespace ${workload.namespace} has ${LINKERD_DEFAULT_POLICY_ANNOTATION}=${JSON.stringify(value ?? '(unset: the install default, all-unauthenticated unless changed)')}: ` +
        `its proxies would admit callers without a mesh identity (needs ${LINKERD_STRICT_POLICIES.join(', ')}); ztgate's controller sets it on enrolled namespaces`,
      fix: `Annotate the namespace: ${namespaceCommands(workload.namespace, keys, true).join('; ')}`,
      // The enrolment controller sets it with the mark where it is unset.
      missing: {
        kind: 'Namespace',
        name: workload.namespace,
        ...(value === undefined ? { providedByZtgate: true } : {}),
      },
    },
  ];
}

/**
 * mTLS must be enforced, not just available: under Istio (sidecar or ambient) the
 * PeerAuthentication mode in force for the workload's pods is STRICT on every port; under Linkerd
 * the namespace's default inbound policy requires an identity. A workload is refused where it is
 * not, just as where the default deny is missing.
 */
export const strictMtlsWorkload: Rule = {
  name: RULE,
  description:
    'The mesh requires mTLS for the workload’s pods: STRICT PeerAuthentication (Istio) or an authenticated default inbound policy (Linkerd).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, view, config }): readonly Violation[] {
    if (workload === undefined) return [];
    switch (config.mesh.provider) {
      case 'istio':
      case 'istio-ambient':
        return istioViolation(workload, view, config);
      case 'linkerd':
        return linkerdViolation(workload, view);
      case 'builtin':
        return [];
    }
  },
};

/** Under Linkerd, removing or weakening a namespace's authenticated default policy is an admin's call. */
export const strictMtlsNamespace: Rule = {
  name: RULE,
  description: "Only ztgate admins may remove a Linkerd namespace's authenticated default inbound policy.",
  appliesTo: 'namespace',
  operations: ['UPDATE'],
  check({ input, config }): readonly Violation[] {
    const name = input.object?.metadata?.name;
    if (config.mesh.provider !== 'linkerd' || typeof name !== 'string') return [];
    if (isExemptNamespace(config, name) || isZtgateAdmin(input.user, config)) return [];
    if (!isEnforcedNamespace(config, name, readLabels(input.object?.metadata?.labels))) return [];
    const before = readLabels(input.oldObject?.metadata?.annotations)[LINKERD_DEFAULT_POLICY_ANNOTATION];
    const now = readLabels(input.object?.metadata?.annotations)[LINKERD_DEFAULT_POLICY_ANNOTATION];
    // A weaker value is mesh-opt-out's; this is the removal, which leaves the install default.
    if (now !== undefined || before === undefined || !LINKERD_STRICT_POLICIES.includes(before)) return [];
    return [
      {
        rule: RULE,
        path: `metadata.annotations.${LINKERD_DEFAULT_POLICY_ANNOTATION}`,
        value: before,
        message: `Namespace "${name}" would lose ${LINKERD_DEFAULT_POLICY_ANNOTATION}=${before}: its proxies would fall back to the install default. May do it: ${whoMay(config)}.`,
        fix: `Keep the annotation (kubectl annotate namespace ${name} ${LINKERD_DEFAULT_POLICY_ANNOTATION}=${before} --overwrite).`,
      },
    ];
  },
};
