/** Test helpers for the sidecar tests: config overrides and a structural check of an injected pod. */
import type { SidecarConfig } from '../../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import { INJECTED_ANNOTATION, STATUS_ANNOTATION } from '../../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../../src/policy/types.js';

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function merge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(override)) result[key] = merge(base[key], value);
  return result;
}

/** BUILTIN_CONFIG.sidecar (test images) with (deep) overrides, as a fixture's `sidecar:` section gives them. */
export function sidecarConfig(overrides: unknown = {}): SidecarConfig {
  return merge(BUILTIN_CONFIG.sidecar, overrides) as SidecarConfig;
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

function names(items: readonly Json[]): string[] {
  return items.map((item) => String(item['name']));
}

/** Every problem that makes `pod` an invalid or incomplete injected pod; empty when it is fine. */
export function injectedPodProblems(pod: KubeObject, config: SidecarConfig): string[] {
  const problems: string[] = [];
  const spec = (pod['spec'] ?? {}) as Json;
  const containers = list(spec['containers']);
  const initContainers = list(spec['initContainers']);
  const volumes = list(spec['volumes']);
  const allNames = [...names(containers), ...names(initContainers)];
  if (containers.length === 0) problems.push('no containers');
  if (new Set(allNames).size !== allNames.length)
    problems.push(`container names not unique: ${allNames.join(',')}`);
  const volumeNames = names(volumes);
  if (new Set(volumeNames).size !== volumeNames.length)
    problems.push(`volume names not unique: ${volumeNames.join(',')}`);
  for (const container of [...containers, ...initContainers]) {
    for (const mount of list(container['volumeMounts'])) {
      if (!volumeNames.includes(String(mount['name'])))
        problems.push(`mount ${String(mount['name'])} has no volume`);
    }
  }
  if (initContainers[0]?.['name'] !== config.initContainerName)
    problems.push('redirect init container is not first');
  const proxy = config.native ? initContainers[1] : containers[0];
  if (proxy?.['name'] !== config.containerName) problems.push('proxy is not where the mode puts it');
  if (config.native && proxy?.['restartPolicy'] !== 'Always')
    problems.push('native proxy lacks restartPolicy Always');
  if (allNames.filter((name) => name === config.containerName).length !== 1)
    problems.push('proxy not exactly once');
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[INJECTED_ANNOTATION] !== 'true') problems.push('injected annotation missing');
  const status = JSON.parse(annotations[STATUS_ANNOTATION] ?? '{}') as Json;
  for (const name of [...list(status['containers']), ...list(status['initContainers'])]) {
    if (!allNames.includes(String(name))) problems.push(`status names missing container ${String(name)}`);
  }
  for (const name of list(status['volumes'])) {
    if (!volumeNames.includes(String(name))) problems.push(`status names missing volume ${String(name)}`);
  }
  return problems;
}

const PROBE_FIELDS = ['livenessProbe', 'readinessProbe', 'startupProbe'];

/** The user's containers without their probes (which injection may rewrite). */
function withoutProbes(items: readonly Json[]): Json[] {
  return items.map((item) =>
    Object.fromEntries(Object.entries(item).filter(([key]) => !PROBE_FIELDS.includes(key))),
  );
}

/** What of the user's pod the injected pod lost (containers, volumes, annotations, labels, other spec fields). */
export function droppedFromUser(before: KubeObject, after: KubeObject, config: SidecarConfig): string[] {
  const problems: string[] = [];
  const ours = [config.containerName, config.initContainerName];
  const spec = (before['spec'] ?? {}) as Json;
  const next = (after['spec'] ?? {}) as Json;
  const keep = (field: string, drop: (items: Json[]) => Json[] = (items) => items): void => {
    const kept = list(next[field]).filter((item) => !ours.includes(String(item['name'])));
    if (JSON.stringify(drop(kept)) !== JSON.stringify(drop(list(spec[field]))))
      problems.push(`${field} changed`);
  };
  keep('containers', withoutProbes);
  // Restartable init containers (the app's native sidecars) get their probes rewritten too.
  keep('initContainers', withoutProbes);
  const userVolumes = list(spec['volumes']);
  if (JSON.stringify(list(next['volumes']).slice(0, userVolumes.length)) !== JSON.stringify(userVolumes)) {
    problems.push('volumes changed');
  }
  for (const [key, value] of Object.entries(spec)) {
    if (
      !['containers', 'initContainers', 'volumes'].includes(key) &&
      JSON.stringify(next[key]) !== JSON.stringify(value)
    ) {
      problems.push(`spec.${key} changed`);
    }
  }
  for (const [key, value] of Object.entries(before.metadata ?? {})) {
    if (key !== 'annotations' && JSON.stringify(after.metadata?.[key]) !== JSON.stringify(value)) {
      problems.push(`metadata.${key} changed`);
    }
  }
  for (const [key, value] of Object.entries(before.metadata?.annotations ?? {})) {
    if (key.startsWith('ztgate.dev/')) continue;
    if (after.metadata?.annotations?.[key] !== value) problems.push(`annotation ${key} changed`);
  }
  return problems;
}
