import createError from '@fastify/error';

/**
 * Operational errors of the adapters, one coded class each (fastify `lib/errors.js` style).
 * Denials are data (Violation), never one of these.
 */

/** A configuration file that cannot be read, parsed or validated; the message names the key path. */
export const ConfigError = createError<'ZT_ERR_CONFIG', [string]>('ZT_ERR_CONFIG', '%s');

/** The request's Content-Type is not application/json. */
export const UnsupportedMediaTypeError = createError<'ZT_ERR_CONTENT_TYPE', 415, [string]>(
  'ZT_ERR_CONTENT_TYPE',
  'expected Content-Type application/json, got %s',
  415,
);

/** The request body is not valid JSON. */
export const InvalidJsonError = createError<'ZT_ERR_INVALID_JSON', 400, [string]>(
  'ZT_ERR_INVALID_JSON',
  'request body is not valid JSON: %s',
  400,
);

/** The request body exceeds the limit; the issue asks for 400, not 413. */
export const BodyTooLargeError = createError<'ZT_ERR_BODY_TOO_LARGE', 400, [number]>(
  'ZT_ERR_BODY_TOO_LARGE',
  'request body exceeds %d bytes',
  400,
);

/** The body nests deeper than any Kubernetes object (checked before parsing). */
export const NestingTooDeepError = createError<'ZT_ERR_NESTING_TOO_DEEP', 400, [number]>(
  'ZT_ERR_NESTING_TOO_DEEP',
  'request body nests deeper than %d levels',
  400,
);

/** The body is JSON but not an admission.k8s.io/v1 AdmissionReview with a request. */
export const InvalidReviewError = createError<'ZT_ERR_INVALID_REVIEW', 400, [string]>(
  'ZT_ERR_INVALID_REVIEW',
  '%s',
  400,
);

/** A TLS key and certificate that cannot be loaded or do not belong together. */
export const TlsPairError = createError<'ZT_ERR_TLS_PAIR', [string]>('ZT_ERR_TLS_PAIR', '%s');

/** Certificate generation or writing failed. */
export const CertsError = createError<'ZT_ERR_CERTS', [string]>('ZT_ERR_CERTS', '%s');
