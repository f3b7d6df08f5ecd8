import jsonpatch from 'jsonpatch';
import { loadObjects, loadStateDir, type LoadOptions } from '../adapters/state-dir/index.js';
import { createClusterView, extendClusterView } from '../policy/cluster-view.js';
import type { ZtgateConfig } from '../policy/config.js';
import { evaluate } from '../policy/engine.js';
import { buildEnrolmentJsonPatch } from '../policy/mesh/enrolment-patch.js';
import { isMtlsPolicyObject } from '../policy/mesh/mtls-policies.js';
import { isPolicyObject } from '../policy/policies/index.js';
import { injectPodTemplate } from '../policy/sidecar/index.js';
import type { ClusterView, Decision, KubeObject } from '../policy/types.js';
import { objectKey } from '../policy/view-layer.js';
import { isWorkloadObject } from '../policy/workload.js';
import { checkUser, exemptByLabel, isNamespaceObject } from './check-namespaces.js';
import {
  formatFinding,
  knowledgeOf,
  sortFindings,
  type CheckFinding,
  type Knowledge,
} from './check-offline.js';
import { findPlaceholderViolations, withPlaceholders } from './check-placeholders.js';
import { UsageError } from './usage-error.js';

/** One judged object, as `check` prints it. */
export interface CheckResult {
  readonly apiVersion: string;
  readonly kind: string;
  /** null for cluster-scoped objects (Calico GlobalNetworkPolicy, Cilium CCNP). */
  readonly namespace: string | null;
  readonly name: string;
  readonly allowed: boolean;
  readonly violations: readonly CheckFinding[];
  /** Findings resting on what -f and --state do not show (failures only with --strict). */
  readonly unknown: readonly CheckFinding[];
  /** What ztgate itself will create there (its default deny): not findings. */
  readonly notes: readonly string[];
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
  /** Unknowns fail (exit 1) instead of warning. */
  readonly strict?: boolean;
}

/** Every result, plus the kinds given with -f that are view input only (ServiceAccounts, ConfigMaps, …). */
export interface CheckReport {
  readonly results: readonly CheckResult[];
  readonly notJudged: readonly string[];
  /** Files or documents `--skip-unknown` left out, described. */
  readonly skipped: readonly string[];
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
 * The object as the validating webhook will see it, after ztgate's own mutating webhook: a new
 * Namespace carries the mesh's enrolment mark (as /mutate sets it on Namespace CREATE), and under
 * `mesh.provider: builtin` a new Pod carries ztgate's proxy (so `mtls-sidecar` is not reported for
 * it). Under a mesh provider the mesh's injector adds the proxy: the Pod is judged as pending.
 */
function asAdmitted(
  object: KubeObject,
  operation: string,
  config: ZtgateConfig,
  namespace: string,
): KubeObject {
  if (operation !== 'CREATE') return object;
  if (isNamespaceObject(object)) {
    const ops = buildEnrolmentJsonPatch(object, config);
    return ops.length === 0 ? object : (jsonpatch.apply_patch(object, ops) as KubeObject);
  }
  if (object.kind !== 'Pod' || config.mesh.provider !== 'builtin') return object;
  return injectPodTemplate(object, config.sidecar, object.metadata?.namespace ?? namespace);
}

function nameOf(object: KubeObject): string {
  const { name, generateName } = object.metadata ?? {};
  const shown = name ?? generateName ?? '';
  return typeof shown === 'string' ? shown : JSON.stringify(shown);
}

/** A decision as `check` reports it: its violations sorted by the offline model (check-offline.ts). */
function toResult(
  object: KubeObject,
  decision: Decision,
  defaults: { namespace: string; knowledge: Knowledge; strict: boolean },
): CheckResult {
  const namespace = CLUSTER_SCOPED.has(object.kind ?? '')
    ? null
    : (object.metadata?.namespace ?? defaults.namespace);
  const sorted = sortFindings(decision.violations, defaults.knowledge, namespace ?? defaults.namespace);
  const audit = decision.mode === 'audit';
  const fails = sorted.violations.length > 0 || (defaults.strict && sorted.unknown.length > 0);
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    namespace,
    name: nameOf(object),
    allowed: audit || decision.skipped || !fails,
    violations: sorted.violations,
    unknown: sorted.unknown,
    notes: sorted.notes,
    warnings: audit ? sorted.violations.map(formatFinding) : decision.warnings,
  };
}

