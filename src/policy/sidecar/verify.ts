/**
 * Proof that the containers bearing ztgate's names are ztgate's: a pod author must not be able to
 * skip injection by writing `ztgate-init` or `ztgate-proxy` themselves with their own image, args
 * (capture exclusions are admin-only), identity or privileges. The comparison covers the fields
 * that decide what runs and with which rights; fields the API server defaults (probe timings,
 * terminationMessagePath, imagePullPolicy, port protocols) are left out so real pods match.
 */
import type { SidecarConfig } from '../config.js';
import { buildProxyContainer } from './containers.js';
import { buildInitContainer } from './init-container.js';
import { VOLUME_BASE_NAMES } from './names.js';
import { asRecord, type JsonRecord } from './read.js';
import { sameJson } from './same-json.js';
import { memoByConfig } from './shared-parts.js';
import { findPlacementFindings, findVolumeFindings } from './verify-placement.js';

/** One field of a ztgate-named container that differs from what ztgate builds. */
export interface ForgedField {
  /** Dotted path into the pod, e.g. "spec.initContainers[0].args". */
  readonly path: string;
  readonly container: string;
  /** The field, and for a placement or volume finding why it is not ztgate's ("position: …"). */
  readonly field: string;
}

/** Fields compared exactly (absent, `[]` and `{}` alike count as "not set"). */
const EXACT_FIELDS = [
  'image',
  'command',
  'args',
  'securityContext',
  'envFrom',
  'lifecycle',
  'restartPolicy',
  'workingDir',
] as const;

/** Env entries whose values ztgate derives per pod; every other entry must be ztgate's own. */
const PER_POD_ENV = new Set(['ZTGATE_SPIFFE_ID', 'ZTGATE_APP_PROBES', 'ZTGATE_EXIT_ON_APP_EXIT']);

function isUnset(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value !== 'object') return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/** The API server may default procMount; it grants nothing beyond the runtime's default. */
function withoutDefaults(field: string, value: unknown): unknown {
  const record = asRecord(value);
  if (field !== 'securityContext' || record === undefined || record['procMount'] !== 'Default') return value;
  const { procMount: _procMount, ...rest } = record;
  return rest;
}

function sameField(field: string, found: unknown, built: unknown): boolean {
  if (isUnset(found) && isUnset(built)) return true;
  return sameJson(withoutDefaults(field, found), built);
}

/**
 * The ServiceAccount admission plugin mounts the API token read-only into every container of a
 * pod that automounts it, ztgate's included: that one mount is the API server's, not the author's.
 */
const API_TOKEN_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount:true';

/** A container's mounts as sorted `path:readOnly` strings, without the API server's token mount. */
function mountShape(container: JsonRecord): string[] {
  const mounts = container['volumeMounts'];
  const shape: string[] = [];
  if (!Array.isArray(mounts)) return shape;
  for (const item of mounts as readonly unknown[]) {
    const mount = asRecord(item) ?? {};
    const entry = `${String(mount['mountPath'])}:${mount['readOnly'] === true}`;
    if (entry !== API_TOKEN_MOUNT) shape.push(entry);
  }
  return shape.sort();
}

/** What a container bearing one of ztgate's names must look like; built once per frozen config. */
export interface Expected {
  readonly container: JsonRecord;
  /** Env entries that must appear exactly (the proxy's own, not derived per pod). */
  readonly env: readonly JsonRecord[];
  readonly envNames: ReadonlySet<unknown>;
  readonly mounts: readonly string[];
}

function expectationOf(container: JsonRecord): Expected {
  const env = Array.isArray(container['env'])
    ? (container['env'] as readonly JsonRecord[]).filter((entry) => !PER_POD_ENV.has(String(entry['name'])))
    : [];
  return {
    container,
    env,
    envNames: new Set(env.map((entry) => entry['name'])),
    mounts: mountShape(container),
  };
}

/** The init and proxy containers ztgate injects for a config (the proxy's identity left aside). */
const expectedOf = memoByConfig((config: SidecarConfig) => ({
  init: expectationOf(buildInitContainer(config)),
  proxy: expectationOf(
    buildProxyContainer(config, {
      spiffeId: '',
      volumes: VOLUME_BASE_NAMES,
      appProbes: {},
      exitOnAppExit: false,
    }),
  ),
}));

