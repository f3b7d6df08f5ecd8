import { resolveOwner } from '../cluster-view.js';
import { isExemptNamespace, type ZtgateConfig } from '../config.js';
import type { InjectorStatus } from '../mesh/injector.js';
import type { EnforcementReason } from '../desired/index.js';
import { evaluate, type KnownReading } from '../engine.js';
import { buildDefaultDenyFix } from '../fix/index.js';
import { isPolicyObject } from '../policies/index.js';
import { hasDefaultDeny, RULES } from '../rules/index.js';
import { nonEmptyString, sameRef } from '../objects.js';
import type { ClusterView, KubeObject, NormalizedPolicy, RuleName } from '../types.js';
import { isMtlsPolicyObject } from '../mesh/mtls-policies.js';
import { partitionOf } from '../view-partitions.js';
import { isWorkloadObject, readWorkload, type WorkloadReading } from '../workload.js';
import { planNamespace, type PendingNamespace } from './enforcement-review.js';
import { isMeshJudged, scanNamespaceMesh, scanPodMesh } from './mesh-scan.js';

/** What kind of problem a finding reports; `enforcement-withheld` is what enforcing a namespace would create. */
export type FindingCategory =
  | 'namespace-without-default-deny'
  | 'namespace-not-enrolled'
  | 'namespace-without-strict-mtls'
  | 'workload-refused'
  | 'pod-not-meshed'
  | 'policy-refused'
  | 'enforcement-withheld'
  | 'mesh-injector-missing';

/** The object a result is about, as a PolicyReport names it. */
export interface AuditResource {
  readonly apiVersion: string;
  readonly kind: string;
  /** Undefined for cluster-scoped objects (Namespace, GlobalNetworkPolicy, CCNP). */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly uid?: string;
}

/**
 * One rule outcome on one resource; `fail` results are the findings. `warn` results name an
 * object a namespace in audit mode or exempt by label lacks, which enforcing it would create.
 */
export interface AuditResult {
  readonly category: FindingCategory;
  readonly rule: RuleName;
  readonly result: 'pass' | 'fail' | 'warn';
  readonly resource: AuditResource;
  /** Field path of the violation ("" for pass results). */
  readonly path: string;
  readonly message: string;
  /** The exact fix of a `fail` result, as the webhook's denial gives it ("" otherwise). */
  readonly fix: string;
}

/** A namespace not enforced yet: the review an admin reads before switching it to enforce. */
export interface NamespaceReview {
  readonly namespace: string;
  readonly mode: 'audit' | 'exempt';
  readonly reason: EnforcementReason;
  /** What ztgate's controllers would create within a second of the switch. */
  readonly wouldCreate: readonly AuditResource[];
  /** Top-level workloads and standalone pods judged as if enforced that admission would refuse. */
  readonly wouldRefuse: readonly AuditResource[];
}

/** What was scanned. */
export interface ScanCounts {
  readonly namespaces: number;
  readonly workloads: number;
  readonly policies: number;
}

/** The outcome of an audit: every result, and what was scanned. */
export interface AuditScan {
  readonly results: readonly AuditResult[];
  readonly findings: readonly AuditResult[];
  /** Namespaces in audit mode or exempt by label, each judged as if enforced. */
  readonly notEnforced: readonly NamespaceReview[];
  readonly scanned: ScanCounts;
}

/** The audit of one namespace: its Namespace, its workloads and policies, and the review when not enforced. */
export interface NamespaceScan {
  readonly namespace: string;
  /**
   * Ordered by kind, name, rule and path; the Namespace's own results first. Without pass
   * results when the scan was asked for none (`listPasses: false`).
   */
  readonly results: readonly AuditResult[];
  /** The pass results, listed in `results` or not. */
  readonly passes: number;
  readonly review: NamespaceReview | undefined;
  readonly scanned: { readonly workloads: number; readonly policies: number };
}

/** Called as objects are judged, for progress on a terminal. */
export type ScanProgress = (done: number, total: number) => void;

/** What the scan knows beyond the view. */
export interface ScanFacts {
  /**
   * The mesh injector check (cluster mode: the objects read by name, judged by judgeInjector);
   * undefined when it was not made (a state folder, the builtin injector).
   */
  readonly injector?: InjectorStatus | undefined;
}

