import { pino, type DestinationStream, type Logger } from 'pino';
import { DECISION_MESSAGE, type DecisionRecord } from '../../admission/decision-record.js';

/**
 * Paths pino censors on every line, configured once at start (pino docs/redaction.md). The
 * decision record never carries objects; this is the second line of defence should any log call
 * ever pass one: whole objects, env values, Secret data, credentials.
 */
export const REDACT_PATHS: readonly string[] = [
  'object',
  'oldObject',
  '*.object',
  '*.oldObject',
  'request.object',
  'request.oldObject',
  'body',
  'req.body',
  'env',
  '*.env',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
  'binaryData',
  '*.binaryData',
  'req.headers.authorization',
  'req.headers.cookie',
  'key',
  '*.key',
];

/** Options of the process logger. */
export interface LoggerOptions {
  /** Where lines go; stdout when omitted (tests pass a capture stream). */
  readonly destination?: DestinationStream;
  readonly level?: string;
}

/** Creates the one pino logger of the process: JSON lines, redaction configured once. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** Writes one decision log line: a static message and the structured fields (errors at error level). */
export function logDecision(logger: Logger, record: DecisionRecord): void {
  if (record.error === undefined) logger.info(record, DECISION_MESSAGE);
  else logger.error(record, DECISION_MESSAGE);
}
