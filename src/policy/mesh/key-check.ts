/** Judging a pod's (or namespace's) labels and annotations against the configured mesh's keys. */
import type { ZtgateConfig } from '../config.js';
import type { Labels } from '../types.js';
import { isApproved, type ApprovedItems } from './exceptions.js';
import { allowedProxyImages, meshProvider } from './index.js';
import type { KeyContext, MeshKey } from './provider.js';

/** One label or annotation whose value opts out, narrows capture or weakens the proxy. */
export interface KeyProblem {
  readonly where: 'labels' | 'annotations';
  readonly key: string;
  readonly value: string;
  /** Why this value is a bypass. */
  readonly reason: string;
  readonly meshKey: MeshKey;
}

/** What the judged metadata is: a Pod's (the mesh may have written some keys) or a template's. */
export interface KeyCheckOptions {
  readonly onPod: boolean;
  readonly approved: ApprovedItems;
  /** Keys to leave to another rule (Linkerd's namespace inject annotation is enrolment's). */
  readonly skip?: readonly string[];
}

/** A list of mesh keys indexed: exact keys by name (first in the list wins), prefix keys in order. */
interface KeyIndex {
  readonly exact: ReadonlyMap<string, { readonly meshKey: MeshKey; readonly position: number }>;
  readonly prefixes: readonly { readonly meshKey: MeshKey; readonly position: number }[];
}

const indexes = new WeakMap<readonly MeshKey[], KeyIndex>();

function indexKeys(keys: readonly MeshKey[]): KeyIndex {
  const exact = new Map<string, { meshKey: MeshKey; position: number }>();
  const prefixes: { meshKey: MeshKey; position: number }[] = [];
  keys.forEach((meshKey, position) => {
    if (meshKey.prefix === true) prefixes.push({ meshKey, position });
    else if (!exact.has(meshKey.key)) exact.set(meshKey.key, { meshKey, position });
  });
  return { exact, prefixes };
}

/**
 * The first of `keys` (in list order) that `key` matches (equal to an exact key, starting with a
 * prefix key), as `keys.find` answers, without trying
 * each: every label and annotation of every pod is looked up, and most match none.
 */
export function findMeshKey(keys: readonly MeshKey[], key: string): MeshKey | undefined {
  let index = indexes.get(keys);
  if (index === undefined) indexes.set(keys, (index = indexKeys(keys)));
  const exact = index.exact.get(key);
  for (const prefix of index.prefixes) {
    // A prefix key later in the list than the exact match is never the first match.
    if (exact !== undefined && prefix.position > exact.position) break;
    if (key.startsWith(prefix.meshKey.key)) return prefix.meshKey;
  }
  return exact?.meshKey;
}

/** Every bypass among `labels` and `annotations` for the configured mesh, in key order. */
export function findKeyProblems(
  metadata: { readonly labels: Labels; readonly annotations: Labels },
  config: ZtgateConfig,
  options: KeyCheckOptions,
): KeyProblem[] {
  const context: KeyContext = { proxyImages: allowedProxyImages(config), onPod: options.onPod };
  const problems: KeyProblem[] = [];
  for (const where of ['labels', 'annotations'] as const) {
    for (const [key, value] of Object.entries(metadata[where])) {
      if (options.skip?.includes(key)) continue;
      const meshKey = findMeshKey(meshProvider(config).keys, key);
      if (meshKey === undefined) continue;
      const reason = meshKey.judge(value, context);
      if (reason === undefined) continue;
      const alone = (item: string): boolean => meshKey.judge(item, context) === undefined;
      if (where === 'annotations' && isApproved(meshKey, value, options.approved, alone)) continue;
      problems.push({ where, key, value, reason, meshKey });
    }
  }
  return problems.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
