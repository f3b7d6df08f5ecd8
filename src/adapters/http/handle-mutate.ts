import { denyResponse, patchResponse } from '../../admission/build-response.js';
import type { AdmissionRequest, AdmissionReviewResponse } from '../../admission/review-types.js';
import { isExemptNamespace } from '../../policy/config.js';
import { invalidObject } from '../../policy/engine.js';
import { readOwnerReferences } from '../../policy/ownership.js';
import type { KubeObject } from '../../policy/types.js';
import { decode, failure, finish, namespaceOf, type AdmissionDeps, type Verdict } from './handler-common.js';

function isPodCreate(request: AdmissionRequest): boolean {
  return (
    request.operation === 'CREATE' &&
    request.kind.group === '' &&
    request.kind.kind === 'Pod' &&
    request.subResource === undefined &&
    request.object !== undefined
  );
}

/** Node's native encoder: the same bytes as the core's plain-JS one, without a string per character. */
function encodeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * POST /mutate: under `mesh.provider: builtin`, adds ztgate's sidecar to new pods outside exempt
 * namespaces. Under a mesh provider the mesh's own injector adds its proxy, so pods go untouched.
 */
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
  const injects = deps.config.mesh.provider === 'builtin';
  if (
    !injects ||
    !isPodCreate(request) ||
    namespace === undefined ||
    isExemptNamespace(deps.config, namespace)
  ) {
    return finish(deps, 'mutate', request, started, untouched);
  }
  // Fields the patch builder reads that the API server would refuse: deny as /validate words it
  // (invalid-object, 403), with no patch. The API server refuses such an object anyway, so
  // denying here admits and blocks nothing it would not.
  const malformed = invalidObject(readOwnerReferences(request.object?.metadata).errors, 'pod');
  if (malformed.length > 0) {
    const response = denyResponse(request.uid, malformed);
    return finish(deps, 'mutate', request, started, {
      ...untouched,
      response,
      outcome: 'deny',
      violations: malformed,
    });
  }
  let verdict: Verdict;
  try {
    const patch = deps.buildPatch(request.object as KubeObject, deps.config.sidecar, { namespace });
    verdict = { ...untouched, response: patchResponse(request.uid, patch, encodeBase64) };
  } catch (error) {
    verdict = failure(deps, request, error, 'inject');
  }
  return finish(deps, 'mutate', request, started, verdict);
}
