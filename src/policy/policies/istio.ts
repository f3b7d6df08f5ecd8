/**
 * security.istio.io/v1 and v1beta1 AuthorizationPolicy → NormalizedPolicy, per Istio's
 * AuthorizationPolicy reference: `selector.matchLabels` picks workloads (none → every workload
 * in scope); a policy in the mesh root namespace applies in every namespace; `action` defaults
 * to ALLOW; a rule matches when its `from`, `to` and `when` all match, and an absent field
 * matches anything. ALLOW with no rules matches nothing ("allow-nothing"): it denies every
 * request, so it is a deny, not an allow-list. Istio enforces at the receiving proxy: ingress only.
 */
import type { FieldError, KubeObject, Labels, NormalizedPolicy } from '../types.js';
import { labelMapErrors } from '../selectors/label-syntax.js';
import { istioAllowAll } from './istio-rules.js';
import {
  asList,
  buildPolicy,
  isRecord,
  isSet,
  requiredLabelsOf,
  metadataOf,
  readLabels,
  type NormalizeOptions,
} from './shared.js';
import { quoteValue } from '../message-text.js';

/** The actions an AuthorizationPolicy may take. */
export const ISTIO_ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;

function readSelector(spec: Readonly<Record<string, unknown>>, errors: FieldError[]): Labels {
  const selector = spec.selector;
  if (selector === undefined || selector === null) return {};
  if (!isRecord(selector)) {
    errors.push({ path: 'spec.selector', message: 'selector must be an object with matchLabels' });
    return {};
  }
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  // Istio validates workload selector labels with Kubernetes label syntax (no wildcards).
  errors.push(...labelMapErrors(matchLabels, 'spec.selector.matchLabels'));
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
      message: `action must be one of ${ISTIO_ACTIONS.join(', ')}, not ${quoteValue(action)}`,
    });
  }
  const matchLabels = readSelector(spec, errors);
  // targetRef(s) attach the policy to a gateway or waypoint, not to the workloads' own proxies.
  const targeted = isSet(spec.targetRef) || isSet(spec.targetRefs);
  const valid = errors.length === 0 && !targeted;
  const rules = asList(spec.rules);
  const allow = action === 'ALLOW';
  // Address errors count whatever the action: Istio's validation refuses them.
  const allowAll = istioAllowAll(rules, errors);
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
    // A workload selector is matchLabels only: narrower than every pod as soon as it names a label.
    selectsUnlabelledPods: valid && Object.keys(matchLabels).length === 0,
    requiredPodLabels: valid ? requiredLabelsOf({ matchLabels }, () => true) : [],
    appliesToIngress: true,
    appliesToEgress: false,
    ingressRuleCount: rules.length,
    egressRuleCount: 0,
    isAllowList: valid && allow && rules.length > 0,
    // Istio has no egress enforcement at the workload, so it never completes a two-way default deny.
    isDefaultDeny: false,
    coversNamespace: (candidate) => root || candidate === namespace,
    allowAll: allow ? allowAll : [],
    // Istio has no egress enforcement at the workload.
    allowAllEgress: [],
    errors,
  });
}
