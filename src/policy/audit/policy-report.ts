import { MANAGED_BY_LABEL } from '../config.js';
import { isRecord } from '../objects.js';
import type { KubeObject } from '../types.js';
import type { AuditResult, AuditScan } from './scan.js';

/** The name of every report ztgate writes (one per namespace, one cluster-wide). */
export const REPORT_NAME = 'ztgate-audit';

/** The API version of the reports ztgate writes. */
export const REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';

/** wgpolicyk8s.io/v1alpha2 result counts. */
export interface ReportSummary {
  readonly pass: number;
  readonly fail: number;
  readonly warn: number;
  readonly error: number;
  readonly skip: number;
}

/** `unlisted`: pass results counted but not in `results` (scanNamespace's `listPasses: false`). */
function summarize(results: readonly AuditResult[], unlisted: number): ReportSummary {
  const count = { pass: unlisted, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const result of results) count[result.result] += 1;
  return count;
}

const SEVERITY = { fail: 'high', warn: 'medium', pass: 'info' } as const;

function toReportResult(result: AuditResult, seconds: number): Record<string, unknown> {
  const { resource } = result;
  // Keys in the order reports have always been written; absent ones never set (not even undefined).
  const reference: Record<string, unknown> = {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    name: resource.name,
  };
  if (resource.namespace !== undefined) reference['namespace'] = resource.namespace;
  if (resource.uid !== undefined) reference['uid'] = resource.uid;
  const built: Record<string, unknown> = {
    policy: 'ztgate',
    rule: result.rule,
    result: result.result,
    message: result.message,
    source: 'ztgate',
    category: 'zero-trust',
    severity: SEVERITY[result.result],
    scored: true,
    timestamp: { seconds, nanos: 0 },
    resources: [reference],
  };
  // v1alpha2 has no field for a fix; `properties` (string to string) is where extra facts go.
  if (result.path !== '' || result.fix !== '') {
    const properties: Record<string, string> = {};
    if (result.path !== '') properties['path'] = result.path;
    if (result.fix !== '') properties['fix'] = result.fix;
    built['properties'] = properties;
  }
  return built;
}

/**
 * The results a report lists: findings and warnings. Passing checks are counted in `summary.pass`,
 * not listed: with every rule passing on every workload they would be nearly all of a report (the
 * benchmark's 1× view: 436,370 passes beside 9,710 findings, 162 MB of reports against 12.8 MB).
 */
function listed(results: readonly AuditResult[], seconds: number): Record<string, unknown>[] {
  const list: Record<string, unknown>[] = [];
  for (const result of results) if (result.result !== 'pass') list.push(toReportResult(result, seconds));
  return list;
}

function report(
  kind: 'PolicyReport' | 'ClusterPolicyReport',
  namespace: string | undefined,
  results: readonly AuditResult[],
  seconds: number,
  unlisted = 0,
): KubeObject {
  return {
    apiVersion: REPORT_API_VERSION,
    kind,
    metadata: {
      name: REPORT_NAME,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [MANAGED_BY_LABEL]: 'ztgate' },
    },
    ...(namespace === undefined ? {} : { scope: { apiVersion: 'v1', kind: 'Namespace', name: namespace } }),
    summary: summarize(results, unlisted),
    results: listed(results, seconds),
  };
}

/**
 * The PolicyReport a result belongs in: its resource's namespace, and a Namespace's own results
 * (default deny, what enforcing would create) in that namespace's report, so one object holds a
 * namespace's posture and the ClusterPolicyReport stays small however many namespaces there are.
 * Undefined for cluster-scoped policies and the mesh injector check (the ClusterPolicyReport:
 * ambient's ztunnel DaemonSet sits in istio-system, but its absence concerns every namespace).
 */
export function reportNamespaceOf(result: AuditResult): string | undefined {
  const { resource } = result;
  if (result.category === 'mesh-injector-missing') return undefined;
  if (resource.namespace !== undefined) return resource.namespace;
  return resource.kind === 'Namespace' && resource.apiVersion === 'v1' ? resource.name : undefined;
}

/**
 * A namespace's wgpolicyk8s.io/v1alpha2 PolicyReport (scope: the Namespace) of `results`, all
 * stamped `seconds`; `unlistedPasses` pass results left out of `results` count in its summary.
 */
export function buildNamespaceReport(
  namespace: string,
  results: readonly AuditResult[],
  seconds: number,
  unlistedPasses = 0,
): KubeObject {
  return report('PolicyReport', namespace, results, seconds, unlistedPasses);
}

/** The ClusterPolicyReport of the cluster-scoped policies' results, all stamped `seconds`. */
export function buildClusterReport(results: readonly AuditResult[], seconds: number): KubeObject {
  return report('ClusterPolicyReport', undefined, results, seconds);
}

/**
 * Builds the audit as wgpolicyk8s.io/v1alpha2 reports, the format Kyverno and Kubewarden users
 * read: one PolicyReport per namespace (see reportNamespaceOf), then one ClusterPolicyReport for
 * cluster-scoped policies; findings and warnings listed, passes counted. Always emits the cluster
 * report, so an applied report is replaced even when it has become clean.
 */
