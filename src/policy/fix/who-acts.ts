/**
 * Who acts on something a rule finds missing, phrased for the caller. Only the webhook answers a
 * request the API server sends again when the user retries, so only its messages say "retry":
 * `ztgate check` in CI and `ztgate audit` would send a reader into a loop that never passes.
 */
import type { Caller } from '../types.js';

/**
 * The clause saying ztgate's own controller creates `what` in `namespace` (an enforced namespace):
 * the webhook's answer says a retry passes; an offline one says when it appears.
 */
export function ztgateCreatesClause(what: string, namespace: string, caller: Caller | undefined): string {
  if ((caller ?? 'webhook') === 'webhook')
    return `ztgate creates ${what} there shortly; retry in a few seconds`;
  return `ztgate's controller creates ${what} in namespace ${namespace} once it exists and is enforced`;
}
