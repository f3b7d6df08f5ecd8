import { loadObjects, loadStateDir, type LoadOptions } from '../adapters/state-dir/index.js';
import { createClusterView, extendClusterView } from '../policy/cluster-view.js';
import type { ZtgateConfig } from '../policy/config.js';
import { evaluate } from '../policy/engine.js';
import { isPolicyObject } from '../policy/policies/index.js';
import { injectPodTemplate } from '../policy/sidecar/index.js';
import type { ClusterView, Decision, KubeObject } from '../policy/types.js';
import { objectKey } from '../policy/view-layer.js';
import { isWorkloadObject } from '../policy/workload.js';
import { checkUser, exemptByLabel, isNamespaceObject } from './check-namespaces.js';

/** One judged object, as `check` prints it. */
export interface CheckResult {
  readonly apiVersion: string;
  readonly kind: string;
  /** null for cluster-scoped objects (Calico GlobalNetworkPolicy, Cilium CCNP). */
  readonly namespace: string | null;
  readonly name: string;
  readonly allowed: boolean;
  readonly violations: readonly { rule: string; path: string; message: string; fix: string }[];
  readonly warnings: readonly string[];
}

/** What `check` was asked to judge. */
export interface CheckRequest {
  readonly files: readonly string[];
  readonly stateDir?: string | undefined;
  /** Namespace of objects that name none (kubectl's `default`). */
  readonly namespace: string;
  readonly config: ZtgateConfig;
  readonly load?: LoadOptions;
  /** Judge as an admin of the config (protected labels and policies), not as a developer. */
  readonly asAdmin?: boolean;
}

/** Every result, plus the kinds given with -f that are view input only (ServiceAccounts, ConfigMaps, …). */
export interface CheckReport {
  readonly results: readonly CheckResult[];
  readonly notJudged: readonly string[];
}

// Kinds without a namespace; every other kind lands in the default namespace as kubectl would put it.
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'GlobalNetworkPolicy',
  'GlobalNetworkSet',
  'CiliumClusterwideNetworkPolicy',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'Node',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

/** The object with the default namespace filled in when it is namespaced and names none. */
export function withDefaultNamespace(object: KubeObject, namespace: string): KubeObject {
  if (CLUSTER_SCOPED.has(object.kind ?? '') || (object.metadata?.namespace ?? '') !== '') return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}

/**
 * The object as the validating webhook will see it: a Pod being created has passed ztgate's own
 * mutating webhook first, so it carries the proxy (and `mtls-sidecar` is not reported for it).
 */
function asAdmitted(
  object: KubeObject,
  operation: string,
  config: ZtgateConfig,
  namespace: string,
): KubeObject {
  if (object.kind !== 'Pod' || operation !== 'CREATE') return object;
  return injectPodTemplate(object, config.sidecar, object.metadata?.namespace ?? namespace);
}

function toResult(object: KubeObject, decision: Decision, namespace: string): CheckResult {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    namespace: CLUSTER_SCOPED.has(object.kind ?? '') ? null : (object.metadata?.namespace ?? namespace),
    name: object.metadata?.name ?? object.metadata?.generateName ?? '',
    allowed: decision.allowed,
    violations: decision.violations.map(({ rule, path, message, fix }) => ({ rule, path, message, fix })),
    warnings: decision.warnings,
  };
}

/**
 * Judges the -f objects as one change on top of the state, as the webhook would (UPDATE when the
 * state already holds the object, CREATE otherwise): Namespaces first, against the state alone;
 * then the ServiceAccounts, policies, workloads and admitted Namespaces join the view, and each
 * workload and policy is evaluated against it.
 */
export async function runCheck(request: CheckRequest): Promise<CheckReport> {
  const { config, namespace } = request;
  const user = checkUser(config, request.asAdmin === true);
  const state = request.stateDir === undefined ? [] : await loadStateDir(request.stateDir);
  const inputs = (await loadObjects(request.files, request.load)).objects.map((o) =>
    withDefaultNamespace(o, namespace),
  );
  const stateObjects = state.map((object) => withDefaultNamespace(object, namespace));
  const base = createClusterView(stateObjects, { istioRootNamespace: config.istioRootNamespace });
  const existing = new Map(stateObjects.map((object) => [objectKey(object), object]));
  const judge = (object: KubeObject, view: ClusterView): Decision => {
    const oldObject = existing.get(objectKey(object));
    const operation = oldObject === undefined ? 'CREATE' : 'UPDATE';
    const judged = asAdmitted(object, operation, config, namespace);
    return evaluate({ operation, object: judged, oldObject, namespace, user }, view, config);
  };
  // A refused Namespace is not created: its labels (mode=audit, exempt=true) never reach the view.
  const namespaces = new Map<KubeObject, Decision>();
  for (const object of inputs) if (isNamespaceObject(object)) namespaces.set(object, judge(object, base));
  const view = extendClusterView(
    base,
    inputs.filter((object) => namespaces.get(object)?.allowed !== false),
  );
  const results: CheckResult[] = [];
  const notJudged: string[] = [];
  for (const object of inputs) {
    const decided = namespaces.get(object);
    if (decided !== undefined) {
      results.push(toResult(object, decided, namespace));
      continue;
    }
    if (!isWorkloadObject(object) && !isPolicyObject(object)) {
      notJudged.push(object.kind ?? '?');
      continue;
    }
    const skipped = exemptByLabel(view, object.metadata?.namespace);
    results.push(toResult(object, skipped ?? judge(object, view), namespace));
  }
  return { results, notJudged };
}
