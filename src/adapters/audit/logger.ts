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
  /** Where lines go (tests pass a capture stream); else `file`, else stdout. */
  readonly destination?: DestinationStream;
  /** A path or file descriptor for the buffered destination; stdout (1) when omitted. */
  readonly file?: string | number;
  readonly level?: string;
}

/** Bytes a buffered destination gathers before one write: about ten decision lines. */
export const LOG_BUFFER_BYTES = 4096;
/** At low request rates a buffered line still reaches the log within this delay. */
export const LOG_FLUSH_INTERVAL_MS = 1000;

const flushTimers = new WeakMap<Logger, NodeJS.Timeout>();
const bufferedDestinations = new WeakMap<Logger, ReturnType<typeof pino.destination>>();

/**
 * Creates the one pino logger of the process: JSON lines, redaction configured once. Lines to a
 * file or stdout are written asynchronously in batches (one synchronous write per decision cost
 * a fifth of the server's CPU); `flushLogger` on shutdown and pino's exit hook lose none.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  };
  if (options.destination !== undefined) {
    return withDecisionWriter(pino(settings, options.destination), options.destination);
  }
  const buffered = pino.destination({
    dest: options.file ?? 1,
    sync: false,
    minLength: LOG_BUFFER_BYTES,
    contentMode: 'buffer',
  });
  const destination = new Utf8Lines(buffered);
  const logger = withDecisionWriter(pino(settings, destination), destination);
  const timer = setInterval(() => buffered.flush(), LOG_FLUSH_INTERVAL_MS);
  // Never keeps the process alive; pino flushes on exit (its exit hook is on `buffered`).
  timer.unref();
  flushTimers.set(logger, timer);
  bufferedDestinations.set(logger, buffered);
  return logger;
}

/** The buffered destination: sonic-boom in buffer mode, which pino creates and flushes on exit. */
type BufferedDestination = ReturnType<typeof pino.destination>;

/**
 * What pino and the decision writer write to: each line, a string, goes to the buffered
 * destination as its UTF-8 bytes. sonic-boom's default string mode measured the UTF-8 length of
 * its whole pending batch at every line (flattening it: up to 4 KiB copied per line) and encoded
 * each written batch twice, to write it and again to account for it; in buffer mode a line costs
 * one encoding and a batch one concatenation. The bytes written are the same.
 */
export class Utf8Lines implements DestinationStream {
  constructor(private readonly buffered: BufferedDestination) {}

  write(line: string): void {
    // sonic-boom types write() for its string mode; in buffer mode it takes Buffers.
    this.buffered.write(Buffer.from(line, 'utf8') as unknown as string);
  }

  /** pino's logger.flush(callback) lands here. */
  flush(callback?: (error?: Error) => void): void {
    this.buffered.flush(callback);
  }

  /** pino flushes synchronously before a fatal line's exit. */
  flushSync(): void {
    this.buffered.flushSync();
  }
}

/** Writes one decision line (level, record) to the stream a logger writes to. */
type DecisionWriter = (level: 'info' | 'error', record: DecisionRecord) => void;

const decisionWriters = new WeakMap<Logger, DecisionWriter>();

/**
 * The JSON text pino writes for `record` logged at `level` with the message DECISION_MESSAGE, at
 * `timeMs`, by `logger`: level, time, the logger's bindings (pid, hostname), the record's fields in
 * order (undefined ones left out), msg. One JSON.stringify of the record instead of pino's
 * key-by-key serialization. The one difference: a lone surrogate in a short top-level string (a
 * uid, a name) is escaped (`\udxxx`, as logText counts it and as pino writes it in nested fields
 * and longer strings) rather than written raw, which UTF-8 turns into U+FFFD.
 */
export function decisionLine(
  logger: Logger,
  level: 'info' | 'error',
  record: DecisionRecord,
  timeMs: number,
): string {
  const fields = JSON.stringify(record);
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  return (
    `{"level":${logger.levels.values[level]},"time":${timeMs}${bindings},` +
    `${fields.slice(1, -1)},"msg":${JSON.stringify(DECISION_MESSAGE)}}\n`
  );
}

/**
 * Pairs the logger with a writer of decision lines to the same stream, minus redaction: a
 * DecisionRecord is a closed set of fields that never holds an object, env value or Secret (it
 * is built field by field), so no redact path can match it, and redaction was a third of the
 * cost of a line. The line is the one pino would write (decisionLine), built in one
 * JSON.stringify. Every other log call keeps pino and its censor.
 */
function withDecisionWriter(logger: Logger, destination: DestinationStream): Logger {
  decisionWriters.set(logger, (level, record) => {
    destination.write(decisionLine(logger, level, record, Date.now()));
  });
  return logger;
}

/** Writes out every buffered line; resolves once written (or when the stream cannot take more). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      // An error (a destroyed stream) means nothing more can be written; closing goes on.
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** Flushes and stops the periodic flush; the logger still writes (buffered) afterwards. */
export async function closeLogger(logger: Logger): Promise<void> {
  clearInterval(flushTimers.get(logger));
  flushTimers.delete(logger);
  await flushLogger(logger);
  // sonic-boom's flush callback can fire on 'drain' while a tail shorter than minLength is still
  // buffered; a synchronous flush writes that tail too, so no decision line is lost at shutdown.
  try {
    bufferedDestinations.get(logger)?.flushSync();
  } catch {
    // Not ready or already closed: nothing left that could still be written.
  }
}

/** Writes one decision log line: a static message and the structured fields (errors at error level). */
export function logDecision(logger: Logger, record: DecisionRecord): void {
  const level = record.error === undefined ? 'info' : 'error';
  if (!logger.isLevelEnabled(level)) return;
  const writer = decisionWriters.get(logger);
  if (writer === undefined) logger[level](record, DECISION_MESSAGE);
  else writer(level, record);
}
