import { digestOf, digestOfLines, reportDigest } from '../adapters/kube/report-digest.js';
import { resourceKey, type ResourceSpec } from '../adapters/kube/resources.js';
import type { ViewSnapshot } from '../adapters/view-source.js';
import {
  buildClusterReport,
  buildNamespaceReport,
  carryTimestamps,
  REPORT_NAME,
  resultsContentLines,
} from '../policy/audit/policy-report.js';
import { scanClusterScoped, scanNamespace, type AuditResult } from '../policy/audit/scan.js';
import {
  buildViolationEvent,
  findingsByWorkload,
  findingsIdentity,
} from '../policy/audit/workload-events.js';
import type { ZtgateConfig } from '../policy/config.js';
import { namespaceEnforcement } from '../policy/desired/index.js';
import type { KubeObject } from '../policy/types.js';
import type { Controller, ControllerContext, EnsureIntent, Intent } from './runtime/controller.js';
import { isManagedByZtgate, ownedObject, unwanted } from './runtime/intents.js';

const REPORTS = { group: 'wgpolicyk8s.io', version: 'v1alpha2', namespaced: true } as const;
const POLICY_REPORTS: ResourceSpec = { ...REPORTS, plural: 'policyreports', kind: 'PolicyReport' };
const CLUSTER_REPORTS: ResourceSpec = {
  ...REPORTS,
  plural: 'clusterpolicyreports',
  kind: 'ClusterPolicyReport',
  namespaced: false,
};
const EVENTS: ResourceSpec = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
/** The memo key of the cluster-scoped policies (no namespace is named ''). */
const CLUSTER = '';

/** What the audit remembers of a namespace: enough to know it is current, never the report itself. */
interface Judged {
  /** The view's changedAt for the namespace when it was judged. */
  readonly at: number;
  readonly pass: number;
  /** When (seconds): the report's timestamps, so a rebuilt report is the same report. */
  readonly seconds: number;
  readonly digest: string;
  /** Findings (fail results) by rule. */
  readonly findings: ReadonlyMap<string, number>;
  readonly events: readonly string[];
}

/** A fresh judgement; the report and Event bodies are built only when a write sends them. */
interface Judgement {
  readonly judged: Judged;
  report(): KubeObject;
  readonly events: ReadonlyMap<string, () => KubeObject>;
}

/** What the metrics read: findings by namespace ('' for cluster-scoped policies) and rule, and the last full pass. */
export interface AuditStatus {
  findings(): Iterable<{ readonly namespace: string; readonly rule: string; readonly count: number }>;
  lastFullPass(): { readonly endedAt: number; readonly durationSeconds: number } | undefined;
}

/** The background audit controller, with what its metrics read. */
export interface BackgroundAudit extends Controller {
  readonly status: AuditStatus;
}

function countFindings(results: readonly AuditResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { result, rule } of results)
    if (result === 'fail') counts.set(rule, (counts.get(rule) ?? 0) + 1);
  return counts;
}

/** The report ztgate keeps, compared by content digest; its body is built only when a write needs it. */
function reportIntent(
  resource: ResourceSpec,
  namespace: string,
  digest: string,
  body: () => KubeObject,
): EnsureIntent {
  let owned: EnsureIntent | undefined;
  const intent = (): EnsureIntent =>
    (owned ??= ownedObject({
      resource,
      object: body(),
      enforcing: false,
      content: ['scope', 'summary', 'results'],
      sameContent: (existing) => reportDigest(existing) === digest,
    }));
  return {
    action: 'ensure',
    resource,
    namespace: resource.namespaced ? namespace : undefined,
    name: REPORT_NAME,
    enforcing: false,
    fingerprint: digest,
    get create() {
      return intent().create;
    },
    isUpToDate: (existing) => isManagedByZtgate(existing) && reportDigest(existing) === digest,
    replacement: (existing) => carryTimestamps(intent().replacement(existing), existing),
  };
}

