import type { Violation } from '../policy/types.js';
import type { DecisionOutcome } from './build-response.js';
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
    readonly fix: string;
  }[];
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

function objectName(request: AdmissionRequest): string | undefined {
  if (request.name !== undefined) return request.name;
  // On CREATE with generateName the API server has not named the object yet.
  const metadata = request.object?.metadata;
  return metadata?.name ?? metadata?.generateName;
}

/** Builds the decision log fields for one request. */
export function buildDecisionRecord(facts: DecisionFacts): DecisionRecord {
  const { request } = facts;
  const { resource } = request.resource;
  return {
    decision: facts.outcome,
    uid: request.uid,
    operation: request.operation,
    kind: { group: request.kind.group, version: request.kind.version, kind: request.kind.kind },
    resource: request.subResource === undefined ? resource : `${resource}/${request.subResource}`,
    namespace: request.namespace,
    name: objectName(request),
    user: { username: request.userInfo.username, groups: request.userInfo.groups ?? [] },
    dryRun: request.dryRun,
    mode: facts.mode,
    violations: facts.violations.map(({ rule, path, message, fix }) => ({ rule, path, message, fix })),
    durationMs: Math.round(facts.durationMs * 1000) / 1000,
    webhook: facts.webhook,
    ...(facts.error === undefined ? {} : { error: facts.error }),
  };
}