/** Reads -f and --state; empty input is bad usage: a CI job pointed at the wrong path must not pass. */
async function readInputs(request: CheckRequest) {
  const state = request.stateDir === undefined ? undefined : await loadStateDir(request.stateDir);
  if (state !== undefined && state.length === 0)
    throw new UsageError(`--state ${request.stateDir ?? ''}: no Kubernetes objects found in it`);
  const loaded = await loadObjects(request.files, request.load);
  const skipped = loaded.skipped.map((source) =>
    source.document === undefined ? source.file : `${source.file} (document ${source.document})`,
  );
  if (loaded.objects.length === 0) {
    const where = request.files.map((file) => (file === '-' ? '<stdin>' : file)).join(', ');
    const left = skipped.length > 0 ? ` (--skip-unknown left out ${skipped.join(', ')})` : '';
    throw new UsageError(`no Kubernetes objects found in ${where}${left}`);
  }
  return { state, inputs: loaded.objects, skipped };
}

/**
 * Judges the -f objects as one change on top of the state, as the webhook would (UPDATE when the
 * state already holds the object, CREATE otherwise): Namespaces first, against the state alone;
 * then the ServiceAccounts, policies, workloads and admitted Namespaces join the view, and each
 * workload and policy is evaluated against it. Findings are sorted by the offline model.
 */
export async function runCheck(request: CheckRequest): Promise<CheckReport> {
  const { config, namespace } = request;
  const user = checkUser(config, request.asAdmin === true);
  const read = await readInputs(request);
  const inputs = read.inputs.map((o) => withDefaultNamespace(o, namespace));
  const stateObjects = (read.state ?? []).map((object) => withDefaultNamespace(object, namespace));
  // Every ServiceAccount not shown is reported with a MissingRef; the offline model sorts it.
  const viewOptions = { istioRootNamespace: config.istioRootNamespace, serviceAccountsComplete: true };
  const base = createClusterView(stateObjects, viewOptions);
  const existing = new Map(stateObjects.map((object) => [objectKey(object), object]));
  const judge = (object: KubeObject, view: ClusterView): Decision => {
    const oldObject = existing.get(objectKey(object));
    const operation = oldObject === undefined ? 'CREATE' : 'UPDATE';
    const judged = asAdmitted(object, operation, config, namespace);
    // Under a mesh provider the mesh's injector has not run on a new Pod yet (see asAdmitted).
    const beforeMutation = judged.kind === 'Pod' && config.mesh.provider !== 'builtin';
    const input = {
      operation,
      object: judged,
      oldObject,
      namespace,
      user,
      caller: 'offline',
      beforeMutation,
    } as const;
    return withPlaceholders(object, evaluate(input, view, config));
  };
  // A refused Namespace is not created: its labels (mode=audit, exempt=true) never reach the view;
  // an admitted one joins it as the webhook leaves it (enrolled in the mesh).
  const decided = new Map<KubeObject, Decision>();
  for (const object of inputs) if (isNamespaceObject(object)) decided.set(object, judge(object, base));
  const admitted = (object: KubeObject): KubeObject =>
    isNamespaceObject(object) && !existing.has(objectKey(object))
      ? asAdmitted(object, 'CREATE', config, namespace)
      : object;
  // Nor does a manifest still holding a fix's placeholders, which kubectl apply cannot create.
  const joining = inputs.filter(
    (object) => decided.get(object)?.allowed !== false && findPlaceholderViolations(object).length === 0,
  );
  const view = extendClusterView(base, joining.map(admitted));
  const created = joining
    .filter((object) => isNamespaceObject(object) && !existing.has(objectKey(object)))
    .map((object) => String(object.metadata?.name));
  const defaults = {
    namespace,
    knowledge: knowledgeOf(read.state, created),
    strict: request.strict === true,
  };
  const results: CheckResult[] = [];
  const notJudged: string[] = [];
  for (const object of inputs) {
    const namespaceDecision = decided.get(object);
    if (namespaceDecision !== undefined) {
      results.push(toResult(object, namespaceDecision, defaults));
    } else if (!isWorkloadObject(object) && !isPolicyObject(object) && !isMtlsPolicyObject(object)) {
      notJudged.push(object.kind ?? '?');
    } else {
      const skipped = exemptByLabel(view, object.metadata?.namespace);
      results.push(toResult(object, skipped ?? judge(object, view), defaults));
    }
  }
  return { results, notJudged, skipped: read.skipped };
}
