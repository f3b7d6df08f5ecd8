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

/** One field of a ztgate-named container that differs from what ztgate builds. */
export interface ForgedField {
  /** Dotted path into the pod, e.g. "spec.initContainers[0].args". */
  readonly path: string;
  readonly container: string;
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
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** The API server may default procMount; it grants nothing beyond the runtime's default. */
function withoutDefaults(field: string, value: unknown): unknown {
  const record = asRecord(value);
  if (field !== 'securityContext' || record === undefined || record['procMount'] !== 'Default') return value;
  const { procMount: _procMount, ...rest } = record;
  return rest;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((key) => (a as JsonRecord)[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => (b as JsonRecord)[key] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => sameJson((a as JsonRecord)[key], (b as JsonRecord)[key]));
}

function sameField(field: string, found: unknown, built: unknown): boolean {
  if (isUnset(found) && isUnset(built)) return true;
  return sameJson(withoutDefaults(field, found), built);
}

function envOf(container: JsonRecord): JsonRecord[] {
  const env = container['env'];
  return Array.isArray(env) ? env.filter((entry): entry is JsonRecord => asRecord(entry) !== undefined) : [];
}

/** The proxy's env: ztgate's own entries exactly, its identity as derived, nothing else. */
function envMatches(found: JsonRecord, built: JsonRecord, spiffeId: string): boolean {
  const foundEnv = envOf(found);
  const builtEnv = envOf(built).filter((entry) => !PER_POD_ENV.has(String(entry['name'])));
  const builtNames = new Set(builtEnv.map((entry) => entry['name']));
  for (const entry of foundEnv) {
    if (!builtNames.has(entry['name']) && !PER_POD_ENV.has(String(entry['name']))) return false;
  }
  const identity = foundEnv.filter((entry) => entry['name'] === 'ZTGATE_SPIFFE_ID');
  if (identity.length !== 1 || identity[0]?.['value'] !== spiffeId) return false;
  return builtEnv.every((entry) => foundEnv.some((candidate) => sameJson(candidate, entry)));
}

/**
 * The ServiceAccount admission plugin mounts the API token read-only into every container of a
 * pod that automounts it, ztgate's included: that one mount is the API server's, not the author's.
 */
const API_TOKEN_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount:true';

/** Read-only mounts of the token and trust bundle at ztgate's paths (names may carry a clash suffix). */
function mountsMatch(found: JsonRecord, built: JsonRecord): boolean {
  const shape = (container: JsonRecord) =>
    (Array.isArray(container['volumeMounts']) ? (container['volumeMounts'] as unknown[]) : [])
      .map((mount) => asRecord(mount) ?? {})
      .map((mount) => `${String(mount['mountPath'])}:${mount['readOnly'] === true}`)
      .filter((mount) => mount !== API_TOKEN_MOUNT)
      .sort();
  return sameJson(shape(found), shape(built));
}

function compare(found: JsonRecord, built: JsonRecord, path: string, name: string, spiffeId?: string) {
  const forged: ForgedField[] = [];
  for (const field of EXACT_FIELDS) {
    if (!sameField(field, found[field], built[field]))
      forged.push({ path: `${path}.${field}`, container: name, field });
  }
  const envOk =
    spiffeId === undefined
      ? sameField('env', found['env'], built['env'])
      : envMatches(found, built, spiffeId);
  if (!envOk) forged.push({ path: `${path}.env`, container: name, field: 'env' });
  if (!mountsMatch(found, built))
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
 * ztgate injects for this config and this pod's identity (`spiffeId`). Empty for a pod ztgate
 * injected (or one without such containers: their absence is a different violation).
 */
export function findForgedSidecarFields(
  podSpec: Readonly<Record<string, unknown>>,
  config: SidecarConfig,
  spiffeId: string,
): readonly ForgedField[] {
  const spec = podSpec as JsonRecord;
  const init = buildInitContainer(config);
  const proxy = buildProxyContainer(config, {
    spiffeId,
    volumes: VOLUME_BASE_NAMES,
    appProbes: {},
    exitOnAppExit: false,
  });
  const forged: ForgedField[] = [];
  for (const { path, container } of located(spec, config.initContainerName)) {
    forged.push(...compare(container, init, path, config.initContainerName));
  }
  for (const { path, container } of located(spec, config.containerName)) {
    forged.push(...compare(container, proxy, path, config.containerName, spiffeId));
  }
  return forged;
}
