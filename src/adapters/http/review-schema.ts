/**
 * The JSON schema of an AdmissionReview v1 answer, so Fastify serializes responses with
 * fast-json-stringify instead of JSON.stringify (and never leaks a field we did not mean to send).
 */
export const REVIEW_RESPONSE_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'response'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    response: {
      type: 'object',
      required: ['uid', 'allowed'],
      properties: {
        uid: { type: 'string' },
        allowed: { type: 'boolean' },
        status: {
          type: 'object',
          properties: {
            code: { type: 'integer' },
            reason: { type: 'string' },
            message: { type: 'string' },
          },
        },
        warnings: { type: 'array', items: { type: 'string' } },
        patchType: { type: 'string' },
        patch: { type: 'string' },
      },
    },
  },
} as const;
