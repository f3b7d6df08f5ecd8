import { isExemptNamespace, type ZtgateConfig } from '../config.js';
import { evaluate } from '../engine.js';
import { hasDefaultDeny, RULES } from '../rules/index.js';
import type { ClusterView, KubeObject, RuleName } from '../types.js';
import { isWorkloadObject } from '../workload.js';

/** What kind of problem a finding reports. */
export type FindingCategory = 'namespace-without-default-deny' | 'workload-refused' | 'policy-refused';

/** The object a result is about, as a PolicyReport names it. */
export interface AuditResource {
  readonly apiVersion: string;
  readonly kind: string;
  /** Undefined for cluster-scoped objects (Namespace, GlobalNetworkPolicy, CCNP). */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly uid?: string;
}

/** One rule outcome on one resource; `fail` results are the findings. */
export interface AuditResult {
  readonly category: FindingCategory;
  readonly rule: RuleName;
  readonly result: 'pass' | 'fail';
  readonly resource: AuditResource;
  /** Field path of the violation ("" for pass results). */
  readonly path: string;
  readonly message: string;
}

/** The outcome of an audit: every result, and what was scanned. */
export interface AuditScan {
  readonly results: readonly AuditResult[];
  readonly findings: readonly AuditResult[];
  readonly scanned: { readonly namespaces: number; readonly workloads: number; readonly policies: number };
}

/** Called as objects are judged, for progress on a terminal. */
export type ScanProgress = (done: number, total: number) => void;

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

// A pod a controller created is judged through its controller, as admission judged it.
function isTopLevel(object: KubeObject): boolean {
  return !(object.metadata?.ownerReferences ?? []).some((reference) => reference.controller === true);
}

function judge(
  object: KubeObject,
  category: FindingCategory,
  view: ClusterView,
  config: ZtgateConfig,
): AuditResult[] {
  const decision = evaluate(
    { operation: 'CREATE', object, namespace: object.metadata?.namespace },
    view,
    config,
  );
  if (decision.skipped) return [];
  const resource = resourceOf(object, object.metadata?.namespace === undefined);
  const results: AuditResult[] = decision.violations.map((violation) => ({
    category,
    rule: violation.rule,
    result: 'fail',
    resource,
    path: violation.path,
    message: violation.message,
  }));
  const appliesTo = category === 'workload-refused' ? 'workload' : 'policy';
  const failed = new Set(results.map((result) => result.rule));
  // A pass only for the rules that judged this object as the scan asked (a CREATE): an
  // UPDATE/DELETE-only rule such as default-deny-protected did not pass, it did not run.
  const ran = RULES.filter((rule) => rule.appliesTo === appliesTo && rule.operations.includes('CREATE'));
  const passed = new Set(ran.filter((rule) => !failed.has(rule.name)).map((rule) => rule.name));
  for (const rule of passed)
    results.push({ category, rule, result: 'pass', resource, path: '', message: 'passed' });
  return results;
}

function scanNamespaces(view: ClusterView, config: ZtgateConfig): AuditResult[] {
  const results: AuditResult[] = [];
  for (const namespace of view.namespaces()) {
    if (isExemptNamespace(config, namespace.name)) continue;
    const ok = hasDefaultDeny(namespace.name, view);
    results.push({
      category: 'namespace-without-default-deny',
      rule: 'namespace-default-deny',
      result: ok ? 'pass' : 'fail',
      resource: { apiVersion: 'v1', kind: 'Namespace', namespace: undefined, name: namespace.name },
      path: '',
      message: ok
        ? 'a policy denies all ingress and egress by default'
        : `namespace ${namespace.name} has no policy denying all ingress and egress by default`,
    });
  }
  return results;
}

/**
 * Audits a cluster view: namespaces without default deny, top-level workloads and standalone pods
 * that admission would refuse today (every rule, operation CREATE), and policies it would refuse
 * (allow-all among them). Results are ordered by namespace, kind, name and rule.
 */
export function scanClusterView(
  view: ClusterView,
  config: ZtgateConfig,
  onProgress?: ScanProgress,
): AuditScan {
  const workloads = view.objects().filter((object) => isWorkloadObject(object) && isTopLevel(object));
  const policies = view.allPolicies().map((policy) => policy.source);
  const results = scanNamespaces(view, config);
  const total = workloads.length + policies.length;
  let done = 0;
  for (const [objects, category] of [
    [workloads, 'workload-refused'],
    [policies, 'policy-refused'],
  ] as const) {
    for (const object of objects) {
      results.push(...judge(object, category, view, config));
      done += 1;
      if (onProgress && (done % 100 === 0 || done === total)) onProgress(done, total);
    }
  }
  const key = (r: AuditResult): string =>
    [r.resource.namespace ?? '', r.resource.kind, r.resource.name, r.rule, r.path].join('\u0000');
  results.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    results,
    findings: results.filter((result) => result.result === 'fail'),
    scanned: { namespaces: view.namespaces().length, workloads: workloads.length, policies: policies.length },
  };
}
