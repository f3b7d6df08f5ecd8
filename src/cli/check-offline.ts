/**
 * The offline model of `ztgate check`: what -f and --state do not show is unknown, not missing.
 *
 * A rule that denies because something is absent from the view says what with a MissingRef. The
 * webhook confirms those with a live read; `check` has no cluster, so it sorts them:
 * - ztgate provides it (`providedByZtgate`: the default deny with `defaultDeny.create`, and any
 *   mark ztgate's controllers set): not a finding, a note;
 * - the namespace's contents are known (--state holds the Namespace, or the change creates it on
 *   top of --state): it really is missing, a violation;
 * - otherwise: unknown, a warning that `--strict` turns into a failure.
 */
import type { KubeObject, MissingRef, Violation } from '../policy/types.js';

/** One finding as `check` reports it. */
export interface CheckFinding {
  readonly rule: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** The wire form of a finding, as the webhook's warnings print a violation: `[rule] path: message`. */
export function formatFinding(finding: CheckFinding): string {
  return `[${finding.rule}] ${finding.path}: ${finding.message}`;
}

/** A decision's violations sorted by the offline model. */
export interface SortedFindings {
  /** Findings that stand offline (a violation the webhook would report as well). */
  readonly violations: CheckFinding[];
  /** Findings that rest on something -f and --state do not show. */
  readonly unknown: CheckFinding[];
  /** What ztgate itself will provide, which the rule found missing: not findings. */
  readonly notes: string[];
}

/** What -f and --state show: whether a state was given, and the namespaces whose contents are known. */
export interface Knowledge {
  readonly stateGiven: boolean;
  readonly namespaces: ReadonlySet<string>;
}

/**
 * The namespaces whose contents `check` knows: those the state holds (a state folder is read as
 * a snapshot: a namespace it holds, it holds whole), and those the change creates on top of it.
 * Without --state nothing is known: the cluster may hold anything.
 */
export function knowledgeOf(
  state: readonly KubeObject[] | undefined,
  createdNamespaces: readonly string[],
): Knowledge {
  if (state === undefined) return { stateGiven: false, namespaces: new Set() };
  const names = state
    .filter((object) => object.kind === 'Namespace' && object.apiVersion === 'v1')
    .map((object) => object.metadata?.name)
    .filter((name): name is string => typeof name === 'string');
  return { stateGiven: true, namespaces: new Set([...names, ...createdNamespaces]) };
}

function refNamespace(ref: MissingRef, fallback: string): string | undefined {
  if (ref.kind === 'Namespace') return ref.name ?? fallback;
  return ref.namespace ?? fallback;
}

function isKnown(ref: MissingRef, knowledge: Knowledge, namespace: string): boolean {
  const where = refNamespace(ref, namespace);
  // A cluster-wide policy would be in the state: a state is the cluster as far as it goes.
  if (where === undefined) return knowledge.stateGiven;
  return knowledge.namespaces.has(where);
}

function whyUnknown(ref: MissingRef, knowledge: Knowledge, namespace: string): string {
  if (!knowledge.stateGiven) return 'no --state given, so the cluster may hold it';
  return `namespace ${refNamespace(ref, namespace) ?? namespace} is not in --state, so the cluster may hold it`;
}

/** The unknown finding's message: what is not shown, and why that is not a denial. */
function unknownMessage(
  violation: Violation,
  ref: MissingRef,
  knowledge: Knowledge,
  namespace: string,
): string {
  const shown = knowledge.stateGiven ? '-f or --state' : '-f';
  const why = whyUnknown(ref, knowledge, namespace);
  if (ref.kind === 'ServiceAccount' && ref.name !== undefined)
    return `ServiceAccount ${ref.namespace ?? namespace}/${ref.name} is not in ${shown}: unknown (${why})`;
  const showing = knowledge.stateGiven ? '-f and --state show' : '-f shows';
  return `${violation.message}, as far as ${showing}: unknown (${why})`;
}

/** Sorts a decision's violations for an object in `namespace` by the offline model. */
export function sortFindings(
  violations: readonly Violation[],
  knowledge: Knowledge,
  namespace: string,
): SortedFindings {
  const sorted: SortedFindings = { violations: [], unknown: [], notes: [] };
  for (const violation of violations) {
    const { rule, path, message, fix, missing } = violation;
    if (missing?.providedByZtgate === true) sorted.notes.push(`[${rule}] ${message}`);
    else if (missing === undefined || isKnown(missing, knowledge, namespace))
      sorted.violations.push({ rule, path, message, fix });
    else
      sorted.unknown.push({
        rule,
        path,
        fix,
        message: unknownMessage(violation, missing, knowledge, namespace),
      });
  }
  return sorted;
}
