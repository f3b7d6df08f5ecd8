/**
 * The shared reader of the Pod Security Standards rules (and the proxy-isolation rules): every
 * container of every list of a workload's pod spec with its field path, the pod- and
 * container-level securityContexts, and defensive scalar readers. Manifests are untrusted input:
 * nothing here assumes a field has the type Kubernetes would give it.
 */
import { isExemptNamespace, type ZtgateConfig } from '../../config.js';
import { joinPath } from '../../objects.js';
import { asRecord, type JsonRecord } from '../../sidecar/read.js';
import type { RuleName, Violation, Workload } from '../../types.js';
import { listContainers, type ContainerEntry as TypedEntry } from '../../pod-spec/typed.js';
import { podMesh, type MeshRole } from '../mesh-containers.js';
import { quoteValue } from '../../message-text.js';
import { lastCallMemo } from '../../last-memo.js';

/**
 * One container of a workload's pod spec: the core's typed reading (list, index, name, container,
 * securityContext), its path from the judged object's root, and its mesh role.
 */
export interface ContainerEntry extends TypedEntry {
  /** The mesh's role when the container bears a mesh container's name in the right list. */
  readonly meshRole: MeshRole | undefined;
  /** Dotted path of the container in the judged object, e.g. `spec.template.spec.containers[1]`. */
  readonly path: string;
  /** The core's entry (its `path` relative to the pod template), for the typed readers. */
  readonly typed: TypedEntry;
}

/** Whether ztgate judges the workload's namespace (the engine skips exempt ones as well). */
export function isEnforced(workload: Workload | undefined, config: ZtgateConfig): workload is Workload {
  return workload !== undefined && !isExemptNamespace(config, workload.namespace);
}

/** The dotted path of a pod-spec field in the judged object: `specPath(w, 'hostPID')`. */
export function specPath(workload: Workload, rest: string): string {
  return joinPath(workload.templatePath, `spec.${rest}`);
}

/**
 * Every container of initContainers, containers and ephemeralContainers, read once per decision
 * (a one-entry memo: the rules of one decision ask in turn, see last-memo.ts).
 */
export const containersOf: (workload: Workload, config: ZtgateConfig) => readonly ContainerEntry[] =
  lastCallMemo(readContainers);

function readContainers(workload: Workload, config: ZtgateConfig): readonly ContainerEntry[] {
  const mesh = podMesh(workload, config);
  // Fields listed, not spread: V8 copied the typed entry through its slow path, a tenth of
  // /validate's rule time.
  return listContainers(workload.podSpec).map((typed): ContainerEntry => ({
    list: typed.list,
    index: typed.index,
    name: typed.name,
    container: typed.container,
    securityContext: typed.securityContext,
    typed,
    path: joinPath(workload.templatePath, typed.path),
    meshRole: typeof typed.container['name'] === 'string' ? mesh.role(typed.list, typed.name) : undefined,
  }));
}

/** The pod-level securityContext, when it is an object. */
export function podSecurityContext(workload: Workload): JsonRecord | undefined {
  return asRecord(workload.podSpec['securityContext']);
}

/** A capability as Kubernetes and the runtimes read it: case-insensitive, `CAP_` prefix optional. */
export function capabilityName(value: unknown): string {
  return String(value).toUpperCase().replace(/^CAP_/, '');
}

/** The capabilities a container adds (`securityContext.capabilities.add`), as written. */
export function addedCapabilities(entry: ContainerEntry): readonly unknown[] {
  const added = asRecord(entry.securityContext?.['capabilities'])?.['add'];
  return Array.isArray(added) ? added : NO_CAPABILITIES;
}

const NO_CAPABILITIES: readonly unknown[] = Object.freeze([]);

/**
 * An integer field (uid, gid, port) as the API server decodes it: an integer, or a string of
 * digits (which a lenient reader may hand over); anything else is undefined.
 */
export function readInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** A string field, else undefined (absent, or of a type the API server would refuse). */
export function readString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value at a path of keys (`['seLinuxOptions', 'type']`); the path arrays are constants. */
export function valueAt(record: unknown, path: readonly string[]): unknown {
  let node: unknown = record;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as JsonRecord)[key];
  }
  return node;
}

/** The container fields probe and lifecycle handlers hang from, in the order handlerRoots reads them. */
const HANDLER_ROOTS = ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const;

/** A handler's key path split at its root: `valueAt(handlerRoots(c)[root], rest)` is `valueAt(c, keys)`. */
export interface HandlerPath {
  readonly root: number;
  readonly rest: readonly string[];
}

