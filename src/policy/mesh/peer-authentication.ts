/**
 * Istio PeerAuthentication (security.istio.io v1, v1beta1) read as a judged object, and the mTLS
 * mode in force for a workload, per Istio's PeerAuthentication reference: a policy with a
 * non-empty `selector.matchLabels` applies to the workloads it selects in its namespace; one
 * without applies to its namespace, or to the whole mesh in the root namespace. The most specific
 * level wins; `UNSET` inherits the level above; no policy at the top means PERMISSIVE.
 * `portLevelMtls` (selector required) sets a mode per port, `UNSET` inheriting the policy's own.
 * Where several policies match at one level Istio picks the oldest; ztgate takes the weakest, so
 * an answer never depends on creation times a manifest does not carry.
 */
import { isRecord, nonEmptyString, readLabels } from '../objects.js';
import type { FieldError, KubeObject, Labels } from '../types.js';

/** Istio's mTLS modes as written. */
export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;

/** An mTLS mode as written (UNSET inherits). */
export type MtlsMode = (typeof MTLS_MODES)[number];

/** A resolved mode (what is in force). */
export type ResolvedMode = Exclude<MtlsMode, 'UNSET'>;

/** A PeerAuthentication reduced to what mTLS resolution needs. */
export interface PeerAuthenticationInfo {
  readonly namespace: string;
  readonly name: string;
  /** The workload selector's labels; undefined for a namespace-wide (or mesh-wide) policy. */
  readonly selector: Labels | undefined;
  /** The policy's mode; an unreadable one counts as DISABLE (fail closed) and is an error. */
  readonly mode: MtlsMode;
  /** Port number (as written) → mode. */
  readonly portLevel: ReadonlyMap<string, MtlsMode>;
  readonly errors: readonly FieldError[];
  readonly source: KubeObject;
}

const VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'];

/** Whether the object is an Istio PeerAuthentication of an API version ztgate reads. */
export function isPeerAuthentication(object: KubeObject): boolean {
  return object.kind === 'PeerAuthentication' && VERSIONS.includes(object.apiVersion ?? '');
}

function readMode(value: unknown, path: string, errors: FieldError[]): MtlsMode {
  if (value === undefined || value === null) return 'UNSET';
  if ((MTLS_MODES as readonly unknown[]).includes(value)) return value as MtlsMode;
  errors.push({
    path,
    message: `mode must be one of ${MTLS_MODES.join(', ')}, not ${JSON.stringify(value)}`,
  });
  return 'DISABLE';
}

function readSelector(spec: Readonly<Record<string, unknown>>, errors: FieldError[]): Labels | undefined {
  const selector = spec['selector'];
  if (selector === undefined || selector === null) return undefined;
  const matchLabels = isRecord(selector) ? selector['matchLabels'] : undefined;
  if (!isRecord(selector) || (matchLabels !== undefined && !isRecord(matchLabels))) {
    errors.push({ path: 'spec.selector', message: 'selector must be an object with matchLabels' });
    return undefined;
  }
  const labels = readLabels(matchLabels);
  return Object.keys(labels).length === 0 ? undefined : labels;
}

/** Reads a PeerAuthentication; `fallbackNamespace` when metadata names none (a request's). */
export function readPeerAuthentication(
  object: KubeObject,
  fallbackNamespace?: string,
): PeerAuthenticationInfo {
  const errors: FieldError[] = [];
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const selector = readSelector(spec, errors);
  const mtls = spec['mtls'];
  const mode = readMode(isRecord(mtls) ? mtls['mode'] : undefined, 'spec.mtls.mode', errors);
  const portLevel = new Map<string, MtlsMode>();
  const ports = spec['portLevelMtls'];
  if (isRecord(ports)) {
    for (const [port, setting] of Object.entries(ports)) {
      const path = `spec.portLevelMtls.${port}`;
      if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
        errors.push({ path, message: 'portLevelMtls keys are port numbers 1-65535' });
      portLevel.set(port, readMode(isRecord(setting) ? setting['mode'] : undefined, `${path}.mode`, errors));
    }
    // Istio's validation: port-level settings need a workload selector.
    if (portLevel.size > 0 && selector === undefined)
      errors.push({
        path: 'spec.portLevelMtls',
        message: 'portLevelMtls applies only with a workload selector',
      });
  }
  return {
    namespace: nonEmptyString(object.metadata?.namespace) ?? fallbackNamespace ?? '',
    name: nonEmptyString(object.metadata?.name) ?? '',
    selector,
    mode,
    portLevel,
    errors,
    source: object,
  };
}

