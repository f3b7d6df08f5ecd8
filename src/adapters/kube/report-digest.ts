import * as crypto from 'node:crypto';
import { reportContentLines } from '../../policy/audit/policy-report.js';
import type { KubeObject } from '../../policy/types.js';

/**
 * Where a cached report keeps the digest of its content in place of its results (not a field the
 * API server knows): a watch cache of every namespace's report would otherwise hold every result.
 */
export const REPORT_DIGEST_FIELD = 'ztgate.dev/content-digest';

/** Node's one-shot digest (20.12 and later): half the cost of a Hash object for short texts. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** A SHA-256 digest, hex (of the text's UTF-8). */
export function digestOf(text: string): string {
  return oneShot === undefined
    ? crypto.createHash('sha256').update(text).digest('hex')
    : oneShot('sha256', text, 'hex');
}

/** The digest of content lines (reportContentLines, resultsContentLines): the digest of the lines joined by newlines. */
export function digestOfLines(lines: readonly string[]): string {
  // One text, hashed at once: a call into the hash per line costs more than the join.
  return digestOf(lines.join('\n'));
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
