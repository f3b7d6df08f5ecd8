/** Reading the mesh's containers out of an untrusted pod spec, for the per-provider verifiers. */
import { asRecord, type JsonRecord } from '../sidecar/read.js';
import { isImageAllowed } from './image-pattern.js';

/** A container found in the pod spec, with where it sits. */
export interface LocatedContainer {
  readonly list: 'initContainers' | 'containers';
  readonly index: number;
  /** Dotted path into the pod, e.g. "spec.initContainers[0]". */
  readonly path: string;
  readonly container: JsonRecord;
}

/** One thing wrong with the pod's mesh containers: where, and why (a sentence fragment). */
export interface PodFinding {
  readonly path: string;
  readonly message: string;
  /** Set when a container the mesh must add is absent (an offline check expects the injector to add it). */
  readonly missing?: boolean;
  /** The offending value (for a missing container: the names the list holds). */
  readonly value?: unknown;
  /** Set when the container's image is not in `mesh.proxyImages`: that image (the fix offers its mirror). */
  readonly refusedImage?: unknown;
}

/** Every container of these names in the init and app lists, in pod order. */
export function locate(spec: JsonRecord, names: readonly string[]): LocatedContainer[] {
  const found: LocatedContainer[] = [];
  for (const list of ['initContainers', 'containers'] as const) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, index) => {
      const container = asRecord(item);
      if (
        container !== undefined &&
        typeof container['name'] === 'string' &&
        names.includes(container['name'])
      )
        found.push({ list, index, path: `spec.${list}[${index}]`, container });
    });
  }
  return found;
}

/** Whether a field is absent, null, `[]` or `{}` (what the API server treats as unset). */
export function isUnset(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** The capabilities a container adds, upper-cased without the CAP_ prefix (as the runtimes read them). */
export function addedCapabilities(container: JsonRecord): string[] {
  const added = asRecord(asRecord(container['securityContext'])?.['capabilities'])?.['add'];
  return Array.isArray(added) ? added.map((cap) => String(cap).toUpperCase().replace(/^CAP_/, '')) : [];
}

/** Findings for a container that would hold more rights than the mesh gives it. */
export function privilegeFindings(
  found: LocatedContainer,
  allowedCapabilities: readonly string[],
): PodFinding[] {
  const context = asRecord(found.container['securityContext']) ?? {};
  const findings: PodFinding[] = [];
  if (context['privileged'] === true)
    findings.push({ path: `${found.path}.securityContext.privileged`, message: 'runs privileged' });
  if (context['allowPrivilegeEscalation'] === true)
    findings.push({
      path: `${found.path}.securityContext.allowPrivilegeEscalation`,
      message: 'allows privilege escalation',
    });
  const extra = addedCapabilities(found.container).filter((cap) => !allowedCapabilities.includes(cap));
  if (extra.length > 0)
    findings.push({
      path: `${found.path}.securityContext.capabilities.add`,
      message: `adds capabilities the mesh does not give it (${extra.join(', ')})`,
    });
  return findings;
}

/** The container's env entries as name → literal value (undefined for valueFrom or malformed). */
export function envOf(container: JsonRecord): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const entries = container['env'];
  for (const item of Array.isArray(entries) ? entries : []) {
    const entry = asRecord(item);
    if (entry === undefined || typeof entry['name'] !== 'string') continue;
    env.set(entry['name'], typeof entry['value'] === 'string' ? entry['value'] : undefined);
  }
  return env;
}

/** What a command-line parser accepts: flags taking a value, and bare boolean flags. */
export interface FlagSpec {
  readonly values: readonly string[];
  readonly booleans: readonly string[];
  /** Whether `--flag=value` is accepted for value flags (pflag long flags), besides `--flag value`. */
  readonly equals: boolean;
}

/** Parsed arguments: each flag once, and what could not be read (an unknown flag is never ignored). */
export interface ParsedFlags {
  readonly flags: ReadonlyMap<string, string | true>;
  readonly errors: readonly string[];
}

/** Parses `args` (untrusted) against `spec`; duplicates and unknown or malformed tokens are errors. */
export function parseFlags(args: readonly unknown[], spec: FlagSpec): ParsedFlags {
  const flags = new Map<string, string | true>();
  const errors: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const token = args[index];
    if (typeof token !== 'string') {
      errors.push(`argument ${index} is no string`);
      continue;
    }
    const equals = token.indexOf('=');
    const name = spec.equals && token.startsWith('--') && equals !== -1 ? token.slice(0, equals) : token;
    let value: string | true;
    if (spec.values.includes(name)) {
      if (name !== token) value = token.slice(equals + 1);
      else {
        const next = args[index + 1];
        if (typeof next !== 'string') {
          errors.push(`${name} has no value`);
          continue;
        }
        value = next;
        index += 1;
      }
    } else if (spec.booleans.includes(token)) value = true;
    else {
      errors.push(`unknown argument ${JSON.stringify(token)}`);
      continue;
    }
    if (flags.has(name)) errors.push(`${name} given twice`);
    flags.set(name, value);
  }
  return { flags, errors };
}

/** Whether the first non-mesh init container comes after `index` (the redirect must be in place first). */
export function runsFirst(spec: JsonRecord, index: number, meshNames: readonly string[]): boolean {
  const init = spec['initContainers'];
  if (!Array.isArray(init)) return true;
  for (let position = 0; position < index; position += 1) {
    const name = asRecord(init[position])?.['name'];
    if (typeof name !== 'string' || !meshNames.includes(name)) return false;
  }
  return true;
}

/** A finding on one field of a located container, its message naming the container. */
export function findingAt(found: LocatedContainer, field: string, message: string): PodFinding {
  return { path: `${found.path}.${field}`, message: `container "${found.container['name']}" ${message}` };
}

/** The container's image is one of `images`; `leftToTemplate` images (absent, Istio's "auto") pass. */
export function imageFindings(
  found: LocatedContainer,
  images: readonly string[],
  leftToTemplate: readonly unknown[] = [],
): PodFinding[] {
  const image = found.container['image'];
  if (leftToTemplate.includes(image)) return [];
  if (isImageAllowed(image, images)) return [];
  const message = `runs image ${JSON.stringify(image)}, which is not in mesh.proxyImages (${images.join(', ')})`;
  return [{ ...findingAt(found, 'image', message), value: image, refusedImage: image }];
}
