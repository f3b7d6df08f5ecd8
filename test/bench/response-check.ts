/** Checks that a response is the AdmissionReview answer to the request sent, and counts what is not. */
import type { Problems } from './driver-protocol.js';
import type { HttpResponse } from './https-client.js';

/** Counters of problems, with the first one kept for the log. */
export interface Tally {
  first: string | undefined;
  note(kind: keyof Problems, detail: string): void;
  problems(): Problems;
}

/** A zeroed tally. */
export function createTally(): Tally {
  const counts = { errors: 0, non200: 0, wrong: 0, denied: 0 };
  const tally: Tally = {
    first: undefined,
    note(kind, detail) {
      counts[kind]++;
      tally.first ??= `${kind}: ${detail.slice(0, 300)}`;
    },
    problems: () => ({ ...counts }),
  };
  return tally;
}

interface ReviewResponse {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly response?: {
    readonly uid?: string;
    readonly allowed?: boolean;
    readonly status?: { message?: string };
  };
}

/** Counts a non-200, a wrong answer (kind or uid) or a denial of a compliant body into `tally`. */
export function checkResponse(tally: Tally, response: HttpResponse, uid: string): void {
  if (response.status !== 200) {
    tally.note('non200', `HTTP ${response.status} ${response.text}`);
    return;
  }
  let parsed: ReviewResponse;
  try {
    parsed = JSON.parse(response.text) as ReviewResponse;
  } catch {
    tally.note('wrong', `unparseable body ${response.text}`);
    return;
  }
  if (parsed.kind !== 'AdmissionReview' || parsed.response?.uid !== uid) {
    tally.note('wrong', `not the answer to ${uid}: ${response.text}`);
    return;
  }
  if (parsed.response.allowed !== true) {
    tally.note('denied', `${uid}: ${parsed.response.status?.message ?? response.text}`);
  }
}
