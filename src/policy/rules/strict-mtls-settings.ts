import { isExemptNamespace, type ZtgateConfig } from '../config.js';
import { findPlaintextSettings, isDestinationRule } from '../mesh/destination-rule.js';
import { isEnforcedNamespace } from '../mesh/enrolment.js';
import {
  isPeerAuthentication,
  readPeerAuthentication,
  resolveLevel,
  type PeerAuthenticationInfo,
  type ResolvedMode,
} from '../mesh/peer-authentication.js';
import type { ClusterView, EvaluationInput, KubeObject, Violation } from '../types.js';
import { isZtgateAdmin, whoMay } from './default-deny-protected.js';
import type { Rule } from './rule.js';

const RULE = 'strict-mtls';

/** The namespace controller deletes everything in a terminating namespace; refusing it would stick it. */
const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';

const KEEP_STRICT =
  'Keep mtls.mode STRICT (or leave the mode UNSET only where the level above is STRICT). A workload that must take plaintext belongs in a namespace a ztgate admin exempts.';

function violation(path: string, message: string, fix: string, value?: unknown): Violation {
  return { rule: RULE, path, message, fix, ...(value === undefined ? {} : { value }) };
}

const sameObject = (a: PeerAuthenticationInfo, b: PeerAuthenticationInfo): boolean =>
  a.namespace === b.namespace && a.name === b.name;

/** The view's policies of a namespace with `remove` taken out and `add` put in (an edit in flight). */
function policiesOf(
  view: ClusterView,
  namespace: string,
  remove?: PeerAuthenticationInfo,
  add?: PeerAuthenticationInfo,
) {
  const kept = view
    .peerAuthentications(namespace)
    .filter((policy) => remove === undefined || !sameObject(policy, remove));
  return add !== undefined && add.namespace === namespace
    ? [...kept.filter((p) => !sameObject(p, add)), add]
    : kept;
}

const wide = (list: readonly PeerAuthenticationInfo[]) =>
  list.filter((policy) => policy.selector === undefined);

/** The mesh-wide mode and, unless `namespace` is the root, the namespace-wide one. */
function levelModes(
  view: ClusterView,
  config: ZtgateConfig,
  namespace: string,
  remove?: PeerAuthenticationInfo,
  add?: PeerAuthenticationInfo,
) {
  const root = config.istioRootNamespace;
  const mesh = resolveLevel(wide(policiesOf(view, root, remove, add)), 'PERMISSIVE');
  const own = namespace === root ? mesh : resolveLevel(wide(policiesOf(view, namespace, remove, add)), mesh);
  return { mesh, namespace: own };
}

/** What a new or edited policy sets, judged on its own and against the level it inherits from. */
function judgeNewPolicy(info: PeerAuthenticationInfo, view: ClusterView, config: ZtgateConfig): Violation[] {
  const found = info.errors.map((error) =>
    violation(
      error.path,
      `PeerAuthentication ${info.namespace}/${info.name}: ${error.message}`,
      'Correct the field; ztgate denies what it cannot read.',
    ),
  );
  // An unreadable mode is read as DISABLE; its error already says what is wrong.
  const unreadable = new Set(info.errors.map((error) => error.path));
  if ((info.mode === 'PERMISSIVE' || info.mode === 'DISABLE') && !unreadable.has('spec.mtls.mode'))
    found.push(
      violation(
        'spec.mtls.mode',
        `PeerAuthentication ${info.namespace}/${info.name} sets mTLS ${info.mode}: its workloads would accept plaintext.`,
        KEEP_STRICT,
        info.mode,
      ),
    );
  for (const [port, mode] of info.portLevel) {
    if ((mode === 'PERMISSIVE' || mode === 'DISABLE') && !unreadable.has(`spec.portLevelMtls.${port}.mode`))
      found.push(
        violation(
          `spec.portLevelMtls.${port}.mode`,
          `PeerAuthentication ${info.namespace}/${info.name} sets mTLS ${mode} on port ${port}: it would accept plaintext there.`,
          KEEP_STRICT,
          mode,
        ),
      );
  }
  if (info.mode === 'UNSET' && info.errors.length === 0) {
    const levels = levelModes(view, config, info.namespace, info);
    const isMesh = info.namespace === config.istioRootNamespace && info.selector === undefined;
    const parent: ResolvedMode = isMesh
      ? 'PERMISSIVE'
      : info.selector === undefined
        ? levels.mesh
        : levels.namespace;
    if (parent !== 'STRICT')
      found.push(
        violation(
          'spec.mtls.mode',
          `PeerAuthentication ${info.namespace}/${info.name} leaves mTLS UNSET, which inherits ${parent} ${isMesh ? '(nothing is above the mesh-wide level)' : 'from the level above'}.`,
          'Set mtls.mode: STRICT.',
          'UNSET',
        ),
      );
  }
  return found;
}

