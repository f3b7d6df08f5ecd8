/**
 * The rest of "exactly what ztgate would inject", beyond each container's own fields: where the
 * containers sit (the redirect before any other init container, the proxy where its mode puts
 * it) and what the proxy's volumes really are (a mount path proves nothing about the volume
 * behind it: a projected token of another audience, another ConfigMap as the trust bundle, a
 * persistent disk as the key's workdir all mount at ztgate's paths).
 */
import type { SidecarConfig } from '../config.js';
import { MOUNT_PATHS, VOLUME_BASE_NAMES } from './names.js';
import { asRecord, asRecordArray, nameOf, type JsonRecord } from './read.js';
import { memoByConfig } from './shared-parts.js';
import { sameJson } from './same-json.js';
import { buildVolumes } from './volumes.js';

/** One placement or volume finding, in the shape `findForgedSidecarFields` reports. */
export interface PlacementFinding {
  readonly path: string;
  readonly container: string;
  /** `position: <why>`, `volumes: <why>` or `volumeMounts: <why>`: the message carries the why. */
  readonly field: string;
}

/** The API server defaults `defaultMode: 420` (0644) on configMap and projected volumes. */
const DEFAULT_MODE = 0o644;

/** A projected token's expiry when none is written (the API server's default). */
const DEFAULT_TOKEN_SECONDS = 3600;

function withTokenDefaults(source: unknown): unknown {
  const token = asRecord(asRecord(source)?.['serviceAccountToken']);
  if (token === undefined || token['expirationSeconds'] !== undefined) return source;
  return { ...asRecord(source), serviceAccountToken: { ...token, expirationSeconds: DEFAULT_TOKEN_SECONDS } };
}

/**
 * A volume as the API server stores it, its name left aside: the defaults it fills in are
 * written out (defaultMode 420, a token's 3600 s), `optional: false` is dropped.
 */
function withDefaults(volume: JsonRecord): JsonRecord {
  const source: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(volume)) {
    if (key === 'name' || value === undefined || value === null) continue;
    const record = asRecord(value);
    if (key === 'configMap' && record !== undefined) {
      const { optional, ...rest } = record;
      source[key] = {
        ...rest,
        defaultMode: rest['defaultMode'] ?? DEFAULT_MODE,
        ...(optional === true ? { optional } : {}),
      };
    } else if (key === 'projected' && record !== undefined) {
      const sources = Array.isArray(record['sources'])
        ? record['sources'].map(withTokenDefaults)
        : record['sources'];
      source[key] = { ...record, sources, defaultMode: record['defaultMode'] ?? DEFAULT_MODE };
    } else source[key] = value;
  }
  return source;
}

/** Whether a pod's volume (its name aside) has exactly `expected`'s source. Allocates nothing. */
function sameSource(volume: JsonRecord, expected: JsonRecord): boolean {
  let count = 0;
  for (const key in volume) {
    if (!Object.hasOwn(volume, key) || key === 'name' || volume[key] === undefined) continue;
    if (!sameJson(volume[key], expected[key])) return false;
    count++;
  }
  return count === Object.keys(expected).length;
}

/**
 * ztgate's volume by the proxy's mount path: as the patch writes it (its name left aside, as
 * sameSource leaves the pod's aside), and with the API server's defaults.
 */
export interface ExpectedSource {
  readonly written: JsonRecord;
  readonly defaulted: JsonRecord;
}

function withoutName(volume: JsonRecord): JsonRecord {
  const { name: _name, ...source } = volume;
  return source;
}

/** The sources ztgate's volumes have, by the proxy's mount path; built once per frozen config. */
const expectedSourcesOf = memoByConfig((config: SidecarConfig) => {
  const paths = [MOUNT_PATHS.token, MOUNT_PATHS.trustBundle, MOUNT_PATHS.workdir];
  const expected = new Map<string, ExpectedSource>();
  buildVolumes(config, VOLUME_BASE_NAMES).forEach((volume, index) => {
    expected.set(paths[index] ?? '', { written: withoutName(volume), defaulted: withDefaults(volume) });
  });
  return expected;
});

/**
 * Whether a volume has ztgate's source: equal to it once both are defaulted. The first two
 * comparisons answer the usual cases without building the defaulted copy: as the patch wrote it
 * (`ztgate check`, the pod /mutate returned) and as the API server stores it (an admitted pod);
 * each implies the third (withDefaults of either is `defaulted`).
 */
export function isExpectedSource(volume: JsonRecord, expected: ExpectedSource): boolean {
  return (
    sameSource(volume, expected.written) ||
    sameSource(volume, expected.defaulted) ||
    isDefaultedSource(volume, expected)
  );
}

/** The definition isExpectedSource answers: the volume, defaulted, is ztgate's defaulted volume. */
export function isDefaultedSource(volume: JsonRecord, expected: ExpectedSource): boolean {
  return sameSource(withDefaults(volume), expected.defaulted);
}

