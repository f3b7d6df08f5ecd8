/**
 * security.istio.io/v1 and v1beta1 AuthorizationPolicy → NormalizedPolicy, per Istio's
 * AuthorizationPolicy reference: `selector.matchLabels` picks workloads (none → every workload
 * in scope); a policy in the mesh root namespace applies in every namespace; `action` defaults
 * to ALLOW; a rule matches when its `from`, `to` and `when` all match, and an absent field
 * matches anything. ALLOW with no rules matches nothing ("allow-nothing"): it denies every
 * request, so it is a deny, not an allow-list. Istio enforces at the receiving proxy: ingress only.
 */
import type { AllowAllFinding, FieldError, KubeObject, Labels, NormalizedPolicy } from '../types.js';
import {
  asList,
  buildPolicy,
  fieldPath,
  isEverythingCidr,
  isRecord,
  isSet,
  requiredLabelsOf,
  metadataOf,
  readLabels,
  type NormalizeOptions,
} from './shared.js';

/** The actions an AuthorizationPolicy may take. */
export const ISTIO_ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;

/** Source fields that name callers; the `not*` forms only exclude and name no one. */
const SOURCE_FIELDS = [
  'principals',
  'requestPrincipals',
  'namespaces',
  'ipBlocks',
  'remoteIpBlocks',
] as const;

function isWildcard(field: string, value: unknown): boolean {
  return value === '*' || (field.endsWith('pBlocks') && isEverythingCidr(value));
}

/** Whether a `from[].source` admits every caller: nothing positive set, or only wildcards (`*`, 0.0.0.0/0). */
function sourceAdmitsAll(source: unknown): boolean {
  if (!isRecord(source)) return true;
  const set = SOURCE_FIELDS.filter((field) => isSet(source[field]));
  return set.every((field) => asList(source[field]).some((value) => isWildcard(field, value)));
}

/**
 * An ALLOW rule admits every source when its `from` is absent/empty or has an entry whose source
 * admits everyone, and neither `to` nor `when` narrows it: Istio then matches any request from
 * anyone. A rule with `to` or `when` is scoped to operations or conditions, so it is not flagged
 * here (it still names no caller; the allow-list rule judges workloads).
 */
function findAllowAll(rules: readonly unknown[]): AllowAllFinding[] {
  const findings: AllowAllFinding[] = [];
  rules.forEach((rule, index) => {
    const path = fieldPath('spec.rules', index);
    const body = isRecord(rule) ? rule : {};
    if (isSet(body.to) || isSet(body.when)) return;
    const from = asList(body.from);
    if (from.length === 0) {
      const what =
        Object.keys(body).length === 0 ? 'an empty ALLOW rule {}' : 'an ALLOW rule without from, to or when';
      findings.push({ path, message: `${what} matches every request from every source` });
      return;
    }
    const open = from.findIndex((entry) => !isRecord(entry) || sourceAdmitsAll(entry.source));
    if (open !== -1) {
      findings.push({
        path: fieldPath(path, 'from', open),
        message:
          'this source matches every caller (no principals, namespaces or IP blocks, or only wildcards), so the rule admits every source',
      });
    }
  });
  return findings;
}

function readSelector(spec: Readonly<Record<string, unknown>>, errors: FieldError[]): Labels {
  const selector = spec.selector;
  if (selector === undefined || selector === null) return {};
  if (!isRecord(selector)) {
    errors.push({ path: 'spec.selector', message: 'selector must be an object with matchLabels' });
    return {};
  }
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const [key, value] of Object.entries(matchLabels)) {
    if (typeof value !== 'string')
      errors.push({ path: `spec.selector.matchLabels.${key}`, message: 'label value must be a string' });
  }
  return readLabels(matchLabels);
}

/** Normalizes an Istio AuthorizationPolicy; `istioRootNamespace` makes it mesh-wide. */
export function normalizeIstioPolicy(object: KubeObject, options: NormalizeOptions): NormalizedPolicy {
  const { name, namespace } = metadataOf(object, options.defaultNamespace);
  const root = namespace === options.istioRootNamespace;
  const spec = isRecord(object.spec) ? object.spec : {};
  const errors: FieldError[] = [];
  const action = spec.action ?? 'ALLOW';
  if (!(ISTIO_ACTIONS as readonly unknown[]).includes(action)) {
    errors.push({
      path: 'spec.action',
      message: `action must be one of ${ISTIO_ACTIONS.join(', ')}, not ${JSON.stringify(action)}`,
    });
  }
  const matchLabels = readSelector(spec, errors);
  // targetRef(s) attach the policy to a gateway or waypoint, not to the workloads' own proxies.
  const targeted = isSet(spec.targetRef) || isSet(spec.targetRefs);
  const valid = errors.length === 0 && !targeted;
  const rules = asList(spec.rules);
  const allow = action === 'ALLOW';
  const required = Object.entries(matchLabels);
  return buildPolicy({
    flavour: 'istio',
    object,
    name,
    namespace,
    clusterWide: root,
    selects: (target) =>
      valid &&
      (root || target.namespace === namespace) &&
      required.every(([key, value]) => target.podLabels[key] === value),
    selectsEveryPod: valid && Object.keys(matchLabels).length === 0,
    requiredPodLabels: valid ? requiredLabelsOf({ matchLabels }, () => true) : [],
    appliesToIngress: true,
    appliesToEgress: false,
    ingressRuleCount: rules.length,
    egressRuleCount: 0,
    isAllowList: valid && allow && rules.length > 0,
    // Istio has no egress enforcement at the workload, so it never completes a two-way default deny.
    isDefaultDeny: false,
    coversNamespace: (candidate) => root || candidate === namespace,
    allowAll: allow ? findAllowAll(rules) : [],
    errors,
  });
}