/** Enforced namespaces whose namespace-wide mode the change leaves non-STRICT (for a root policy). */
function weakenedNamespaces(
  view: ClusterView,
  config: ZtgateConfig,
  remove: PeerAuthenticationInfo,
  add?: PeerAuthenticationInfo,
): string[] {
  return view
    .namespaces()
    .filter((ns) => isEnforcedNamespace(config, ns.name, ns.labels))
    .filter(
      (ns) =>
        levelModes(view, config, ns.name).namespace === 'STRICT' &&
        levelModes(view, config, ns.name, remove, add).namespace !== 'STRICT',
    )
    .map((ns) => ns.name);
}

/** Removing (or editing away) a STRICT policy must not leave its scope without STRICT. */
function judgeRemoval(
  old: PeerAuthenticationInfo,
  next: PeerAuthenticationInfo | undefined,
  view: ClusterView,
  config: ZtgateConfig,
): Violation[] {
  const before = levelModes(view, config, old.namespace);
  const after = levelModes(view, config, old.namespace, old, next);
  let lost: string | undefined;
  if (old.selector !== undefined) {
    const stays =
      next !== undefined &&
      JSON.stringify(next.selector) === JSON.stringify(old.selector) &&
      resolveLevel([next], after.namespace) === 'STRICT';
    if (resolveLevel([old], before.namespace) === 'STRICT' && !stays && after.namespace !== 'STRICT')
      lost = `the pods it selects would fall back to ${after.namespace}`;
  } else if (old.namespace === config.istioRootNamespace) {
    const weakened = weakenedNamespaces(view, config, old, next);
    if (weakened.length > 0)
      lost = `namespaces ${weakened.slice(0, 5).join(', ')}${weakened.length > 5 ? ' …' : ''} would fall back to ${after.mesh}`;
  } else if (before.namespace === 'STRICT' && after.namespace !== 'STRICT') {
    lost = `namespace ${old.namespace} would fall back to ${after.namespace}`;
  }
  if (lost === undefined) return [];
  return [
    violation(
      'metadata.name',
      `${next === undefined ? 'Deleting' : 'This change to'} PeerAuthentication ${old.namespace}/${old.name} removes STRICT mTLS: ${lost}. May do it: ${whoMay(config)}.`,
      `Keep it; a namespace that must take plaintext is one a ztgate admin exempts in the ztgate config.`,
      old.name,
    ),
  ];
}

function judgePeerAuthentication(
  input: EvaluationInput,
  view: ClusterView,
  config: ZtgateConfig,
): Violation[] {
  const read = (object: KubeObject | undefined) =>
    object === undefined ? undefined : readPeerAuthentication(object, input.namespace);
  const next = input.operation === 'DELETE' ? undefined : read(input.object);
  const old = read(input.oldObject);
  const found = next === undefined ? [] : judgeNewPolicy(next, view, config);
  const exempt = input.user?.username === NAMESPACE_CONTROLLER || isZtgateAdmin(input.user, config);
  if (old !== undefined && !exempt && !isExemptNamespace(config, old.namespace))
    found.push(...judgeRemoval(old, next, view, config));
  return found;
}

/**
 * The mesh's mTLS settings as objects (Istio providers): a PeerAuthentication must not set
 * PERMISSIVE or DISABLE at any level, port-level included, nor leave the mode UNSET where it would
 * inherit anything but STRICT; deleting or editing one may not take STRICT away from its scope
 * (admins excepted). A DestinationRule must not switch client TLS off, at the top level, per port
 * or in a subset.
 */
export const strictMtlsSettings: Rule = {
  name: RULE,
  description:
    'PeerAuthentications keep mTLS STRICT at every level and port, and no DestinationRule disables TLS.',
  appliesTo: 'mesh-policy',
  operations: ['CREATE', 'UPDATE', 'DELETE'],
  check({ input, view, config }): readonly Violation[] {
    if (config.mesh.provider !== 'istio' && config.mesh.provider !== 'istio-ambient') return [];
    const object = input.operation === 'DELETE' ? (input.oldObject ?? input.object) : input.object;
    if (object === undefined) return [];
    if (isPeerAuthentication(object)) return judgePeerAuthentication(input, view, config);
    if (!isDestinationRule(object) || input.operation === 'DELETE') return [];
    const name = `${object.metadata?.namespace ?? input.namespace ?? ''}/${object.metadata?.name ?? ''}`;
    return findPlaintextSettings(object).map((finding) =>
      violation(
        finding.path,
        `DestinationRule ${name}: ${finding.message}.`,
        'Remove the tls setting (Istio then uses mTLS between meshed workloads) or set mode: ISTIO_MUTUAL.',
      ),
    );
  },
};
