import { digestOf, reportDigest } from '../adapters/kube/report-digest.js';
import { resourceKey, type ResourceSpec } from '../adapters/kube/resources.js';
import type { ViewSnapshot } from '../adapters/view-source.js';
import {
  buildClusterReport,
  buildNamespaceReport,
  carryTimestamps,
  REPORT_NAME,
} from '../policy/audit/policy-report.js';
import { scanClusterScoped, scanNamespace } from '../policy/audit/scan.js';
import {
  buildViolationEvent,
  findingsByWorkload,
  findingsIdentity,
} from '../policy/audit/workload-events.js';
import type { ZtgateConfig } from '../policy/config.js';
import { namespaceEnforcement } from '../policy/desired/index.js';
import type { KubeObject } from '../policy/types.js';
import { createAuditPasses, type AuditStatus, type Judging } from './audit-passes.js';
import { injectorWatches, readInjector } from './mesh-injector.js';
import type { Controller, ControllerContext, EnsureIntent, Intent } from './runtime/controller.js';
import { isManagedByZtgate, ownedObject, unwanted } from './runtime/intents.js';

export type { AuditStatus } from './audit-passes.js';

const REPORTS = { group: 'wgpolicyk8s.io', version: 'v1alpha2', namespaced: true } as const;
const POLICY_REPORTS: ResourceSpec = { ...REPORTS, plural: 'policyreports', kind: 'PolicyReport' };
const CLUSTER_REPORTS: ResourceSpec = {
  ...REPORTS,
  plural: 'clusterpolicyreports',
  kind: 'ClusterPolicyReport',
  namespaced: false,
};
const EVENTS: ResourceSpec = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
/** The key of the cluster-scoped policies (no namespace is named ''). */
const CLUSTER = '';

/** The background audit controller, with what its metrics read. */
export interface BackgroundAudit extends Controller {
  readonly status: AuditStatus;
}

