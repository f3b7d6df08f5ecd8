/**
 * The workload's verified ownership, read once per decision: rules 1 (dedicated identity) and the
 * mesh rules (their approved exceptions are filed under the owner) each resolved the same owner
 * chain through the view on every request.
 */
import { resolveOwnership, type Ownership } from '../cluster-view.js';
import { lastCallMemo } from '../last-memo.js';
import type { ClusterView, ObjectRef, Workload } from '../types.js';

/** resolveOwnership for the decision's workload and view (a one-entry memo, see last-memo.ts). */
export const ownershipOf: (workload: Workload, view: ClusterView) => Ownership = lastCallMemo(
  (workload: Workload, view: ClusterView): Ownership => resolveOwnership(view, workload),
);

/** The top-level owner of the decision's workload (resolveOwner, read once per decision). */
export function ownerOf(workload: Workload, view: ClusterView): ObjectRef {
  return ownershipOf(workload, view).owner;
}
