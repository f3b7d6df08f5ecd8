import type { AdmissionReviewResponse } from '../../admission/review-types.js';

/** The content type Fastify gives schema-serialized answers; pre-serialized ones carry the same. */
export const REVIEW_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The JSON text of a /mutate answer that carries a patch, or undefined for any other answer
 * (those go through the response schema). The patch is base64 from Node's encoder (handle-mutate
 * is its only producer): its alphabet (A–Z a–z 0–9 + / =) needs no JSON escaping, so it is copied
 * as is. JSON.stringify re-scanned those 6 KB character by character on every pod, a tenth of
 * /mutate's time; the uid is still escaped as any other string.
 */
export function patchedReviewText(review: AdmissionReviewResponse): string | undefined {
  const response = review.response;
  const { patch } = response;
  if (
    patch === undefined ||
    response.allowed !== true ||
    response.status !== undefined ||
    response.warnings !== undefined
  ) {
    return undefined;
  }
  return (
    `{"apiVersion":${JSON.stringify(review.apiVersion)},"kind":${JSON.stringify(review.kind)},` +
    `"response":{"uid":${JSON.stringify(response.uid)},"allowed":true,` +
    `"patchType":${JSON.stringify(response.patchType)},"patch":"${patch}"}}`
  );
}