/** The report ztgate keeps, compared by content digest; its body is built only when a write needs it. */
function reportIntent(
  resource: ResourceSpec,
  key: string,
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
    namespace: resource.namespaced ? key : undefined,
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

/** How long a namespace's inputs must hold before its Events are posted (see desired()). */
export const EVENT_SETTLE_MS = 1000;

/** One namespace judged: its report, and an Event named after each refused workload's findings. */
function judgeNamespace(
  config: ZtgateConfig,
  snapshot: ViewSnapshot,
  namespace: string,
  audit: boolean,
  seconds: number,
): Judging {
  // The report counts passes and lists the rest: the scan builds no pass result.
  const { results, passes } = scanNamespace(snapshot.view, config, namespace, snapshot.objectsIn(namespace), {
    listPasses: false,
  });
  const events = new Map<string, () => KubeObject>();
  for (const workload of findingsByWorkload(results, config)) {
    if (workload.resource.uid === undefined) continue;
    // The same findings make the same name: a leader posts it once, and a new leader finds it there.
    const hash = digestOf(findingsIdentity(workload)).slice(0, 16);
    const name = `${workload.resource.name.slice(0, 200)}.ztgate.${hash}`;
    events.set(name, () => buildViolationEvent(workload, { name, seconds, audit }));
  }
  const report = (): KubeObject => buildNamespaceReport(namespace, results, seconds, passes);
  return { namespace, results, unlistedPasses: passes, report, events };
}

/**
 * The background audit: what `ztgate audit` finds, kept current on the leader. Each namespace's
 * PolicyReport (its workloads, its policies, its default deny; under a mesh its enrolment, STRICT
 * mTLS, unmeshed running pods, PeerAuthentications and DestinationRules; audit-mode namespaces
 * judged as if enforced) and the ClusterPolicyReport (cluster-wide policies, the mesh injector)
 * are compared by content and rewritten only when it changed; each refused workload gets one Warning Event per set of findings. A namespace is judged
 * again when the view says its inputs changed, and every one on a full pass every
 * `audit.intervalSeconds`; exempt namespaces get no report (ztgate removes its own).
 */
export function backgroundAuditController(
  config: ZtgateConfig,
  options: { readonly now?: () => number } = {},
): BackgroundAudit {
  const now = options.now ?? Date.now;
  const passes = createAuditPasses({ now, intervalMs: config.audit.intervalSeconds * 1000 });
  // Per namespace, when each Event's findings were first seen (ms): only the Events it wants now.
  const firstSeen = new Map<string, Map<string, number>>();
  const reports = (
    context: ControllerContext,
    resource: ResourceSpec,
    key: string,
    digest: string,
    body: () => KubeObject,
  ): Intent[] => (context.serves(resource) === true ? [reportIntent(resource, key, digest, body)] : []);
  // The mesh's injector, read through the mesh-injector check's watches (one cache for both).
  const injector = injectorWatches(config);

  return {
    name: 'background-audit',
    owns: [POLICY_REPORTS, CLUSTER_REPORTS],
    // Every report carries one name: RBAC grants reports by that name alone.
    ownedNames: { [resourceKey(POLICY_REPORTS)]: REPORT_NAME, [resourceKey(CLUSTER_REPORTS)]: REPORT_NAME },
    optionalOwns: [resourceKey(POLICY_REPORTS), resourceKey(CLUSTER_REPORTS)],
    readsView: true,
    watches: injector?.watches ?? [],
    desired(namespace, context) {
      const { name } = namespace;
      if (namespace.enforcement.mode === 'exempt') {
        passes.forget(name);
        firstSeen.delete(name);
        return context.serves(POLICY_REPORTS) === true ? [unwanted(POLICY_REPORTS, name, REPORT_NAME)] : [];
      }
      const snapshot = context.view();
      if (snapshot === undefined) return [];
      const audit = namespace.enforcement.mode === 'audit';
      const { entry, judgement } = passes.current(name, snapshot, (seconds) =>
        judgeNamespace(config, snapshot, name, audit, seconds),
      );
      passes.done(name);
      // An Event is history nobody takes back: it waits until its findings have held for
      // EVENT_SETTLE_MS. One `kubectl apply` of a ServiceAccount, a policy and the Deployment that
      // uses them reaches ztgate on three watches, each in its own time; a view published between
      // them judges a Deployment whose policy has not arrived yet, a finding set (an Event name)
      // that is gone a moment later. Counted per Event, not per namespace: other changes in the
      // namespace (pods coming and going all day) must not hold a standing finding's Event back
      // for ever. The report is current state and is rewritten at once.
      const seen = firstSeen.get(name);
      const wanted = new Map(entry.events.map((eventName) => [eventName, seen?.get(eventName) ?? now()]));
      if (wanted.size === 0) firstSeen.delete(name);
      else firstSeen.set(name, wanted);
      const events = entry.events.map((eventName): Intent => ({
        action: 'post',
        resource: EVENTS,
        namespace: name,
        name: eventName,
        notBefore: (wanted.get(eventName) ?? 0) + EVENT_SETTLE_MS,
        get body() {
          return judgement().events.get(eventName)?.();
        },
      }));
      return [...reports(context, POLICY_REPORTS, name, entry.digest, () => judgement().report()), ...events];
    },
    desiredCluster(context) {
      const snapshot = context.view();
      if (snapshot === undefined) return [];
      const live = reportedNamespaces(config, snapshot);
      passes.startIfDue(live, CLUSTER);
      for (const key of firstSeen.keys()) if (!live.has(key)) firstSeen.delete(key);
      const status = injector === undefined ? undefined : readInjector(config, injector, context);
      const facts = { injector: status };
      const inputs = status === undefined ? '' : `${status.present} ${status.name} ${status.message}`;
      const { entry, judgement } = passes.current(
        CLUSTER,
        snapshot,
        (seconds) => {
          const results = scanClusterScoped(snapshot.view, config, snapshot.objectsIn(CLUSTER), facts);
          return {
            namespace: undefined,
            results,
            unlistedPasses: 0,
            report: () => buildClusterReport(results, seconds),
            events: new Map(),
          };
        },
        inputs,
      );
      return reports(context, CLUSTER_REPORTS, CLUSTER, entry.digest, () => judgement().report());
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
    status: passes.status,
  };
}