const STRENGTH: Readonly<Record<ResolvedMode, number>> = { DISABLE: 0, PERMISSIVE: 1, STRICT: 2 };

/** The weaker of two resolved modes. */
export function weaker(a: ResolvedMode, b: ResolvedMode): ResolvedMode {
  return STRENGTH[a] <= STRENGTH[b] ? a : b;
}

/** A mode resolved against its parent (UNSET inherits). */
export function resolve(mode: MtlsMode, parent: ResolvedMode): ResolvedMode {
  return mode === 'UNSET' ? parent : mode;
}

/** The mode a level resolves to given its policies (the weakest of them), or the parent's. */
export function resolveLevel(
  policies: readonly PeerAuthenticationInfo[],
  parent: ResolvedMode,
): ResolvedMode {
  let result: ResolvedMode | undefined;
  for (const policy of policies) {
    const mode = policy.errors.length > 0 ? 'DISABLE' : resolve(policy.mode, parent);
    result = result === undefined ? mode : weaker(result, mode);
  }
  return result ?? parent;
}

/** Whether a policy selects pods with these labels (namespace-wide policies select every pod). */
export function selectsPod(policy: PeerAuthenticationInfo, podLabels: Labels): boolean {
  if (policy.selector === undefined) return true;
  return Object.entries(policy.selector).every(([key, value]) => podLabels[key] === value);
}

/** The policies a namespace holds, split by level. */
export interface LevelPolicies {
  /** The root namespace's namespace-wide policies. */
  readonly mesh: readonly PeerAuthenticationInfo[];
  /** The namespace's own namespace-wide policies (the mesh level again in the root namespace). */
  readonly namespace: readonly PeerAuthenticationInfo[];
  /** The namespace's policies with a selector. */
  readonly workload: readonly PeerAuthenticationInfo[];
}

/** Splits the policies of `namespace` and of the root namespace into levels. */
export function levelsOf(
  inNamespace: readonly PeerAuthenticationInfo[],
  inRoot: readonly PeerAuthenticationInfo[],
  isRoot: boolean,
): LevelPolicies {
  const wide = (list: readonly PeerAuthenticationInfo[]) =>
    list.filter((policy) => policy.selector === undefined);
  return {
    mesh: wide(inRoot),
    namespace: isRoot ? [] : wide(inNamespace),
    workload: inNamespace.filter((policy) => policy.selector !== undefined),
  };
}

/** The mode in force for a pod, and per port where a selected policy sets one. */
export interface EffectiveMtls {
  readonly mesh: ResolvedMode;
  readonly namespace: ResolvedMode;
  readonly workload: ResolvedMode;
  readonly ports: ReadonlyMap<string, ResolvedMode>;
  /** The policies that selected the pod at the most specific level holding any. */
  readonly decidedBy: readonly PeerAuthenticationInfo[];
}

/** Resolves the mode for pods with `podLabels`, level by level. */
export function effectiveMtls(levels: LevelPolicies, podLabels: Labels): EffectiveMtls {
  const mesh = resolveLevel(levels.mesh, 'PERMISSIVE');
  const namespace = resolveLevel(levels.namespace, mesh);
  const selected = levels.workload.filter((policy) => selectsPod(policy, podLabels));
  const workload = resolveLevel(selected, namespace);
  const ports = new Map<string, ResolvedMode>();
  for (const policy of selected) {
    const own = resolveLevel([policy], namespace);
    for (const [port, mode] of policy.portLevel) {
      const resolved = resolve(mode, own);
      const before = ports.get(port);
      ports.set(port, before === undefined ? resolved : weaker(before, resolved));
    }
  }
  const decidedBy =
    selected.length > 0 ? selected : levels.namespace.length > 0 ? levels.namespace : levels.mesh;
  return { mesh, namespace, workload, ports, decidedBy };
}

/** Whether STRICT is in force for the pod on every port. */
export function isStrict(effective: EffectiveMtls): boolean {
  return effective.workload === 'STRICT' && [...effective.ports.values()].every((mode) => mode === 'STRICT');
}
