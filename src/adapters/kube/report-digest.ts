import { createHash } from 'node:crypto';
import { reportContentLines } from '../../policy/audit/policy-report.js';
import type { KubeObject } from '../../policy/types.js';

/**
 * Where a cached report keeps the digest of its content in place of its results (not a field the
 * API server knows): a watch cache of every namespace's report would otherwise hold every result.
 */
export const REPORT_DIGEST_FIELD = 'ztgate.dev/content-digest';

/** A SHA-256 digest, hex. */
export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The digest of content lines (reportContentLines, resultsContentLines): the digest of the lines joined by newlines. */
export function digestOfLines(lines: readonly string[]): string {
  // One text, hashed at once: a call into the hash per line costs more than the join.
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** The digest of a report's content (see reportContentLines), read from a cached copy or computed. */
export function reportDigest(report: KubeObject): string {
  const cached = report[REPORT_DIGEST_FIELD];
  return typeof cached === 'string' ? cached : digestOfLines(reportContentLines(report));
}

/** A PolicyReport or ClusterPolicyReport reduced to its metadata, summary and content digest. */
export function stripReport(report: KubeObject, metadata: unknown): KubeObject {
  const { apiVersion, kind, summary } = report;
  return { apiVersion, kind, metadata, summary, [REPORT_DIGEST_FIELD]: reportDigest(report) } as KubeObject;
}