export function buildPolicyReports(scan: AuditScan, timestampSeconds: number): KubeObject[] {
  const byNamespace = new Map<string, AuditResult[]>();
  const cluster: AuditResult[] = [];
  for (const result of scan.results) {
    const namespace = reportNamespaceOf(result);
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
      buildNamespaceReport(namespace, byNamespace.get(namespace) ?? [], timestampSeconds),
    ),
    buildClusterReport(cluster, timestampSeconds),
  ];
}

/**
 * A copy of `value` with every object's keys sorted and undefined members left out: the API
 * server re-encodes custom resources in its own key order. Its JSON is the same for the same
 * content in any key order; it is placed in a content line as a value, so its strings are escaped
 * once, not again as the text of a nested JSON.
 */
export function canonicalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (isRecord(value)) {
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(value).sort())
      if (value[key] !== undefined) entries.push([key, canonicalValue(value[key])]);
    // fromEntries defines each key as data: a `__proto__` key stays a key, never a prototype.
    return Object.fromEntries(entries);
  }
  return value;
}

// The fields of wgpolicyk8s.io/v1alpha2 (a structural schema prunes any other): a report's content
// is read through them in a fixed order, so key order never matters and projecting is cheap.
const REFERENCE_FIELDS = ['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'resourceVersion', 'uid'];
const RESULT_FIELDS = ['category', 'message', 'policy', 'result', 'rule', 'scored', 'severity', 'source'];
const SUMMARY_FIELDS = ['pass', 'fail', 'warn', 'error', 'skip'];

function project(value: unknown, fields: readonly string[]): unknown[] | null {
  return isRecord(value) ? fields.map((name) => value[name] ?? null) : null;
}

function projectResult(result: unknown): unknown {
  if (!isRecord(result)) return null;
  const resources = Array.isArray(result['resources'])
    ? (result['resources'] as unknown[]).map((reference) => project(reference, REFERENCE_FIELDS))
    : null;
  const properties = isRecord(result['properties']) ? canonicalValue(result['properties']) : null;
  const selector =
    result['resourceSelector'] === undefined ? null : canonicalValue(result['resourceSelector']);
  // No timestamp: it says when a result was found, not what was found.
  return [project(result, RESULT_FIELDS), resources, properties, selector];
}

function contentLine(scope: unknown, summary: unknown): string {
  return JSON.stringify([project(scope, REFERENCE_FIELDS), project(summary, SUMMARY_FIELDS)]);
}

/**
 * What decides whether a report changed, as lines: its scope and summary, then each result in
 * order without its timestamp, read through the fields of the v1alpha2 schema. Two reports with
 * the same content are the same report, so a relist or a periodic pass that finds what it found
 * before writes nothing, whatever key order the API server stored them in.
 */
export function reportContentLines(report: KubeObject): string[] {
  const results = Array.isArray(report['results']) ? (report['results'] as unknown[]) : [];
  return [
    contentLine(report['scope'], report['summary']),
    ...results.map((result) => JSON.stringify(projectResult(result))),
  ];
}

/** reportContentLines as one text. */
export function reportContent(report: KubeObject): string {
  return reportContentLines(report).join('\n');
}

/** projectResult(toReportResult(result)) as JSON, without building the report result first. */
function resultLine(result: AuditResult): string {
  const { resource } = result;
  // Keys in sorted order: canonicalValue() of the properties toReportResult sets.
  let properties: Record<string, string> | null = null;
  if (result.fix !== '' || result.path !== '') {
    properties = {};
    if (result.fix !== '') properties['fix'] = result.fix;
    if (result.path !== '') properties['path'] = result.path;
  }
  const reference = [resource.apiVersion, null, resource.kind, resource.name];
  reference.push(resource.namespace ?? null, null, resource.uid ?? null);
  const fields = ['zero-trust', result.message, 'ztgate', result.result, result.rule, true];
  fields.push(SEVERITY[result.result], 'ztgate');
  return JSON.stringify([fields, [reference], properties, null]);
}

/**
 * The content lines of the report buildNamespaceReport (or, without a namespace,
 * buildClusterReport) would build from `results` and `unlistedPasses`: what a full pass compares
 * without building every report.
 */
export function resultsContentLines(
  namespace: string | undefined,
  results: readonly AuditResult[],
  unlistedPasses = 0,
): string[] {
  const scope =
    namespace === undefined ? undefined : { apiVersion: 'v1', kind: 'Namespace', name: namespace };
  const lines = [contentLine(scope, summarize(results, unlistedPasses))];
  for (const result of results) if (result.result !== 'pass') lines.push(resultLine(result));
  return lines;
}

/**
 * `desired` with each result that `existing` already holds (same content, timestamp aside)
 * keeping its old timestamp: a result's timestamp says when ztgate first found it, and a report
 * rewritten because one workload changed does not make every other finding look new.
 */
export function carryTimestamps(desired: KubeObject, existing: KubeObject): KubeObject {
  const before = new Map<string, unknown>();
  for (const result of Array.isArray(existing['results']) ? (existing['results'] as unknown[]) : []) {
    if (isRecord(result) && result['timestamp'] !== undefined)
      before.set(JSON.stringify(projectResult(result)), result['timestamp']);
  }
  if (before.size === 0 || !Array.isArray(desired['results'])) return desired;
  const results = (desired['results'] as unknown[]).map((result) => {
    const timestamp = before.get(JSON.stringify(projectResult(result)));
    return timestamp === undefined || !isRecord(result) ? result : { ...result, timestamp };
  });
  return { ...desired, results };
}
