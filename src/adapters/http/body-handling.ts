import type { FastifyError } from 'fastify';
import { clipText, quoteValue } from '../../policy/message-text.js';
import {
  BodyTooLargeError,
  InvalidJsonError,
  NestingTooDeepError,
  UnsupportedMediaTypeError,
} from '../errors.js';
import type { AdmissionServer } from './app.js';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from './json-depth.js';
import type { AdmissionMetrics, MetricsRoute } from './metrics.js';

/** The largest AdmissionReview accepted (the 3 MiB); larger bodies get a 400. */
export const BODY_LIMIT_BYTES = 3 * 1024 * 1024;

const JSON_TYPE = 'application/json';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
};

function isJson(contentType: string | undefined): boolean {
  // The API server always sends exactly this; anything else takes the general parse.
  if (contentType === JSON_TYPE) return true;
  return contentType?.split(';')[0]?.trim().toLowerCase() === JSON_TYPE;
}

/** Maps Fastify's own body errors to the codes the issue asks for (400 for a too-large body). */
function toClientError(error: FastifyError): FastifyError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BodyTooLargeError(BODY_LIMIT_BYTES);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeError('another type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidJsonError(error.message);
    default:
      return error;
  }
}

function routeOf(request: {
  readonly routeOptions: { readonly url?: string | undefined };
}): MetricsRoute | undefined {
  const url = request.routeOptions.url;
  return url === '/validate' ? 'validate' : url === '/mutate' ? 'mutate' : undefined;
}

/** Most characters of an error message a 4xx body repeats (parser messages quote the input). */
const ERROR_MESSAGE_MAX = 512;

/**
 * JSON only (415 otherwise), nested at most MAX_NESTING_DEPTH deep (400 otherwise, before
 * parsing), parsed with plain JSON.parse (fast; the handlers never merge input into other
 * objects, so prototype keys are inert), and every error answered as a small JSON body. Bad
 * requests are counted (ztgate_invalid_requests_total), not logged one by one: anyone who can
 * reach the port could otherwise fill the log.
 */
export function registerBodyHandling(app: AdmissionServer, metrics: AdmissionMetrics): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text)) {
      done(new NestingTooDeepError(MAX_NESTING_DEPTH), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new InvalidJsonError((error as Error).message), undefined);
    }
  });
  // A callback hook, not an async one: no promise and microtask per request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'POST' && !isJson(request.headers['content-type'])) {
      done(new UnsupportedMediaTypeError(quoteValue(request.headers['content-type'] ?? 'none')));
      return;
    }
    done();
  });
  app.setErrorHandler<FastifyError>((raw, request, reply) => {
    const error = toClientError(raw);
    const statusCode = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (statusCode >= 500) request.log.error({ err: raw }, 'request failed');
    const route = routeOf(request);
    if (route !== undefined) metrics.observeRequest(route, statusCode >= 500 ? 'error' : 'invalid', 0);
    const code = error.code ?? 'ZT_ERR_INTERNAL';
    if (statusCode < 500) metrics.observeInvalid(route ?? 'other', code);
    const message = statusCode >= 500 ? 'internal error' : clipText(error.message, ERROR_MESSAGE_MAX);
    void reply
      .code(statusCode)
      .serializer(JSON.stringify)
      .send({ statusCode, code, error: STATUS_TEXT[statusCode] ?? 'Error', message });
  });
}
