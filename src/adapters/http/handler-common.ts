import type { Logger } from 'pino';
import { errorResponse, toReview, type DecisionOutcome } from '../../admission/build-response.js';
import { buildDecisionRecord } from '../../admission/decision-record.js';
import { AdmissionReviewError, decodeReview } from '../../admission/decode-review.js';
import type {
  AdmissionRequest,
  AdmissionResponse,
  AdmissionReviewResponse,
} from '../../admission/review-types.js';
import type { SidecarConfig, ZtgateConfig } from '../../policy/config.js';
import type { JsonPatchOp } from '../../policy/sidecar/json-patch.js';
import type { SidecarContext } from '../../policy/sidecar/patch.js';
import type { ClusterView, Decision, EvaluationInput, KubeObject, Violation } from '../../policy/types.js';
import { logDecision } from '../audit/logger.js';
import { InvalidReviewError } from '../errors.js';
import type { ViewSource } from '../view-source.js';
import type { AdmissionMetrics, MetricsRoute } from './metrics.js';

/** What the admission handlers need; the engine and patch builder are injectable for tests. */
export interface AdmissionDeps {
  readonly viewSource: ViewSource;
  readonly config: ZtgateConfig;
  readonly logger: Logger;
  readonly metrics: AdmissionMetrics;
  readonly evaluate: (input: EvaluationInput, view: ClusterView, config: ZtgateConfig) => Decision;
  readonly buildPatch: (
    pod: KubeObject,
    config: SidecarConfig,
    context: SidecarContext,
  ) => readonly JsonPatchOp[];
}

/** A response plus what the decision log and metrics need. */
export interface Verdict {
  readonly response: AdmissionResponse;
  readonly outcome: DecisionOutcome;
  readonly mode: 'enforce' | 'audit';
  readonly violations: readonly Violation[];
  readonly error?: string;
}

/** Decodes the body; a malformed review becomes the coded 400 error. */
export function decode(body: unknown): AdmissionRequest {
  try {
    return decodeReview(body);
  } catch (error) {
    if (error instanceof AdmissionReviewError) throw new InvalidReviewError(error.message);
    throw error;
  }
}

/** The namespace a request concerns: the request's, else the object's. */
export function namespaceOf(request: AdmissionRequest): string | undefined {
  return request.namespace ?? request.object?.metadata?.namespace ?? request.oldObject?.metadata?.namespace;
}

/** Logs the decision, counts it, and wraps the response in the review envelope. */
export function finish(
  deps: AdmissionDeps,
  route: MetricsRoute,
  request: AdmissionRequest,
  started: number,
  verdict: Verdict,
): AdmissionReviewResponse {
  const durationMs = performance.now() - started;
  const facts = { request, durationMs, webhook: route, ...verdict };
  logDecision(deps.logger, buildDecisionRecord(facts));
  deps.metrics.observeRequest(
    route,
    verdict.error === undefined ? verdict.outcome : 'error',
    durationMs / 1000,
  );
  deps.metrics.observeViolations(verdict.violations.map((violation) => violation.rule));
  return toReview(verdict.response);
}

/** An internal fault: logged, answered with code 500 and never an allow. */
export function failure(
  deps: AdmissionDeps,
  request: AdmissionRequest,
  error: unknown,
  what: string,
): Verdict {
  const reason = error instanceof Error ? error.message : String(error);
  deps.logger.error({ err: error, uid: request.uid }, `${what} failed`);
  const message = `ztgate could not ${what} this request: ${reason}`;
  return {
    response: errorResponse(request.uid, message),
    outcome: 'deny',
    mode: deps.config.mode,
    violations: [],
    error: reason,
  };
}