/** The injector check as a cluster-scoped result: without the injector no enforced pod is meshed. */
function injectorResults(injector: InjectorStatus | undefined): AuditResult[] {
  if (injector === undefined) return [];
  const { expectation } = injector;
  return [
    {
      category: 'mesh-injector-missing',
      rule: 'mesh-enrolment',
      result: injector.present ? 'pass' : 'fail',
      resource: {
        apiVersion: expectation.apiVersion,
        kind: expectation.kind,
        namespace: expectation.namespace,
        name: injector.name,
      },
      path: '',
      message: injector.message,
      fix: '',
    },
  ];
}

function resourceOf(object: KubeObject, clusterScoped = false): AuditResource {
  const uid = object.metadata?.uid;
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    namespace: clusterScoped ? undefined : object.metadata?.namespace,
    name: object.metadata?.name ?? '',
    ...(typeof uid === 'string' ? { uid } : {}),
  };
}

/**
 * Whether the workload read is judged on its own: a pod a controller really created is judged
 * through that controller, as admission judged it; one whose claim the view does not verify (a
 * forged ownerReference, a controller that does not exist) is its own workload and judged
 * (resolveOwner).
 */
function isTopLevel(reading: WorkloadReading | undefined, view: ClusterView): boolean {
  const workload = reading?.workload;
  // A malformed workload is judged, and refused as invalid-object.
  return workload === undefined || sameRef(resolveOwner(view, workload), workload);
}

/**
 * Where a scan puts its results. Pass results are most of them (every rule passing on every
 * workload: 436,370 beside 9,710 findings at the benchmark's 1× view) and a report only counts
 * them: a caller that lists none has them counted, never built.
 */
interface Collector {
  readonly results: AuditResult[];
  readonly listPasses: boolean;
  passes: number;
}

function judge(
  object: KubeObject,
  category: FindingCategory,
  view: ClusterView,
  config: ZtgateConfig,
  into: Collector,
  known?: KnownReading,
): void {
  const decision = evaluate(
    { operation: 'CREATE', object, namespace: object.metadata?.namespace, caller: 'offline' },
    view,
    config,
    RULES,
    known,
  );
  if (decision.skipped) return;
  const resource = resourceOf(object, object.metadata?.namespace === undefined);
  const failed = new Set<RuleName>();
  for (const violation of decision.violations) {
    failed.add(violation.rule);
    into.results.push({
      category,
      rule: violation.rule,
      result: 'fail',
      resource,
      path: violation.path,
      message: violation.message,
      fix: violation.fix,
    });
  }
  const ran = isMtlsPolicyObject(object)
    ? RAN['mesh-policy']
    : RAN[category === 'workload-refused' ? 'workload' : 'policy'];
  for (const rule of ran) {
    if (failed.has(rule)) continue;
    into.passes += 1;
    if (into.listPasses)
      into.results.push({ category, rule, result: 'pass', resource, path: '', message: 'passed', fix: '' });
  }
}

/** Adds `results` to the collector, counting its pass results and keeping them only when listed. */
function collect(into: Collector, results: readonly AuditResult[]): void {
  for (const result of results) {
    if (result.result === 'pass') {
      into.passes += 1;
      if (!into.listPasses) continue;
    }
    into.results.push(result);
  }
}

// A pass only for the rules that judge an object as the scan asks (a CREATE): an UPDATE/DELETE-only
// rule such as default-deny-protected did not pass, it did not run. One name per rule.
const ranFor = (appliesTo: string): readonly RuleName[] => [
  ...new Set(
    RULES.filter((rule) => rule.appliesTo === appliesTo && rule.operations.includes('CREATE')).map(
      (rule) => rule.name,
    ),
  ),
];
const RAN = {
  workload: ranFor('workload'),
  policy: ranFor('policy'),
  'mesh-policy': ranFor('mesh-policy'),
} as const;

function namespaceResult(name: string, view: ClusterView, config: ZtgateConfig): AuditResult {
  const ok = hasDefaultDeny(name, view);
  return {
    category: 'namespace-without-default-deny',
    rule: 'namespace-default-deny',
    result: ok ? 'pass' : 'fail',
    resource: { apiVersion: 'v1', kind: 'Namespace', namespace: undefined, name },
    path: '',
    message: ok
      ? 'a policy denies all ingress and egress by default'
      : `namespace ${name} has no policy denying all ingress and egress by default`,
    fix: ok ? '' : buildDefaultDenyFix(name, config),
  };
}