/** ztgate's volume sources for a config, by the proxy's mount path (for tests). */
export function expectedSources(config: SidecarConfig): ReadonlyMap<string, ExpectedSource> {
  return expectedSourcesOf(config);
}

/** Mount fields that change what a mount shows (a sub-directory, propagation): ztgate sets none. */
const ALTERING_MOUNT_FIELDS = ['subPath', 'subPathExpr', 'mountPropagation', 'recursiveReadOnly'] as const;

function isAltered(mount: JsonRecord): boolean {
  return ALTERING_MOUNT_FIELDS.some((field) => {
    const value = mount[field];
    return !(
      value === undefined ||
      value === null ||
      value === '' ||
      (field === 'mountPropagation' && value === 'None')
    );
  });
}

/**
 * The proxy's three mounts must be backed by exactly ztgate's volumes: the projected token with
 * ztgate's audience, expiry and path, the trust bundle ConfigMap of the config, and a
 * memory-backed emptyDir for the key.
 */
export function findVolumeFindings(
  spec: JsonRecord,
  proxy: JsonRecord,
  proxyPath: string,
  config: SidecarConfig,
): PlacementFinding[] {
  const expected = expectedSourcesOf(config);
  const volumes = asRecordArray(spec['volumes']) ?? [];
  const findings: PlacementFinding[] = [];
  for (const mount of asRecordArray(proxy['volumeMounts']) ?? []) {
    const mountPath = mount['mountPath'];
    if (typeof mountPath !== 'string' || !expected.has(mountPath)) continue;
    const index = volumes.findIndex((volume) => nameOf(volume) === mount['name']);
    const volume = volumes[index];
    const container = String(proxy['name']);
    if (isAltered(mount)) {
      findings.push({
        path: `${proxyPath}.volumeMounts`,
        container,
        field: `volumeMounts: the mount at ${mountPath} shows a sub-path or propagates mounts`,
      });
    }
    const wanted = expected.get(mountPath);
    if (volume === undefined || wanted === undefined || !isExpectedSource(volume, wanted)) {
      findings.push({
        path: index === -1 ? 'spec.volumes' : `spec.volumes[${index}]`,
        container,
        field: `volumes: the volume mounted at ${mountPath} is not the one ztgate adds (${describeExpected(mountPath, config)})`,
      });
    }
  }
  return findings;
}

function describeExpected(mountPath: string, config: SidecarConfig): string {
  if (mountPath === MOUNT_PATHS.token)
    return `a projected ServiceAccount token, audience ${config.token.audience}, ${config.token.expirationSeconds} s, path token`;
  if (mountPath === MOUNT_PATHS.trustBundle) return `ConfigMap ${config.trustBundleConfigMap}`;
  return 'a memory-backed emptyDir';
}

/** The index of the first object of `list` named `name` (-1 when none, or no list). Allocates nothing. */
function indexOfName(list: unknown, name: string): number {
  if (!Array.isArray(list)) return -1;
  for (let index = 0; index < list.length; index += 1) {
    if (asRecord(list[index])?.['name'] === name) return index;
  }
  return -1;
}

/**
 * Where ztgate's containers sit. The redirect init container must be the pod's first init
 * container: one placed before it runs before the redirect exists, and its traffic skips the proxy.
 * The proxy is the second init container in native mode (before the app's init containers, so
 * they are proxied) and the first container in classic mode (its postStart hook holds the app).
 */
export function findPlacementFindings(spec: JsonRecord, config: SidecarConfig): PlacementFinding[] {
  const findings: PlacementFinding[] = [];
  const init = indexOfName(spec['initContainers'], config.initContainerName);
  if (init > 0) {
    findings.push({
      path: `spec.initContainers[${init}]`,
      container: config.initContainerName,
      field:
        'position: it must be the first init container, as any init container before it runs before the redirect exists',
    });
  }
  const [list, wanted] = config.native ? (['initContainers', 1] as const) : (['containers', 0] as const);
  const proxyInit = indexOfName(spec['initContainers'], config.containerName);
  const proxyContainer = indexOfName(spec['containers'], config.containerName);
  const at = list === 'initContainers' ? proxyInit : proxyContainer;
  const elsewhere = list === 'initContainers' ? proxyContainer : proxyInit;
  if ((at !== -1 && at !== wanted) || elsewhere !== -1) {
    const actual =
      at !== -1
        ? `spec.${list}[${at}]`
        : `spec.${list === 'initContainers' ? 'containers' : 'initContainers'}[${elsewhere}]`;
    findings.push({
      path: actual,
      container: config.containerName,
      field: `position: ${config.native ? 'native mode' : 'classic mode'} puts the proxy at spec.${list}[${wanted}]`,
    });
  }
  return findings;
}
