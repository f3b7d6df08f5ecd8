import type { JsonPatchOp } from '../policy/sidecar/json-patch.js';
import { clipText, cutMarker, flattenLines } from '../policy/message-text.js';
import type { Decision, Violation } from '../policy/types.js';
import { encodeBase64 } from './base64.js';
import {
  ADMISSION_API_VERSION,
  type AdmissionResponse,
  type AdmissionReviewResponse,
} from './review-types.js';

// Kubernetes truncates warnings over 256 characters and drops them past 4096 in total; its docs
// ask for under 120 each. kubectl prints one "Warning:" line per entry.
const WARNING_MAX = 120;
const WARNINGS_TOTAL_MAX = 4096;

// A denial quotes user values through the core's bounded helpers; these caps hold whatever a rule
// writes, so no request can make ztgate build (or the API server relay) a megabyte message.
/** Most characters of a violation's path in a message. */
export const PATH_MAX = 256;
/** Most characters of a violation's message text. */
export const MESSAGE_MAX = 1024;
/** Most characters of one fix. */
export const FIX_MAX = 4096;
/** Most violation lines in one denial; the rest are counted. */
export const VIOLATIONS_SHOWN_MAX = 50;

/** What the decision log calls the outcome of one admission decision. */
export type DecisionOutcome = 'allow' | 'deny' | 'warn';

/** Wraps a response in the AdmissionReview v1 envelope. */
export function toReview(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

/** A violation's path as a message shows it: one line, bounded. */
function shownPath(violation: Violation): string {
  return flattenLines(clipText(violation.path, PATH_MAX));
}

/** One line per violation, `[rule] path: message`. */
export function formatViolationLine(violation: Violation): string {
  // The engine's wire form (formatViolation), flattened: kubectl shows one line per violation.
  // Clipped before flattening, so the work is bounded by the caps, not by what the request held.
  const message = flattenLines(clipText(violation.message, MESSAGE_MAX));
  return `[${violation.rule}] ${shownPath(violation)}: ${message}`;
}

/** A fix as the denial shows it: indented, at most FIX_MAX characters. */
function fixLines(fix: string): string[] {
  const kept = fix.length > FIX_MAX ? fix.slice(0, FIX_MAX) : fix;
  const lines = kept.split('\n').map((line) => (line === '' ? '' : `  ${line}`));
  if (kept !== fix) lines.push(`  ${cutMarker(fix.length - FIX_MAX)}`);
  return lines;
}

/** The denial message kubectl shows: the violation lines, then each distinct fix, indented. */
export function formatDenialMessage(violations: readonly Violation[]): string {
  const shown = violations.slice(0, VIOLATIONS_SHOWN_MAX);
  const lines = shown.map(formatViolationLine);
  if (violations.length > shown.length) {
    lines.push(`… and ${violations.length - shown.length} more violations`);
  }
  const seen = new Set<string>();
  for (const violation of shown) {
    const fix = violation.fix.trim();
    if (fix === '' || seen.has(fix)) continue;
    seen.add(fix);
    lines.push('', `fix for [${violation.rule}] ${shownPath(violation)}:`, ...fixLines(fix));
  }
  return lines.join('\n');
}

function clip(text: string): string {
  // Cut first: flattening then scans at most a warning's worth plus one run of whitespace.
  const flat = flattenLines(clipText(text, WARNING_MAX * 2));
  return flat.length <= WARNING_MAX ? flat : `${flat.slice(0, WARNING_MAX - 1)}…`;
}

/**
 * Warnings of an allowed decision: a short header, one clipped line per violation, within
 * Kubernetes' budget. In audit mode the violations would deny once enforced; in enforce mode an
 * allowed decision with violations is an update that left them as they were (unchanged-update.ts).
 */
export function formatWarnings(
  violations: readonly Violation[],
  extra: readonly string[] = [],
  mode: Decision['mode'] = 'audit',
): string[] {
  const candidates: string[] = [];
  if (violations.length > 0) {
    const count = violations.length === 1 ? '1 violation' : `${violations.length} violations`;
    candidates.push(
      mode === 'audit'
        ? `ztgate audit mode: ${count}; enforce mode would deny (run ztgate check for fixes)`
        : `ztgate: ${count} already so before this update (pod template and owner unchanged): admitted`,
    );
  }
  candidates.push(...violations.map(formatViolationLine), ...extra);
  const warnings: string[] = [];
  let total = 0;
  for (const warning of new Set(candidates.map(clip))) {
    if (total + warning.length > WARNINGS_TOTAL_MAX) break;
    warnings.push(warning);
    total += warning.length;
  }
  return warnings;
}

/** The outcome label of a decision: deny, warn (allowed with findings), or allow. */
export function outcomeOf(decision: Decision): DecisionOutcome {
  if (!decision.allowed) return 'deny';
  return decision.violations.length > 0 || decision.warnings.length > 0 ? 'warn' : 'allow';
}

/** Allowed, optionally with warnings. */
export function allowResponse(uid: string, warnings: readonly string[] = []): AdmissionResponse {
  return warnings.length > 0 ? { uid, allowed: true, warnings } : { uid, allowed: true };
}

/** Denied with 403 and the violation lines and fixes. */
export function denyResponse(uid: string, violations: readonly Violation[]): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code: 403, reason: 'Forbidden', message: formatDenialMessage(violations) },
  };
}

/** Denied with 403 for a reason that is not a rule violation (e.g. the view is not synced yet). */
export function refuseResponse(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } };
}

/**
 * An internal fault: never an allow (fail closed). Used by /validate, and by /mutate too, where it
 * means "no patch and an error status" — a pod that could not be injected is not admitted unmeshed.
 */
export function errorResponse(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code: 500, reason: 'InternalError', message } };
}

/** The /validate answer for an engine decision. */
export function decisionResponse(uid: string, decision: Decision): AdmissionResponse {
  if (!decision.allowed) return denyResponse(uid, decision.violations);
  return allowResponse(uid, formatWarnings(decision.violations, decision.warnings, decision.mode));
}

/** Encodes a JSON text as the base64 of its UTF-8 bytes. */
export type Base64Encoder = (text: string) => string;

/**
 * The /mutate answer: allowed, with a base64 JSONPatch only when there is something to patch.
 * The core encodes in plain JS; the HTTP adapter passes its runtime's native encoder.
 */
export function patchResponse(
  uid: string,
  patch: readonly JsonPatchOp[],
  encode: Base64Encoder = encodeBase64,
): AdmissionResponse {
  if (patch.length === 0) return { uid, allowed: true };
  return { uid, allowed: true, patchType: 'JSONPatch', patch: encode(JSON.stringify(patch)) };
}
