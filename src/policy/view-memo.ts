/**
 * A bounded memo per frozen view, for answers that depend on the view and on a few request values
 * written into a string key: the pods of one ReplicaSet, Job or StatefulSet share their namespace,
 * ServiceAccount, labels and controller, so each replica after the first is answered from here.
 *
 * The view is long-lived and frozen (a WeakMap keyed by it does not hold request objects: see
 * last-memo.ts for why a per-request key must not be). The key must hold everything the answer
 * reads from the request; the answer is frozen so no caller can change what another one reads.
 * At most `kept` keys per view, the oldest evicted first, so keys invented in request bodies
 * cannot grow it. A view that is not frozen may change under the memo: it is computed afresh.
 */
import type { ClusterView } from './types.js';

/** A memo of `compute` per view and key; see the module comment. */
export type ViewMemo<V> = (view: ClusterView, key: string, compute: () => V) => V;

/** A new memo holding at most `kept` answers per view. */
export function viewMemo<V>(kept: number): ViewMemo<V> {
  const byView = new WeakMap<ClusterView, Map<string, V>>();
  return (view, key, compute) => {
    if (!Object.isFrozen(view)) return compute();
    let answers = byView.get(view);
    if (answers === undefined) byView.set(view, (answers = new Map()));
    if (answers.has(key)) return answers.get(key) as V;
    const answer = compute();
    if (typeof answer === 'object' && answer !== null) Object.freeze(answer);
    if (answers.size >= kept) answers.delete(answers.keys().next().value as string);
    answers.set(key, answer);
    return answer;
  };
}
