import { MANAGED_BY_LABEL, type ZtgateConfig } from '../config.js';
import type { KubeObject } from '../types.js';
import { REPORT_NAME } from './policy-report.js';
import type { AuditResource, AuditResult } from './scan.js';

/** The reason of the Events ztgate posts on workloads it would refuse. */
export const VIOLATION_REASON = 'ZtgateViolation';

/** The API server keeps Event messages of up to 1 KiB readable; `kubectl describe` shows one line. */
const MAX_MESSAGE = 1024;

/** One refused workload and its findings, as its Event tells them. */
export interface WorkloadFindings {
  readonly resource: AuditResource;
  readonly findings: readonly AuditResult[];
}

/**
 * The refused top-level workloads among `results` (which hold one namespace's), each with the
 * findings its owner must fix, in order. A missing default deny that ztgate creates itself
 * (`defaultDeny.create`) is no such finding: it is gone within seconds, and an Event for it would
 * be followed at once by another without it.
 */
export function findingsByWorkload(
  results: readonly AuditResult[],
  config: ZtgateConfig,
): WorkloadFindings[] {
  const byWorkload = new Map<AuditResource, AuditResult[]>();
  for (const result of results) {
    if (result.category !== 'workload-refused' || result.result !== 'fail') continue;
    if (result.rule === 'namespace-default-deny' && config.defaultDeny.create) continue;
    const list = byWorkload.get(result.resource);
    if (list === undefined) byWorkload.set(result.resource, [result]);
    else list.push(result);
  }
  return [...byWorkload].map(([resource, findings]) => ({ resource, findings }));
}

/**
 * What an Event is about: the workload (uid, kind, name) and its findings (rule, path, message).
 * The Event's name is derived from it, so the same findings on the same workload always make the
 * same name: no leader posts them twice, and a new leader finds the Event already there.
 */
export function findingsIdentity({ resource, findings }: WorkloadFindings): string {
  const lines = findings.map((finding) => `${finding.rule}\u0000${finding.path}\u0000${finding.message}`);
  return [resource.uid ?? '', resource.kind, resource.name, ...lines.sort()].join('\n');
}

function message({ resource, findings }: WorkloadFindings, audit: boolean): string {
  const lead = audit
    ? `ztgate would refuse this ${resource.kind} once namespace ${resource.namespace ?? ''} is enforced`
    : `ztgate would refuse this ${resource.kind} if it were created now`;
  const where = `fixes: PolicyReport ${REPORT_NAME} in this namespace, or \`ztgate audit\``;
  const text = `${lead} (${where}): ${findings
    .map((finding) => `[${finding.rule}] ${finding.path}: ${finding.message}`)
    .join('; ')}`;
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

/** How one Event is made. */
export interface ViolationEventOptions {
  /** The Event's name (derived from findingsIdentity). */
  readonly name: string;
  /** When the findings were found (seconds since the epoch). */
  readonly seconds: number;
  /** The namespace is in audit mode: the workload would be refused once it is enforced. */
  readonly audit: boolean;
}

/** The last Event time written: every Event of a pass carries the same seconds. */
let lastTime: { readonly seconds: number; readonly text: string } | undefined;

/** `seconds` as an Event timestamp (RFC 3339, whole seconds, UTC). */
export function eventTime(seconds: number): string {
  if (lastTime?.seconds !== seconds)
    lastTime = { seconds, text: new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  return lastTime.text;
}

/** The core/v1 Warning Event (reason ZtgateViolation) on a workload ztgate would refuse; `kubectl describe` shows it. */
export function buildViolationEvent(workload: WorkloadFindings, options: ViolationEventOptions): KubeObject {
  const { resource } = workload;
  const time = eventTime(options.seconds);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: options.name,
      namespace: resource.namespace,
      labels: { [MANAGED_BY_LABEL]: 'ztgate' },
    },
    involvedObject: {
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      name: resource.name,
      namespace: resource.namespace,
      ...(resource.uid === undefined ? {} : { uid: resource.uid }),
    },
    reason: VIOLATION_REASON,
    type: 'Warning',
    message: message(workload, options.audit),
    source: { component: 'ztgate' },
    reportingComponent: 'ztgate',
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}
