import { resolveOwner } from '../cluster-view.js';
import { isExemptNamespace, type ZtgateConfig } from '../config.js';
import type { EnforcementReason } from '../desired/index.js';
import { evaluate } from '../engine.js';
import { hasDefaultDeny, RULES } from '../rules/index.js';
import { sameRef } from '../objects.js';
import type { ClusterView, KubeObject, RuleName } from '../types.js';
import { isWorkloadObject, toWorkload } from '../workload.js';
import { planEnforcement, type EnforcementPlan } from './enforcement-review.js';

/** What kind of problem a finding reports; `enforcement-withheld` is what enforcing a namespace would create. */
export type FindingCategory =
  'namespace-without-default-deny' | 'workload-refused' | 'policy-refused' | 'enforcement-withheld';

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

/** The outcome of an audit: every result, and what was scanned. */
export interface AuditScan {
  readonly results: readonly AuditResult[];
  readonly findings: readonly AuditResult[];
  /** Namespaces in audit mode or exempt by label, each judged as if enforced. */
  readonly notEnforced: readonly NamespaceReview[];
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

/**
 * Whether the object is judged on its own: a pod a controller really created is judged through
 * that controller, as admission judged it; one whose claim the view does not verify (a forged
 * ownerReference, a controller that does not exist) is its own workload and judged (resolveOwner).
 */
function isTopLevel(object: KubeObject, view: ClusterView): boolean {
  const workload = toWorkload(object);
  // A malformed workload is judged, and refused as invalid-object.
  return workload === undefined || sameRef(resolveOwner(view, workload), workload);
}

function judge(
  object: KubeObject,
  category: FindingCategory,
  view: ClusterView,
  config: ZtgateConfig,
): AuditResult[] {
  const decision = evaluate(
    { operation: 'CREATE', object, namespace: object.metadata?.namespace, caller: 'offline' },
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

function scanNamespaces(view: ClusterView, config: ZtgateConfig, plan: EnforcementPlan): AuditResult[] {
  const results: AuditResult[] = [];
  for (const namespace of view.namespaces()) {
    if (isExemptNamespace(config, namespace.name)) continue;
    const ok = hasDefaultDeny(namespace.name, plan.viewFor(namespace.name));
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

function withheldResults(plan: EnforcementPlan): AuditResult[] {
  return plan.pending.flatMap(({ namespace, enforcement, wouldCreate }) =>
    wouldCreate.map(({ rule, object }) => ({
      category: 'enforcement-withheld' as const,
      rule,
      result: 'warn' as const,
      resource: resourceOf(object),
      path: '',
      message: `namespace ${namespace} is not enforced (${enforcement.reason}); enforcing it creates ${object.kind} ${object.metadata?.name ?? ''}`,
    })),
  );
}

function reviews(plan: EnforcementPlan, findings: readonly AuditResult[]): NamespaceReview[] {
  return plan.pending.map(({ namespace, enforcement, wouldCreate }) => {
    const refused = new Map<string, AuditResource>();
    for (const { category, resource } of findings) {
      if (category === 'workload-refused' && resource.namespace === namespace)
        refused.set(`${resource.kind}/${resource.name}`, resource);
    }
    return {
      namespace,
      mode: enforcement.mode === 'exempt' ? 'exempt' : 'audit',
      reason: enforcement.reason,
      wouldCreate: wouldCreate.map(({ object }) => resourceOf(object)),
      wouldRefuse: [...refused.values()],
    };
  });
}

/**
 * Audits a cluster view: namespaces without default deny, top-level workloads and standalone pods
 * that admission would refuse today (every rule, operation CREATE), and policies it would refuse
 * (allow-all among them). Namespaces in audit mode or exempt by label are judged as if enforced,
 * with what the controllers would create there (listed as `warn` results and in `notEnforced`).
 * Results are ordered by namespace, kind, name and rule.
 */
export function scanClusterView(
  view: ClusterView,
  config: ZtgateConfig,
  onProgress?: ScanProgress,
): AuditScan {
  const workloads = view.objects().filter((object) => isWorkloadObject(object) && isTopLevel(object, view));
  const policies = view.allPolicies().map((policy) => policy.source);
  const plan = planEnforcement(view, config);
  const results = [...scanNamespaces(view, config, plan), ...withheldResults(plan)];
  const total = workloads.length + policies.length;
  let done = 0;
  for (const [objects, category] of [
    [workloads, 'workload-refused'],
    [policies, 'policy-refused'],
  ] as const) {
    for (const object of objects) {
      // Policies are judged as they are; workloads of a pending namespace as if it were enforced.
      const judgedIn =
        category === 'workload-refused' ? plan.viewFor(object.metadata?.namespace ?? '') : view;
      results.push(...judge(object, category, judgedIn, config));
      done += 1;
      if (onProgress && (done % 100 === 0 || done === total)) onProgress(done, total);
    }
  }
  const key = (r: AuditResult): string =>
    [r.resource.namespace ?? '', r.resource.kind, r.resource.name, r.rule, r.path].join('\u0000');
  results.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const findings = results.filter((result) => result.result === 'fail');
  return {
    results,
    findings,
    notEnforced: reviews(plan, findings),
    scanned: { namespaces: view.namespaces().length, workloads: workloads.length, policies: policies.length },
  };
}