/** Splits a handler's key path (`['lifecycle', 'postStart', 'httpGet']` and the like) at its root. */
export function handlerPath(keys: readonly string[]): HandlerPath {
  const root = HANDLER_ROOTS.indexOf(keys[0] as (typeof HANDLER_ROOTS)[number]);
  if (root === -1) throw new TypeError(`not a probe or lifecycle handler: ${keys.join('.')}`);
  return { root, rest: keys.slice(1) };
}

/**
 * A container's probe and lifecycle fields, each read once for the handlers below them (the rules
 * that read every handler read each root ten times).
 */
export function handlerRoots(container: JsonRecord): readonly unknown[] {
  return [
    container['livenessProbe'],
    container['readinessProbe'],
    container['startupProbe'],
    container['lifecycle'],
  ];
}

/**
 * The fix's closing sentence: a workload that really needs the node belongs in a namespace the
 * admins exempt; a workload author can never grant it to themselves.
 */
export function exemptionNote(namespace: string): string {
  return (
    'If the workload really needs this (a CNI, storage or node agent), it belongs in a namespace a ztgate admin ' +
    `lists in exemptNamespaces; nothing in the workload can exempt it (namespace ${quoteValue(namespace)}).`
  );
}

/** One value of a securityContext field, at the pod level or in one container. */
export interface ContextValue {
  /** Dotted path of the field in the judged object. */
  readonly path: string;
  readonly value: unknown;
  /** The container it is set on; undefined for the pod-level securityContext. */
  readonly container: ContainerEntry | undefined;
}

/** A securityContext field: its keys below securityContext, and their dotted form for paths. */
export interface ContextField {
  readonly keys: readonly string[];
  readonly dotted: string;
}

/** Declares a securityContext field once (module level), so reading it allocates nothing. */
export function contextField(...keys: readonly string[]): ContextField {
  return { keys, dotted: keys.join('.') };
}

/**
 * The values of one securityContext field that are set, at the pod level and in every container
 * of every list: the Pod Security Standards restrict both levels.
 */
export function contextValues(
  workload: Workload,
  config: ZtgateConfig,
  field: ContextField,
): readonly ContextValue[] {
  let found: ContextValue[] | undefined;
  const podValue = valueAt(podSecurityContext(workload), field.keys);
  if (podValue !== undefined && podValue !== null) {
    found = [
      { path: specPath(workload, `securityContext.${field.dotted}`), value: podValue, container: undefined },
    ];
  }
  for (const entry of containersOf(workload, config)) {
    const value = valueAt(entry.securityContext, field.keys);
    if (value === undefined || value === null) continue;
    (found ??= []).push({ path: `${entry.path}.securityContext.${field.dotted}`, value, container: entry });
  }
  return found ?? NONE;
}

const NONE: readonly ContextValue[] = Object.freeze([]);

/** "container \"app\"" or "the pod", for messages. */
export function describeWhere(value: ContextValue): string {
  return value.container === undefined ? 'the pod' : `container ${quoteValue(value.container.name)}`;
}

/**
 * Why a refused securityContext value matters (after "sets <field> <value>: ") and the fix. The
 * fix may be given as a function: it is then built only when a value is refused, not on every
 * allowed request (its exemption note quotes the namespace, which cost every /validate request).
 */
export interface ContextRefusal {
  readonly why: string;
  readonly fix: string | (() => string);
}

/**
 * One violation for each value of a securityContext field, at the pod level or in a container,
 * that `isAllowed` refuses: the shape every "no override" control of the baseline shares.
 */
export function refuseContextValues(
  workload: Workload,
  config: ZtgateConfig,
  rule: RuleName,
  field: ContextField,
  isAllowed: (found: ContextValue) => boolean,
  refusal: ContextRefusal,
): Violation[] {
  const violations: Violation[] = [];
  let fix: string | undefined;
  for (const found of contextValues(workload, config, field)) {
    if (isAllowed(found)) continue;
    fix ??= typeof refusal.fix === 'string' ? refusal.fix : refusal.fix();
    violations.push({
      rule,
      path: found.path,
      value: found.value,
      message:
        `${workload.kind} ${quoteValue(workload.name)}: ${describeWhere(found)} sets ${field.dotted} ` +
        `${quoteValue(found.value)}: ${refusal.why}`,
      fix,
    });
  }
  return violations;
}
