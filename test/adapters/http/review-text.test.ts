import { describe, expect, it } from 'vitest';
import { patchResponse, refuseResponse, toReview } from '../../../src/admission/build-response.js';
import { patchedReviewText } from '../../../src/adapters/http/review-text.js';

const patch = [{ op: 'add' as const, path: '/metadata/annotations/ztgate.dev~1injected', value: 'true' }];
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('patchedReviewText', () => {
  it.each([
    ['a plain uid', '6e26ffa3-6e67-4152-a8de-b139d84af225'],
    ['a uid that needs escaping', 'a"b\\c\n\u2028'],
  ])('writes what JSON.stringify writes for a patched answer (%s)', (_name, uid) => {
    const review = toReview(patchResponse(uid, patch, base64));
    const text = patchedReviewText(review);
    expect(text).toBe(JSON.stringify(review));
    expect(JSON.parse(text ?? '')).toEqual(review);
  });

  it.each([
    ['an answer without a patch', toReview(patchResponse('u', []))],
    ['a refusal', toReview(refuseResponse('u', 'no'))],
    ['a patched answer with warnings', toReview({ ...patchResponse('u', patch, base64), warnings: ['w'] })],
  ])('leaves %s to the response schema', (_name, review) => {
    expect(patchedReviewText(review)).toBeUndefined();
  });
});
