import { carryTimestamps } from '../../policy/audit/policy-report.js';
import type { KubeObject } from '../../policy/types.js';
import { hasStatus, type KubeRest } from './kube-rest.js';
import { reportDigest } from './report-digest.js';

/** What `--apply` did: reports created, replaced and left as they were, or that the PolicyReport CRDs are absent. */
export interface ApplyReportsResult {
  readonly crdsMissing: readonly string[];
  readonly created: number;
  readonly replaced: number;
  readonly unchanged: number;
}

const GROUP_PATH = '/apis/wgpolicyk8s.io/v1alpha2';

function objectPath(report: KubeObject): { collection: string; object: string } {
  const namespace = report.metadata?.namespace;
  const plural = report.kind === 'ClusterPolicyReport' ? 'clusterpolicyreports' : 'policyreports';
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  const collection = `${GROUP_PATH}${scope}/${plural}`;
  return { collection, object: `${collection}/${encodeURIComponent(report.metadata?.name ?? '')}` };
}

/** Which of the two report kinds the API server does not serve (the wgpolicyk8s.io CRDs are optional). */
async function missingKinds(rest: KubeRest): Promise<string[]> {
  let served: readonly { name?: string }[] = [];
  try {
    served = (await rest.request<{ resources?: { name?: string }[] }>('GET', GROUP_PATH)).resources ?? [];
  } catch (error) {
    if (!hasStatus(error, 404, 503)) throw error;
  }
  const names = new Set(served.map((resource) => resource.name));
  return [
    ['policyreports', 'PolicyReport'],
    ['clusterpolicyreports', 'ClusterPolicyReport'],
  ].flatMap(([plural, kind]) => (names.has(plural) ? [] : [kind as string]));
}

/**
 * Creates or replaces each report (PolicyReport / ClusterPolicyReport) in the cluster, as the
 * background audit keeps them: a report with the same content (timestamps aside) is left as it
 * is, and a replaced one keeps the timestamps of the results it still holds.
 */
export async function applyReports(
  rest: KubeRest,
  reports: readonly KubeObject[],
): Promise<ApplyReportsResult> {
  const crdsMissing = await missingKinds(rest);
  if (crdsMissing.length > 0) return { crdsMissing, created: 0, replaced: 0, unchanged: 0 };
  let created = 0;
  let replaced = 0;
  let unchanged = 0;
  for (const report of reports) {
    const { collection, object } = objectPath(report);
    let existing: KubeObject | undefined;
    try {
      existing = await rest.request<KubeObject>('GET', object);
    } catch (error) {
      if (!hasStatus(error, 404)) throw error;
    }
    if (existing === undefined) {
      await rest.request('POST', collection, { body: report });
      created += 1;
      continue;
    }
    const labels = { ...existing.metadata?.labels, ...report.metadata?.labels };
    if (JSON.stringify(labels) === JSON.stringify(existing.metadata?.labels ?? {})) {
      if (reportDigest(existing) === reportDigest(report)) {
        unchanged += 1;
        continue;
      }
    }
    const metadata = { ...report.metadata, resourceVersion: existing.metadata?.['resourceVersion'] };
    await rest.request('PUT', object, { body: carryTimestamps({ ...report, metadata }, existing) });
    replaced += 1;
  }
  return { crdsMissing, created, replaced, unchanged };
}
