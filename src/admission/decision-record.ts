import type { Violation } from '../policy/types.js';
import type { DecisionOutcome } from './build-response.js';
import { isApiGroup, isApiVersion, isKindName, isResourceName } from './kube-syntax.js';
import { INVALID_MARKER, jsonByteLength, logText, logTexts } from './log-text.js';
import type { AdmissionRequest, GroupVersionKind } from './review-types.js';

/** The static message of every decision log line; `ztgate report` keys on it. */
export const DECISION_MESSAGE = 'admission decision';

/**
 * The structured fields of one decision log line. Deliberately no object, no env values and no
 * Secret data: only identities, the verdict and the violations' rule/path/message and fix (the
 * manifests to create: names, labels and ports, which `ztgate report` shows an auditor).
 */
export interface DecisionRecord {
  readonly decision: DecisionOutcome;
  readonly uid: string;
  readonly operation: string;
  readonly kind: GroupVersionKind;
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly user: { readonly username: string | undefined; readonly groups: readonly string[] };
  readonly dryRun: boolean;
  readonly mode: 'enforce' | 'audit';
  readonly violations: readonly {
    readonly rule: string;
    readonly path: string;
    readonly message: string;
    /** Absent when the line had no room left for it (see LOG_BUDGET.violations). */
    readonly fix?: string;
  }[];
  /** Violations left out of `violations` to keep the line within LOG_LINE_MAX_BYTES. */
  readonly violationsOmitted?: number;
  readonly durationMs: number;
  /** Which webhook answered (validate or mutate). */
  readonly webhook: 'validate' | 'mutate';
  /** Set when the decision was an internal fault (code 500). */
  readonly error?: string;
}

/** What the HTTP adapter knows about one answered request. */
export interface DecisionFacts {
  readonly request: AdmissionRequest;
  readonly outcome: DecisionOutcome;
  readonly mode: 'enforce' | 'audit';
  readonly violations: readonly Violation[];
  readonly durationMs: number;
  readonly webhook: 'validate' | 'mutate';
  readonly error?: string;
}

/**
 * What one decision line may take at most, whatever the request held (the 8 KiB). The
 * budgets below add up to less: identities 1.4 KiB, groups 1 KiB, violations with their fixes 4 KiB, error 512 B,
 * and about 300 bytes of fixed fields and pino's own (time, pid, hostname, level, msg).
 */
export const LOG_LINE_MAX_BYTES = 8192;

/** Byte budgets of the fields of a decision line. */
export const LOG_BUDGET = {
  uid: 128,
  name: 256,
  user: 256,
  group: 128,
  groups: 1024,
  rule: 64,
  path: 256,
  message: 512,
  fix: 2048,
  violations: 4096,
  error: 512,
} as const;

function objectName(request: AdmissionRequest): string | undefined {
  if (request.name !== undefined) return request.name;
  // On CREATE with generateName the API server has not named the object yet.
  const metadata = request.object?.metadata;
  const name = metadata?.name ?? metadata?.generateName;
  return typeof name === 'string' ? name : undefined;
}

function optionalText(value: string | undefined, maxBytes: number): string | undefined {
  return value === undefined ? undefined : logText(value, maxBytes);
}

/** Kind and resource are logged only as Kubernetes spells them; anything else is someone's payload. */
function loggedKind(kind: GroupVersionKind): GroupVersionKind {
  return {
    group: isApiGroup(kind.group) ? kind.group : INVALID_MARKER,
    version: isApiVersion(kind.version) ? kind.version : INVALID_MARKER,
    kind: isKindName(kind.kind) ? kind.kind : INVALID_MARKER,
  };
}

function loggedResource(request: AdmissionRequest): string {
  const resource = isResourceName(request.resource.resource) ? request.resource.resource : INVALID_MARKER;
  if (request.subResource === undefined) return resource;
  return `${resource}/${isResourceName(request.subResource) ? request.subResource : INVALID_MARKER}`;
}

type LoggedViolation = DecisionRecord['violations'][number];

/**
 * The violations that fit the line's budget, each field clipped, and how many were left out.
 * Every violation's rule, path and message come first; fixes (manifests that can quote a user's
 * label values) follow in order while the budget lasts, so a long fix never pushes out a
 * violation, and `ztgate report` shows a fix for every violation that had room for one.
 */
function loggedViolations(violations: readonly Violation[]): {
  readonly kept: readonly LoggedViolation[];
  readonly omitted: number;
} {
  const kept: { rule: string; path: string; message: string }[] = [];
  let used = 0;
  for (const violation of violations) {
    const entry = {
      rule: logText(violation.rule, LOG_BUDGET.rule),
      path: logText(violation.path, LOG_BUDGET.path),
      message: logText(violation.message, LOG_BUDGET.message),
    };
    // The three values plus their keys, quotes and braces.
    const cost = jsonByteLength(entry.rule) + jsonByteLength(entry.path) + jsonByteLength(entry.message) + 40;
    if (used + cost > LOG_BUDGET.violations) break;
    kept.push(entry);
    used += cost;
  }
  const withFixes: LoggedViolation[] = [];
  for (const [index, entry] of kept.entries()) {
    const fix = logText(violations[index]?.fix ?? '', LOG_BUDGET.fix);
    // The value plus its key, quotes and comma.
    const cost = jsonByteLength(fix) + 10;
    if (fix === '' || used + cost > LOG_BUDGET.violations) {
      withFixes.push(entry);
      continue;
    }
    withFixes.push({ ...entry, fix });
    used += cost;
  }
  return { kept: withFixes, omitted: violations.length - kept.length };
}

/** Builds the decision log fields for one request, every string within its byte budget. */
export function buildDecisionRecord(facts: DecisionFacts): DecisionRecord {
  const { request } = facts;
  const violations = loggedViolations(facts.violations);
  return {
    decision: facts.outcome,
    uid: logText(request.uid, LOG_BUDGET.uid),
    operation: request.operation,
    kind: loggedKind(request.kind),
    resource: loggedResource(request),
    namespace: optionalText(request.namespace, LOG_BUDGET.name),
    name: optionalText(objectName(request), LOG_BUDGET.name),
    user: {
      username: optionalText(request.userInfo.username, LOG_BUDGET.user),
      groups: logTexts(request.userInfo.groups ?? [], LOG_BUDGET.group, LOG_BUDGET.groups),
    },
    dryRun: request.dryRun,
    mode: facts.mode,
    violations: violations.kept,
    ...(violations.omitted > 0 ? { violationsOmitted: violations.omitted } : {}),
    durationMs: Math.round(facts.durationMs * 1000) / 1000,
    webhook: facts.webhook,
    ...(facts.error === undefined ? {} : { error: logText(facts.error, LOG_BUDGET.error) }),
  };
}