function withheldResults({ namespace, enforcement, wouldCreate }: PendingNamespace): AuditResult[] {
  return wouldCreate.map(({ rule, object, change }) => ({
    category: 'enforcement-withheld' as const,
    rule,
    result: 'warn' as const,
    resource: resourceOf(object, object.kind === 'Namespace'),
    path: '',
    message:
      `namespace ${namespace} is not enforced (${enforcement.reason}); enforcing it ` +
      (change === undefined
        ? `creates ${object.kind} ${object.metadata?.name ?? ''}`
        : `sets ${change} on ${object.kind} ${object.metadata?.name ?? ''}`),
    fix: '',
  }));
}

function reviewOf(pending: PendingNamespace, results: readonly AuditResult[]): NamespaceReview {
  const refused = new Map<string, AuditResource>();
  for (const { category, result, resource } of results) {
    if (category === 'workload-refused' && result === 'fail')
      refused.set(`${resource.kind}/${resource.name}`, resource);
  }
  return {
    namespace: pending.namespace,
    mode: pending.enforcement.mode === 'exempt' ? 'exempt' : 'audit',
    reason: pending.enforcement.reason,
    wouldCreate: pending.wouldCreate.map(({ object }) => resourceOf(object, object.kind === 'Namespace')),
    wouldRefuse: [...refused.values()],
  };
}

/**
 * The namespace's policies as the view normalized them, by object: the engine's own reading of
 * the same object, so not read again. Only where it cannot differ from the engine's: the object
 * names its namespace (no default namespace applies) and is not Istio's (the one flavour that
 * reads an option, the root namespace, which the view and the config could set apart).
 */
function viewNormalized(view: ClusterView, namespace: string): Map<KubeObject, NormalizedPolicy> {
  const byObject = new Map<KubeObject, NormalizedPolicy>();
  for (const policy of view.policiesFor(namespace)) {
    const { source } = policy;
    if (policy.flavour === 'istio' || source.metadata?.namespace !== namespace) continue;
    byObject.set(source, policy);
  }
  return byObject;
}

/** Orders results by namespace, kind, name, rule and path; each key is built once. */
export function sortResults(results: readonly AuditResult[]): AuditResult[] {
  const keyed = results.map((r) => ({
    r,
    key: [r.resource.namespace ?? '', r.resource.kind, r.resource.name, r.rule, r.path].join('\u0000'),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ r }) => r);
}

/**
 * Audits one namespace: whether it has a default deny and, under a mesh, whether it is enrolled and
 * STRICT; its top-level workloads and standalone pods that admission would refuse today (every
 * rule, operation CREATE), its running pods that are not meshed, and its policies that admission
 * would refuse (allow-all among them, and the mesh's PeerAuthentications and DestinationRules).
 * `objects` are the namespace's objects as the view holds them (workloads and pods, the policies
 * that normalized, PeerAuthentications and DestinationRules). A namespace in audit mode or exempt
 * by label is judged as if enforced, with what the controllers would create there (warn results
 * and the review). A namespace exempt by config yields nothing. `listPasses: false` leaves the
 * pass results out of `results` (counted in `passes`): what a report needs.
 */
export function scanNamespace(
  view: ClusterView,
  config: ZtgateConfig,
  namespace: string,
  objects: Iterable<KubeObject>,
  options: { readonly listPasses?: boolean } = {},
): NamespaceScan {
  // Workloads may sit in a namespace the view does not hold (a state folder without it): judged, no Namespace result.
  const info = view.namespace(namespace);
  const exempt = isExemptNamespace(config, namespace);
  const plan = exempt
    ? undefined
    : planNamespace(view, config, info ?? { name: namespace, labels: {}, annotations: {} });
  const into: Collector = { results: [], listPasses: options.listPasses ?? true, passes: 0 };
  if (plan !== undefined && info !== undefined)
    collect(into, [namespaceResult(namespace, plan.view, config), ...scanNamespaceMesh(info, view, config)]);
  if (plan?.pending !== undefined) collect(into, withheldResults(plan.pending));
  const meshed = plan !== undefined && isMeshJudged(config, namespace, info?.labels ?? {});
  const normalized = plan === undefined ? undefined : viewNormalized(view, namespace);
  const scanned = { workloads: 0, policies: 0 };
  for (const object of objects) {
    if (isWorkloadObject(object)) {
      const reading = readWorkload(object);
      const topLevel = isTopLevel(reading, view);
      if (meshed) collect(into, scanPodMesh(object, topLevel, view, config, reading));
      if (!topLevel) continue;
      scanned.workloads += 1;
      // The engine reads the object with the request's namespace as a fallback: the same reading
      // when the object names its namespace (a namespace's objects do).
      const known =
        nonEmptyString(object.metadata?.namespace) === undefined ? undefined : { object, workload: reading };
      // Workloads of a pending namespace are judged as if it were enforced; policies as they are.
      if (plan !== undefined) judge(object, 'workload-refused', plan.view, config, into, known);
    } else if (isPolicyObject(object) || isMtlsPolicyObject(object)) {
      scanned.policies += 1;
      const policy = normalized?.get(object);
      const known = policy === undefined ? undefined : { object, policy };
      if (plan !== undefined) judge(object, 'policy-refused', view, config, into, known);
    }
  }
  const sorted = sortResults(into.results);
  const review = plan?.pending === undefined ? undefined : reviewOf(plan.pending, sorted);
  return { namespace, results: sorted, passes: into.passes, review, scanned };
}

