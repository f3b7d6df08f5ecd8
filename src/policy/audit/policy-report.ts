import { MANAGED_BY_LABEL } from '../config.js';
import type { KubeObject } from '../types.js';
import type { AuditResult, AuditScan } from './scan.js';

/** The name of every report ztgate writes (one per namespace, one cluster-wide). */
export const REPORT_NAME = 'ztgate-audit';

/** wgpolicyk8s.io/v1alpha2 result counts. */
export interface ReportSummary {
  readonly pass: number;
  readonly fail: number;
  readonly warn: number;
  readonly error: number;
  readonly skip: number;
}

function summarize(results: readonly AuditResult[]): ReportSummary {
  const count = (kind: AuditResult['result']): number =>
    results.filter((result) => result.result === kind).length;
  return { pass: count('pass'), fail: count('fail'), warn: count('warn'), error: 0, skip: 0 };
}

const SEVERITY = { fail: 'high', warn: 'medium', pass: 'info' } as const;

function toReportResult(result: AuditResult, seconds: number): Record<string, unknown> {
  const { resource } = result;
  return {
    policy: 'ztgate',
    rule: result.rule,
    result: result.result,
    message: result.message,
    source: 'ztgate',
    category: 'zero-trust',
    severity: SEVERITY[result.result],
    scored: true,
    timestamp: { seconds, nanos: 0 },
    resources: [
      {
        apiVersion: resource.apiVersion,
        kind: resource.kind,
        name: resource.name,
        ...(resource.namespace === undefined ? {} : { namespace: resource.namespace }),
        ...(resource.uid === undefined ? {} : { uid: resource.uid }),
      },
    ],
    ...(result.path === '' ? {} : { properties: { path: result.path } }),
  };
}

function report(
  kind: string,
  namespace: string | undefined,
  results: readonly AuditResult[],
  seconds: number,
): KubeObject {
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind,
    metadata: {
      name: REPORT_NAME,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [MANAGED_BY_LABEL]: 'ztgate' },
    },
    summary: summarize(results),
    results: results.map((result) => toReportResult(result, seconds)),
  };
}

/**
 * Builds the audit as wgpolicyk8s.io/v1alpha2 reports, the format Kyverno and Kubewarden users
 * read: one PolicyReport per namespace with namespaced results, then one ClusterPolicyReport for
 * cluster-scoped resources (Namespaces, cluster-wide policies). Always emits the cluster report,
 * so an applied report is replaced even when it has become clean.
 */
export function buildPolicyReports(scan: AuditScan, timestampSeconds: number): KubeObject[] {
  const byNamespace = new Map<string, AuditResult[]>();
  const cluster: AuditResult[] = [];
  for (const result of scan.results) {
    const namespace = result.resource.namespace;
    if (namespace === undefined) {
      cluster.push(result);
      continue;
    }
    const list = byNamespace.get(namespace) ?? [];
    list.push(result);
    byNamespace.set(namespace, list);
  }
  const namespaces = [...byNamespace.keys()].sort();
  return [
    ...namespaces.map((namespace) =>
      report('PolicyReport', namespace, byNamespace.get(namespace) ?? [], timestampSeconds),
    ),
    report('ClusterPolicyReport', undefined, cluster, timestampSeconds),
  ];
}
