import type { Logger } from 'pino';
import {
  decisionResponse,
  errorResponse,
  outcomeOf,
  patchResponse,
  refuseResponse,
  toReview,
  type DecisionOutcome,
} from '../../admission/build-response.js';
import { buildDecisionRecord } from '../../admission/decision-record.js';
import { AdmissionReviewError, decodeReview, toEvaluationInput } from '../../admission/decode-review.js';
import type {
  AdmissionRequest,
  AdmissionResponse,
  AdmissionReviewResponse,
} from '../../admission/review-types.js';
import { isExemptNamespace, type SidecarConfig, type ZtgateConfig } from '../../policy/config.js';
import type { JsonPatchOp } from '../../policy/sidecar/json-patch.js';
import type { SidecarContext } from '../../policy/sidecar/patch.js';
import type {
  ClusterView,
  Decision,
  EvaluationInput,
  KubeObject,
  MissingRef,
  Violation,
} from '../../policy/types.js';
import { logDecision } from '../audit/logger.js';
import { InvalidReviewError } from '../errors.js';
import type { ViewSource } from '../view-source.js';
import type { AdmissionMetrics, MetricsRoute } from './metrics.js';

/** The message /validate denies with until the first load or sync. */
export const NOT_SYNCED_MESSAGE = 'cluster view not synced yet';

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

interface Verdict {
  readonly response: AdmissionResponse;
  readonly outcome: DecisionOutcome;
  readonly mode: 'enforce' | 'audit';
  readonly violations: readonly Violation[];
  readonly error?: string;
}

function decode(body: unknown): AdmissionRequest {
  try {
    return decodeReview(body);
  } catch (error) {
    if (error instanceof AdmissionReviewError) throw new InvalidReviewError(error.message);
    throw error;
  }
}

function namespaceOf(request: AdmissionRequest): string | undefined {
  return request.namespace ?? request.object?.metadata?.namespace ?? request.oldObject?.metadata?.namespace;
}

function finish(
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

function failure(deps: AdmissionDeps, request: AdmissionRequest, error: unknown, what: string): Verdict {
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

/**
 * Evaluates once; when the denial rests on objects the view lacks and the source can confirm
 * with a live read (watch-cache lag), evaluates once more against the confirmed view.
 */
async function decide(deps: AdmissionDeps, request: AdmissionRequest, view: ClusterView): Promise<Decision> {
  const input = toEvaluationInput(request);
  const decision = deps.evaluate(input, view, deps.config);
  const missing = decision.violations.flatMap((violation): MissingRef[] =>
    violation.missing ? [violation.missing] : [],
  );
  if (missing.length === 0 || deps.viewSource.confirm === undefined) return decision;
  const confirmed = await deps.viewSource.confirm(missing, namespaceOf(request) ?? '');
  return deps.evaluate(input, confirmed, deps.config);
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

function isPodCreate(request: AdmissionRequest): boolean {
  return (
    request.operation === 'CREATE' &&
    request.kind.group === '' &&
    request.kind.kind === 'Pod' &&
    request.subResource === undefined &&
    request.object !== undefined
  );
}

/** POST /mutate: adds the sidecar to new pods outside exempt namespaces; everything else untouched. */
export async function handleMutate(deps: AdmissionDeps, body: unknown): Promise<AdmissionReviewResponse> {
  const started = performance.now();
  const request = decode(body);
  const namespace = namespaceOf(request);
  const untouched: Verdict = {
    response: patchResponse(request.uid, []),
    outcome: 'allow',
    mode: deps.config.mode,
    violations: [],
  };
  if (!isPodCreate(request) || namespace === undefined || isExemptNamespace(deps.config, namespace)) {
    return finish(deps, 'mutate', request, started, untouched);
  }
  let verdict: Verdict;
  try {
    const patch = deps.buildPatch(request.object as KubeObject, deps.config.sidecar, { namespace });
    verdict = { ...untouched, response: patchResponse(request.uid, patch) };
  } catch (error) {
    verdict = failure(deps, request, error, 'inject');
  }
  return finish(deps, 'mutate', request, started, verdict);
}