/**
 * Audits the cluster-scoped policies (Calico GlobalNetworkPolicies, Cilium CCNPs) among `objects`,
 * and the mesh injector when the caller checked it (`facts`).
 */
export function scanClusterScoped(
  view: ClusterView,
  config: ZtgateConfig,
  objects: Iterable<KubeObject>,
  facts: ScanFacts = {},
): AuditResult[] {
  const into: Collector = { results: injectorResults(facts.injector), listPasses: true, passes: 0 };
  for (const object of objects) {
    if (isPolicyObject(object) && partitionOf(object) === '')
      judge(object, 'policy-refused', view, config, into);
  }
  return sortResults(into.results);
}

/**
 * The objects each namespace's audit reads, as a watch cache's partition holds them: its workloads
 * and pods, the policies the view normalized, and the mesh's PeerAuthentications and DestinationRules.
 */
function objectsByPartition(view: ClusterView): Map<string, KubeObject[]> {
  const groups = new Map<string, KubeObject[]>();
  const add = (object: KubeObject): void => {
    const partition = partitionOf(object);
    const group = groups.get(partition);
    if (group === undefined) groups.set(partition, [object]);
    else group.push(object);
  };
  for (const object of view.objects())
    if (isWorkloadObject(object) || isMtlsPolicyObject(object)) add(object);
  for (const policy of view.allPolicies()) add(policy.source);
  return groups;
}

/**
 * Audits a cluster view: every namespace as scanNamespace does, the cluster-scoped policies, the
 * mesh's namespace and pod findings, and the mesh injector when the caller checked it (`facts`).
 * Results are ordered by namespace (cluster-scoped first), kind, name and rule.
 */
export function scanClusterView(
  view: ClusterView,
  config: ZtgateConfig,
  onProgress?: ScanProgress,
  facts: ScanFacts = {},
): AuditScan {
  const groups = objectsByPartition(view);
  const total = [...groups.values()].reduce((sum, group) => sum + group.length, 0);
  let done = 0;
  const report = (count: number): void => {
    const before = done;
    done += count;
    if (onProgress && count > 0 && (Math.floor(done / 100) > Math.floor(before / 100) || done === total))
      onProgress(done, total);
  };
  const results = scanClusterScoped(view, config, groups.get('') ?? [], facts);
  report(groups.get('')?.length ?? 0);
  const notEnforced: NamespaceReview[] = [];
  const scanned = { namespaces: view.namespaces().length, workloads: 0, policies: 0 };
  const partitions = new Set([...view.namespaces().map((info) => info.name), ...groups.keys()]);
  partitions.delete('');
  for (const namespace of partitions) {
    const scan = scanNamespace(view, config, namespace, groups.get(namespace) ?? []);
    results.push(...scan.results);
    if (scan.review !== undefined) notEnforced.push(scan.review);
    scanned.workloads += scan.scanned.workloads;
    scanned.policies += scan.scanned.policies;
    report(groups.get(namespace)?.length ?? 0);
  }
  notEnforced.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  const sorted = sortResults(results);
  return {
    results: sorted,
    findings: sorted.filter((result) => result.result === 'fail'),
    notEnforced,
    scanned: { ...scanned, policies: scanned.policies + (groups.get('')?.length ?? 0) },
  };
}