/** The proxy's env: ztgate's own entries exactly, its identity as derived, nothing else. */
function envMatches(found: JsonRecord, expected: Expected, spiffeId: string): boolean {
  const env = found['env'];
  const entries: readonly unknown[] = Array.isArray(env) ? env : [];
  let identities = 0;
  for (const item of entries) {
    const entry = asRecord(item);
    // Fail closed: an entry that is no object is not ztgate's.
    if (entry === undefined) return false;
    const name = entry['name'];
    if (name === 'ZTGATE_SPIFFE_ID') {
      identities++;
      if (entry['value'] !== spiffeId) return false;
    } else if (!PER_POD_ENV.has(String(name)) && !expected.envNames.has(name)) return false;
  }
  if (identities !== 1) return false;
  // Every own entry must be present; the search resumes after the last match, so a list in
  // ztgate's order (the usual case) is checked in one pass.
  let cursor = 0;
  for (const wanted of expected.env) {
    let present = false;
    for (let step = 0; step < entries.length && !present; step++) {
      const index = (cursor + step) % entries.length;
      const item = entries[index] as JsonRecord;
      if (item['name'] === wanted['name'] && sameJson(item, wanted)) {
        present = true;
        cursor = index + 1;
      }
    }
    if (!present) return false;
  }
  return true;
}

/**
 * Read-only mounts of the token and trust bundle at ztgate's paths (names may carry a clash
 * suffix): the same `path:readOnly` entries as ztgate's, as many times each, in any order
 * (mountShape sorted; this pairs each entry with an unused equal one instead of sorting).
 */
export function mountsMatch(found: JsonRecord, expected: Expected): boolean {
  const mounts = found['volumeMounts'];
  const wanted = expected.mounts;
  if (!Array.isArray(mounts)) return wanted.length === 0;
  const used: boolean[] = [];
  let matched = 0;
  for (const item of mounts as readonly unknown[]) {
    const mount = asRecord(item) ?? {};
    const entry = `${String(mount['mountPath'])}:${mount['readOnly'] === true}`;
    if (entry === API_TOKEN_MOUNT) continue;
    let index = 0;
    while (index < wanted.length && (used[index] === true || wanted[index] !== entry)) index++;
    if (index === wanted.length) return false;
    used[index] = true;
    matched++;
  }
  return matched === wanted.length;
}

/** The comparison mountsMatch answers, as written before (for tests). */
export function mountsMatchBySorting(found: JsonRecord, expected: Expected): boolean {
  const shape = mountShape(found);
  if (shape.length !== expected.mounts.length) return false;
  return shape.every((entry, index) => entry === expected.mounts[index]);
}

function compare(found: JsonRecord, expected: Expected, path: string, name: string, spiffeId?: string) {
  const forged: ForgedField[] = [];
  const built = expected.container;
  for (const field of EXACT_FIELDS) {
    if (!sameField(field, found[field], built[field]))
      forged.push({ path: `${path}.${field}`, container: name, field });
  }
  const envOk =
    spiffeId === undefined
      ? sameField('env', found['env'], built['env'])
      : envMatches(found, expected, spiffeId);
  if (!envOk) forged.push({ path: `${path}.env`, container: name, field: 'env' });
  if (!mountsMatch(found, expected))
    forged.push({ path: `${path}.volumeMounts`, container: name, field: 'volumeMounts' });
  return forged;
}

function located(spec: JsonRecord, name: string): { path: string; container: JsonRecord }[] {
  const found: { path: string; container: JsonRecord }[] = [];
  for (const field of ['initContainers', 'containers'] as const) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((item: unknown, index) => {
      const container = asRecord(item);
      if (container?.['name'] === name) found.push({ path: `spec.${field}[${index}]`, container });
    });
  }
  return found;
}

/**
 * Every field in which a container named like ztgate's init or proxy container differs from what
 * ztgate injects for this config and this pod's identity (`spiffeId`), where they sit, and the
 * sources of the proxy's volumes. Empty for a pod ztgate injected (or one without such
 * containers: their absence is a different violation).
 */
export function findForgedSidecarFields(
  podSpec: Readonly<Record<string, unknown>>,
  config: SidecarConfig,
  spiffeId: string,
): readonly ForgedField[] {
  const spec = podSpec as JsonRecord;
  const { init, proxy } = expectedOf(config);
  const forged: ForgedField[] = [];
  for (const { path, container } of located(spec, config.initContainerName)) {
    forged.push(...compare(container, init, path, config.initContainerName));
  }
  for (const { path, container } of located(spec, config.containerName)) {
    forged.push(...compare(container, proxy, path, config.containerName, spiffeId));
    forged.push(...findVolumeFindings(spec, container, path, config));
  }
  forged.push(...findPlacementFindings(spec, config));
  return forged;
}

/** What ztgate's init and proxy containers must look like for a config (for tests). */
export function expectedContainers(config: SidecarConfig): {
  readonly init: Expected;
  readonly proxy: Expected;
} {
  return expectedOf(config);
}
