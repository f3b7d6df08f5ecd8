/** Messages between the runner and the load driver process (child_process IPC). */
import type { LatencySummary } from './stats.js';

/** Open loop at a fixed rate (latency from each request's scheduled start), or closed loop with N in flight. */
export type LoadMode =
  | { readonly kind: 'rate'; readonly rate: number }
  | { readonly kind: 'closed'; readonly concurrency: number };

/** One measurement: drive `path` on `port` with the bodies in `bodiesFile`. */
export interface LoadJob {
  readonly id: number;
  readonly port: number;
  readonly path: string;
  readonly bodiesFile: string;
  readonly caFile: string;
  readonly mode: LoadMode;
  readonly durationMs: number;
  /** Keep-alive connections the driver may open. */
  readonly maxSockets: number;
}

/** What went wrong, by kind; all zero in a clean run. */
export interface Problems {
  /** Connection or timeout failures. */
  readonly errors: number;
  readonly non200: number;
  /** Not an AdmissionReview response, or a uid that is not the request's. */
  readonly wrong: number;
  /** `allowed: false` for a body built to be compliant. */
  readonly denied: number;
}

/** The outcome of one LoadJob. */
export interface LoadResult {
  readonly id: number;
  readonly sent: number;
  readonly completed: number;
  readonly elapsedMs: number;
  /** Completed responses per second over the run. */
  readonly throughput: number;
  readonly latency: LatencySummary;
  readonly problems: Problems;
  /** The first problem seen, for the log. */
  readonly firstProblem?: string;
  /** CPU the server process spent during the run (set by the runner from /proc, not by the driver). */
  readonly serverCpuMs?: number;
}

/** The body file's shape: AdmissionReview JSON texts with the uid each response must echo. */
export interface BodyFile {
  readonly bodies: readonly { readonly uid: string; readonly text: string }[];
}
