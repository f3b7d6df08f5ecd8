/**
 * Who acts on something a rule finds missing, phrased for the caller. Only the webhook answers a
 * request the API server sends again when the user retries, so only its messages say "retry":
 * `ztgate check` in CI and `ztgate audit` would send a reader into a loop that never passes.
 */
import type { Caller } from '../types.js';

/**
 * The clause saying ztgate's own controller creates `what` in `namespace`: the webhook's answer
 * says a retry passes; an offline one says when it appears. In a namespace ztgate does not enforce
 * yet (`notEnforcedBecause`: audit mode), nothing is created until it is, so nobody is told to retry.
 */
export function ztgateCreatesClause(
  what: string,
  namespace: string,
  caller: Caller | undefined,
  notEnforcedBecause?: string,
): string {
  if (notEnforcedBecause !== undefined)
    return `ztgate creates ${what} there once namespace ${namespace} is enforced (it is not: ${notEnforcedBecause})`;
  if ((caller ?? 'webhook') === 'webhook')
    return `ztgate creates ${what} there shortly; retry in a few seconds`;
  return `ztgate's controller creates ${what} in every namespace it enforces`;
}
