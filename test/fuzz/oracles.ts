/**
 * The fuzz oracles, as pure functions of a case and what came back: a well-formed AdmissionReview
 * echoing the uid, or a 4xx JSON error; never a 5xx or a dropped exchange (except for a body the
 * server may cut); never `allowed: true` for a denied base the perturbation did not fix.
 */
import type { FuzzCase } from './cases.js';
import type { Outcome } from './send.js';

/** What the oracles made of one answer. */
export type Verdict =
  | { readonly kind: 'review'; readonly allowed: boolean }
  | { readonly kind: 'client-error'; readonly status: number; readonly code: string }
  | { readonly kind: 'cut' }
  | { readonly kind: 'problem'; readonly oracle: ProblemKind; readonly detail: string };

/** Which oracle a problem broke. */
export type ProblemKind = 'server-error' | 'malformed-answer' | 'wrong-uid' | 'dropped' | 'wrongful-allow';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function problem(oracle: ProblemKind, detail: string): Verdict {
  return { kind: 'problem', oracle, detail };
}

/** Judges one answer against the oracles. */
export function judge(fuzzCase: FuzzCase, outcome: Outcome): Verdict {
  if (outcome.status === 0 || (outcome.error !== undefined && outcome.text === '')) {
    if (fuzzCase.mayBeCut) return { kind: 'cut' };
    return problem(
      'dropped',
      `${outcome.error ?? 'no status'} after ${Math.round(outcome.ms)} ms (${fuzzCase.transport}, ${fuzzCase.framing})`,
    );
  }
  if (outcome.status === 408 && fuzzCase.framing === 'too-slow') return { kind: 'cut' };
  if (outcome.status >= 500)
    return problem('server-error', `${outcome.status} ${outcome.text.slice(0, 200)}`);
  let body: unknown;
  try {
    body = JSON.parse(outcome.text);
  } catch {
    return problem('malformed-answer', `${outcome.status}, not JSON: ${outcome.text.slice(0, 200)}`);
  }
  if (outcome.status >= 400 && outcome.status < 500) {
    const ok =
      isObject(body) &&
      body['statusCode'] === outcome.status &&
      typeof body['code'] === 'string' &&
      typeof body['message'] === 'string';
    return ok
      ? { kind: 'client-error', status: outcome.status, code: (body as Json)['code'] as string }
      : problem('malformed-answer', `${outcome.status} without {statusCode, code, message}`);
  }
  if (outcome.status !== 200) return problem('malformed-answer', `status ${outcome.status}`);
  const response = isObject(body) ? body['response'] : undefined;
  if (
    !isObject(body) ||
    body['apiVersion'] !== 'admission.k8s.io/v1' ||
    body['kind'] !== 'AdmissionReview' ||
    !isObject(response) ||
    typeof response['allowed'] !== 'boolean'
  ) {
    return problem('malformed-answer', `200 that is no AdmissionReview: ${outcome.text.slice(0, 200)}`);
  }
  if (fuzzCase.uid === undefined || response['uid'] !== fuzzCase.uid) {
    return problem('wrong-uid', `answered uid ${JSON.stringify(response['uid'])?.slice(0, 80)}`);
  }
  if (response['allowed'] === true && fuzzCase.mustNotAllow) {
    return problem('wrongful-allow', `${fuzzCase.base}: ${fuzzCase.category} ${fuzzCase.detail}`);
  }
  return { kind: 'review', allowed: response['allowed'] };
}