/** Namespaces the audit reports on: neither exempt nor being deleted. */
function reportedNamespaces(config: ZtgateConfig, snapshot: ViewSnapshot): Set<string> {
  const names = new Set<string>();
  for (const object of snapshot.objectsIn('')) {
    const name = object.metadata?.name;
    if (object.kind !== 'Namespace' || name === undefined || object.metadata?.['deletionTimestamp']) continue;
    if (namespaceEnforcement(config, name, snapshot.view.namespace(name)?.labels ?? {}).mode !== 'exempt')
      names.add(name);
  }
  return names;
}

/**
 * The background audit: what `ztgate audit` finds, kept current on the leader. Each namespace's
 * PolicyReport (its workloads, its policies, its default deny; audit-mode namespaces judged as if
 * enforced) and the ClusterPolicyReport are compared by content and rewritten only when it
 * changed; each refused workload gets one Warning Event per set of findings. A namespace is judged
 * again when the view says its inputs changed, and every one on a full pass every
 * `audit.intervalSeconds`; exempt namespaces get no report (ztgate removes its own).
 */
export function backgroundAuditController(
  config: ZtgateConfig,
  options: { readonly now?: () => number } = {},
): BackgroundAudit {
  const now = options.now ?? Date.now;
  const intervalMs = config.audit.intervalSeconds * 1000;
  const memo = new Map<string, Judged>();
  let passId = 0;
  let lastStart = Number.NEGATIVE_INFINITY;
  let pass: { readonly id: number; readonly startedAt: number; readonly pending: Set<string> } | undefined;
  let lastFull: { endedAt: number; durationSeconds: number } | undefined;

  function finishPass(): void {
    if (pass === undefined || pass.pending.size > 0) return;
    const endedAt = now();
    lastFull = { endedAt, durationSeconds: (endedAt - pass.startedAt) / 1000 };
    pass = undefined;
  }

  /** What the memo keeps of a judgement: its digest is that of the report built from `results`. */
  function judged(
    at: number,
    seconds: number,
    namespace: string | undefined,
    results: readonly AuditResult[],
    events: readonly string[],
  ): Judged {
    const digest = digestOfLines(resultsContentLines(namespace, results));
    return { at, pass: pass?.id ?? passId, seconds, digest, findings: countFindings(results), events };
  }

  function judgeNamespace(snapshot: ViewSnapshot, name: string, audit: boolean, seconds: number): Judgement {
    const { results } = scanNamespace(snapshot.view, config, name, snapshot.objectsIn(name));
    const events = new Map<string, () => KubeObject>();
    for (const workload of findingsByWorkload(results, config)) {
      if (workload.resource.uid === undefined) continue;
      // Named after the findings: the same findings make the same name, which a leader posts once.
      const hash = digestOf(findingsIdentity(workload)).slice(0, 16);
      const eventName = `${workload.resource.name.slice(0, 200)}.ztgate.${hash}`;
      events.set(eventName, () => buildViolationEvent(workload, { name: eventName, seconds, audit }));
    }
    const at = snapshot.changedAt(name);
    return {
      judged: judged(at, seconds, name, results, [...events.keys()]),
      report: () => buildNamespaceReport(name, results, seconds),
      events,
    };
  }

  /** The memo entry when it is current for this view and pass; else a fresh judgement, remembered. */
  function current(key: string, snapshot: ViewSnapshot, judge: (seconds: number) => Judgement) {
    const entry = memo.get(key);
    if (entry !== undefined && entry.at === snapshot.changedAt(key) && entry.pass >= (pass?.id ?? passId)) {
      // Built again only if a write needs the body: same inputs, same timestamps, same report.
      let again: Judgement | undefined;
      const judgement = (): Judgement => {
        again ??= judge(entry.seconds);
        // Never expected: judging is deterministic. Remember what was written, or it is rewritten on every pass.
        if (again.judged.digest !== entry.digest) memo.set(key, again.judged);
        return again;
      };
      return { entry, judgement };
    }
    const fresh = judge(Math.floor(now() / 1000));
    memo.set(key, fresh.judged);
    return { entry: fresh.judged, judgement: () => fresh };
  }

  function reportIntents(
    context: ControllerContext,
    resource: ResourceSpec,
    key: string,
    digest: string,
    body: () => KubeObject,
  ): Intent[] {
    return context.serves(resource) === true ? [reportIntent(resource, key, digest, body)] : [];
  }

  return {
    name: 'background-audit',
    owns: [POLICY_REPORTS, CLUSTER_REPORTS],
    // Every report carries one name: RBAC grants reports by that name alone.
    ownedNames: { [resourceKey(POLICY_REPORTS)]: REPORT_NAME, [resourceKey(CLUSTER_REPORTS)]: REPORT_NAME },
    optionalOwns: [resourceKey(POLICY_REPORTS), resourceKey(CLUSTER_REPORTS)],
    readsView: true,
    watches: [],
    desired(namespace, context) {
      const { name } = namespace;
      if (namespace.enforcement.mode === 'exempt') {
        memo.delete(name);
        pass?.pending.delete(name);
        finishPass();
        return context.serves(POLICY_REPORTS) === true ? [unwanted(POLICY_REPORTS, name, REPORT_NAME)] : [];
      }
      const snapshot = context.view();
      if (snapshot === undefined) return [];
      const audit = namespace.enforcement.mode === 'audit';
      const { entry, judgement } = current(name, snapshot, (seconds) =>
        judgeNamespace(snapshot, name, audit, seconds),
      );
      pass?.pending.delete(name);
      finishPass();
      const events: Intent[] = entry.events.map((eventName) => ({
        action: 'post',
        resource: EVENTS,
        namespace: name,
        name: eventName,
        get body() {
          return judgement().events.get(eventName)?.();
        },
      }));
      return [
        ...reportIntents(context, POLICY_REPORTS, name, entry.digest, () => judgement().report()),
        ...events,
      ];
    },
    desiredCluster(context) {
      const snapshot = context.view();
      if (snapshot === undefined) return [];
      const live = reportedNamespaces(config, snapshot);
      for (const key of memo.keys()) if (key !== CLUSTER && !live.has(key)) memo.delete(key);
      if (pass === undefined && now() - lastStart >= intervalMs) {
        passId += 1;
        lastStart = now();
        pass = { id: passId, startedAt: lastStart, pending: live };
      } else if (pass !== undefined) {
        for (const key of pass.pending) if (!live.has(key)) pass.pending.delete(key);
      }
      finishPass();
      const { entry, judgement } = current(CLUSTER, snapshot, (seconds) => {
        const results = scanClusterScoped(snapshot.view, config, snapshot.objectsIn(CLUSTER));
        const at = snapshot.changedAt(CLUSTER);
        return {
          judged: judged(at, seconds, undefined, results, []),
          report: () => buildClusterReport(results, seconds),
          events: new Map(),
        };
      });
      return reportIntents(context, CLUSTER_REPORTS, CLUSTER, entry.digest, () => judgement().report());
    },
    conditions(context) {
      const missing = [POLICY_REPORTS, CLUSTER_REPORTS].filter(
        (resource) => context.serves(resource) === false,
      );
      if (missing.length === 0) return [];
      return [
        {
          key: 'policy-reports-missing',
          message:
            'the PolicyReport CRDs (wgpolicyk8s.io/v1alpha2) are not installed: the audit posts Events and exports metrics, and writes its reports once they are',
          fields: { missing: missing.map((resource) => resource.kind) },
        },
      ];
    },
    status: {
      *findings() {
        for (const [namespace, entry] of memo)
          for (const [rule, count] of entry.findings) yield { namespace, rule, count };
      },
      lastFullPass: () => lastFull,
    },
  };
}
