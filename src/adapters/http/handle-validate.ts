import { decisionResponse, outcomeOf, refuseResponse } from '../../admission/build-response.js';
import { toEvaluationInput } from '../../admission/decode-review.js';
import type { AdmissionRequest, AdmissionReviewResponse } from '../../admission/review-types.js';
import type { ClusterView, Decision, MissingRef } from '../../policy/types.js';
import { decode, failure, finish, namespaceOf, type AdmissionDeps, type Verdict } from './handler-common.js';

/** The message /validate denies with until the first load or sync. */
export const NOT_SYNCED_MESSAGE = 'cluster view not synced yet';

/**
 * The denial once the view is older than view.staleAfterSeconds (a watch broken that long): a
 * decision on a view that old could allow what the cluster no longer permits.
 */
export function staleViewMessage(reason: string): string {
  return `ztgate's cluster view is stale (${reason}); ztgate denies until it reaches the API server again - retry in a moment`;
}

/**
 * Evaluates once; when a denial rests on objects the view lacks and the source can confirm with
 * a live read (watch-cache lag), evaluates once more against the confirmed view. An allowed
 * decision (audit mode) pays no live read, and a confirmation that found nothing no second run.
 */
async function decide(deps: AdmissionDeps, request: AdmissionRequest, view: ClusterView): Promise<Decision> {
  const input = toEvaluationInput(request);
  const decision = deps.evaluate(input, view, deps.config);
  if (decision.allowed || deps.viewSource.confirm === undefined) return decision;
  const missing = decision.violations.flatMap((violation): MissingRef[] =>
    violation.missing ? [violation.missing] : [],
  );
  if (missing.length === 0) return decision;
  const confirmed = await deps.viewSource.confirm(missing, namespaceOf(request) ?? '');
  return confirmed === view ? decision : deps.evaluate(input, confirmed, deps.config);
}

/** POST /validate: judges the object; never allows on an internal fault. */
export async function handleValidate(deps: AdmissionDeps, body: unknown): Promise<AdmissionReviewResponse> {
  const started = performance.now();
  const request = decode(body);
  // One read of the published reference: the whole request sees one snapshot.
  const view = deps.viewSource.current();
  let verdict: Verdict;
  if (view === undefined) {
    const response = refuseResponse(request.uid, NOT_SYNCED_MESSAGE);
    verdict = { response, outcome: 'deny', mode: deps.config.mode, violations: [] };
  } else if (!deps.viewSource.isReady()) {
    const reason = deps.viewSource.notReadyReason?.() ?? 'not ready';
    const response = refuseResponse(request.uid, staleViewMessage(reason));
    verdict = { response, outcome: 'deny', mode: deps.config.mode, violations: [] };
  } else {
    try {
      const decision = await decide(deps, request, view);
      const response = decisionResponse(request.uid, decision);
      verdict = {
        response,
        outcome: outcomeOf(decision),
        mode: decision.mode,
        violations: decision.violations,
      };
    } catch (error) {
      verdict = failure(deps, request, error, 'evaluate');
    }
  }
  return finish(deps, 'validate', request, started, verdict);
}
