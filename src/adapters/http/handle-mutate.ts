import { denyResponse, patchResponse } from '../../admission/build-response.js';
import type { AdmissionRequest, AdmissionReviewResponse } from '../../admission/review-types.js';
import { isExemptNamespace } from '../../policy/config.js';
import { buildNamespaceCreatePatch } from '../../policy/desired/index.js';
import { invalidObject } from '../../policy/engine.js';
import { readOwnerReferences } from '../../policy/ownership.js';
import { containerCountErrors } from '../../policy/pod-spec/typed.js';
import type { JsonPatchOp } from '../../policy/sidecar/json-patch.js';
import type { KubeObject } from '../../policy/types.js';
import { decode, failure, finish, namespaceOf, type AdmissionDeps, type Verdict } from './handler-common.js';

function isCreateOf(request: AdmissionRequest, kind: 'Pod' | 'Namespace'): boolean {
  return (
    request.operation === 'CREATE' &&
    request.kind.group === '' &&
    request.kind.kind === kind &&
    request.subResource === undefined &&
    request.object !== undefined
  );
}

/** Node's native encoder: the same bytes as the core's plain-JS one, without a string per character. */
function encodeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Whether /mutate adds ztgate's sidecar to this request: a new Pod outside the exempt namespaces, under builtin. */
function injects(request: AdmissionRequest, deps: AdmissionDeps): boolean {
  const namespace = namespaceOf(request);
  return (
    deps.config.mesh.provider === 'builtin' &&
    isCreateOf(request, 'Pod') &&
    namespace !== undefined &&
    !isExemptNamespace(deps.config, namespace)
  );
}

/**
 * POST /mutate: enrols a new Namespace in the configured mesh (its mark, where ztgate enforces),
 * and under `mesh.provider: builtin` adds ztgate's sidecar to new pods outside exempt namespaces.
 * Under a mesh provider the mesh's own injector adds its proxy, so pods go untouched.
 */
export async function handleMutate(deps: AdmissionDeps, body: unknown): Promise<AdmissionReviewResponse> {
  const started = performance.now();
  const request = decode(body);
  const untouched: Verdict = {
    response: patchResponse(request.uid, []),
    outcome: 'allow',
    mode: deps.config.mode,
    violations: [],
  };
  const enrols = isCreateOf(request, 'Namespace');
  if (!enrols && !injects(request, deps)) return finish(deps, 'mutate', request, started, untouched);
  // Fields the patch builder reads that the API server would refuse: deny as /validate words it
  // (invalid-object, 403), with no patch. The API server refuses such an object anyway, so
  // denying here admits and blocks nothing it would not.
  const malformed = enrols
    ? []
    : invalidObject(
        [
          ...containerCountErrors(request.object?.['spec'], ''),
          ...readOwnerReferences(request.object?.metadata).errors,
        ],
        'pod',
      );
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
    const object = request.object as KubeObject;
    // The mark must be on the namespace before its first pod: the mesh's injector selects pods by
    // their namespace's labels, and a label ztgate put on a pod would come too late (mutating
    // webhooks run in name order, `istio-sidecar-injector` before `ztgate`, and reinvocation
    // never calls a webhook its selectors skipped).
    const patch: readonly JsonPatchOp[] = enrols
      ? buildNamespaceCreatePatch(deps.config, object)
      : deps.buildPatch(object, deps.config.sidecar, { namespace: namespaceOf(request) ?? '' });
    verdict = { ...untouched, response: patchResponse(request.uid, patch, encodeBase64) };
  } catch (error) {
    verdict = failure(deps, request, error, enrols ? 'enrol' : 'inject');
  }
  return finish(deps, 'mutate', request, started, verdict);
}
