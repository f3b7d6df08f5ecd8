/**
 * Namespace enrolment: the mark each mesh's injector (or istio-cni, for ambient) selects
 * namespaces by, judged by meaning. Istio: `istio-injection=enabled` (default revision), or
 * `istio.io/rev=<rev>` with no `istio-injection` label at all, because the injector's webhooks
 * ignore `istio.io/rev` whenever `istio-injection` is set, and `istio-injection=disabled` matches
 * none of them. Ambient: `istio.io/dataplane-mode=ambient`. Linkerd: the annotation
 * `linkerd.io/inject: enabled`. The builtin injector needs no mark (ztgate's webhook selects every
 * namespace it does not exempt).
 */
import { EXEMPT_LABEL, isExemptNamespace, MODE_LABEL, type ZtgateConfig } from '../config.js';
import type { Labels } from '../types.js';
import { AMBIENT_DATAPLANE_LABEL, AMBIENT_MODE } from './istio-ambient.js';
import { ISTIO_INJECTION_LABEL, ISTIO_REV_LABEL } from './istio.js';
import {
  LINKERD_DEFAULT_POLICY_ANNOTATION,
  LINKERD_ENROLLED_POLICY,
  LINKERD_INJECT_ANNOTATION,
  LINKERD_STRICT_POLICIES,
} from './linkerd.js';

/** A namespace's metadata as enrolment reads it. */
export interface NamespaceMeta {
  readonly name: string;
  readonly labels: Labels;
  readonly annotations: Labels;
}

/** One label or annotation of a namespace. */
export interface NamespaceKey {
  readonly where: 'labels' | 'annotations';
  readonly key: string;
  readonly value: string;
}

/** What enrolling a namespace changes: keys to set, label keys to remove. */
export interface EnrolmentPatch {
  readonly set: readonly NamespaceKey[];
  readonly removeLabels: readonly string[];
}

const ISTIO_ENABLED = 'enabled';

/** The keys that enrol a namespace in the configured mesh (what a fix or the controller sets). */
export function enrolmentMark(config: ZtgateConfig): readonly NamespaceKey[] {
  switch (config.mesh.provider) {
    case 'istio':
      return config.mesh.revision === ''
        ? [{ where: 'labels', key: ISTIO_INJECTION_LABEL, value: ISTIO_ENABLED }]
        : [{ where: 'labels', key: ISTIO_REV_LABEL, value: config.mesh.revision }];
    case 'istio-ambient':
      return [{ where: 'labels', key: AMBIENT_DATAPLANE_LABEL, value: AMBIENT_MODE }];
    case 'linkerd':
      return [{ where: 'annotations', key: LINKERD_INJECT_ANNOTATION, value: 'enabled' }];
    case 'builtin':
      return [];
  }
}

/** Whether the configured mesh's injector (or istio-cni) will mesh new pods of this namespace. */
export function isEnrolled(namespace: Omit<NamespaceMeta, 'name'>, config: ZtgateConfig): boolean {
  const { labels, annotations } = namespace;
  switch (config.mesh.provider) {
    case 'istio': {
      const injection = labels[ISTIO_INJECTION_LABEL];
      if (config.mesh.revision === '')
        return (
          injection === ISTIO_ENABLED || (injection === undefined && labels[ISTIO_REV_LABEL] === 'default')
        );
      return injection === undefined && labels[ISTIO_REV_LABEL] === config.mesh.revision;
    }
    case 'istio-ambient':
      // A sidecar injection mark would give the pods sidecars, which istio-cni leaves out of ambient.
      return labels[AMBIENT_DATAPLANE_LABEL] === AMBIENT_MODE && labels[ISTIO_INJECTION_LABEL] === undefined;
    case 'linkerd':
      return annotations[LINKERD_INJECT_ANNOTATION] === 'enabled';
    case 'builtin':
      return true;
  }
}

/**
 * The key of a namespace that explicitly keeps the mesh out (`istio-injection=disabled`,
 * `linkerd.io/inject: disabled`, `istio.io/dataplane-mode=none` …), or undefined. Only an admin may
 * write one; ztgate never overwrites it.
 */
export function enrolmentOptOut(
  namespace: Omit<NamespaceMeta, 'name'>,
  config: ZtgateConfig,
): NamespaceKey | undefined {
  const { labels, annotations } = namespace;
  const label = (key: string): NamespaceKey | undefined =>
    labels[key] === undefined ? undefined : { where: 'labels', key, value: labels[key] };
  switch (config.mesh.provider) {
    case 'istio': {
      // `enabled` is no opt-out even with a revision configured (it picks the default revision's
      // injector instead, which the controller corrects); any other value keeps Istio out.
      const injection = label(ISTIO_INJECTION_LABEL);
      return injection === undefined || injection.value === ISTIO_ENABLED ? undefined : injection;
    }
    case 'istio-ambient': {
      const mode = label(AMBIENT_DATAPLANE_LABEL);
      if (mode !== undefined && mode.value !== AMBIENT_MODE) return mode;
      return label(ISTIO_INJECTION_LABEL);
    }
    case 'linkerd': {
      const inject = annotations[LINKERD_INJECT_ANNOTATION];
      return inject === undefined || inject === 'enabled'
        ? undefined
        : { where: 'annotations', key: LINKERD_INJECT_ANNOTATION, value: inject };
    }
    case 'builtin':
      return undefined;
  }
}

/**
 * Whether ztgate enforces in a namespace: not exempt (config or label) and not in audit mode
 * (config or label). Enrolment is enforcement, so audit and exempt namespaces get none.
 */
export function isEnforcedNamespace(config: ZtgateConfig, name: string, labels: Labels): boolean {
  if (isExemptNamespace(config, name) || labels[EXEMPT_LABEL] === 'true') return false;
  return config.mode !== 'audit' && labels[MODE_LABEL] !== 'audit';
}

/**
 * What to change so the namespace is enrolled, for /mutate on Namespace CREATE and the enrolment
 * controller; undefined when there is nothing to do: already enrolled, not enforced (audit mode
 * means no enforcement), the builtin provider, or an admin's explicit opt-out (never overwritten).
 * Under Linkerd the namespace also gets a default inbound policy that requires mTLS.
 */
export function enrolmentPatch(namespace: NamespaceMeta, config: ZtgateConfig): EnrolmentPatch | undefined {
  if (config.mesh.provider === 'builtin') return undefined;
  if (!isEnforcedNamespace(config, namespace.name, namespace.labels)) return undefined;
  if (enrolmentOptOut(namespace, config) !== undefined) return undefined;
  const set: NamespaceKey[] = [];
  if (!isEnrolled(namespace, config)) set.push(...enrolmentMark(config));
  if (
    config.mesh.provider === 'linkerd' &&
    !LINKERD_STRICT_POLICIES.includes(namespace.annotations[LINKERD_DEFAULT_POLICY_ANNOTATION] ?? '')
  ) {
    set.push({
      where: 'annotations',
      key: LINKERD_DEFAULT_POLICY_ANNOTATION,
      value: LINKERD_ENROLLED_POLICY,
    });
  }
  // A revision needs the default injector's label gone (only `enabled` can be left here).
  const removeLabels =
    config.mesh.provider === 'istio' &&
    config.mesh.revision !== '' &&
    namespace.labels[ISTIO_INJECTION_LABEL] !== undefined
      ? [ISTIO_INJECTION_LABEL]
      : [];
  return set.length === 0 && removeLabels.length === 0 ? undefined : { set, removeLabels };
}
