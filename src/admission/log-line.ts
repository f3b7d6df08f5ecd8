/**
 * One line of ztgate's log as `kubectl logs` gives it: with `--prefix` each line starts with
 * `[pod/<pod>/<container>] `, with `--timestamps` with the kubelet's RFC 3339 time and a space
 * (both: prefix first). What follows is pino's JSON line.
 */

/** A log line taken apart. */
export interface LogLine {
  /** The pod named by kubectl's `--prefix`, if the line had one. */
  readonly pod: string | undefined;
  /** The kubelet's timestamp from `--timestamps`, as epoch milliseconds, if the line had one. */
  readonly stampMs: number | undefined;
  /** The JSON object the line holds; undefined when the rest is not a JSON object. */
  readonly json: Record<string, unknown> | undefined;
}

const PREFIX = /^\[([^\]\s]*)\] /;
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/** `pod/ztgate-7d9f-abc/ztgate` → `ztgate-7d9f-abc`; other prefixes as written. */
function podOf(prefix: string): string {
  const parts = prefix.split('/');
  return parts.length === 3 && parts[0] === 'pod' ? (parts[1] ?? prefix) : prefix;
}

/** Takes a raw log line apart; never throws. */
export function parseLogLine(raw: string): LogLine {
  let rest = raw;
  let pod: string | undefined;
  let stampMs: number | undefined;
  const prefix = PREFIX.exec(rest);
  if (prefix !== null) {
    pod = podOf(prefix[1] ?? '');
    rest = rest.slice(prefix[0].length);
  }
  const stamp = STAMP.exec(rest);
  if (stamp !== null) {
    const parsed = Date.parse(stamp[1] ?? '');
    if (Number.isFinite(parsed)) stampMs = parsed;
    rest = rest.slice(stamp[0].length);
  }
  return { pod, stampMs, json: parseObject(rest) };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
