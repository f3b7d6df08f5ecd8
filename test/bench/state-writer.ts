/**
 * Writes a generated cluster as a state folder `ztgate serve --state` loads, and caches it: a
 * 10× view takes seconds to render, and the same seed and scale always give the same files.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../src/policy/types.js';
import { generateCluster, type GeneratedCluster, type GenerateOptions } from './generate.js';

/** Bump when the generator's output changes, so cached folders are rebuilt. */
export const GENERATOR_VERSION = 3;

/** Documents per file: big enough to keep file counts low, small enough to stream. */
const CHUNK = 5000;

/** How documents are written: YAML block style (as people write them) or JSON documents in .json files. */
export type StateFormat = 'yaml' | 'json';

function render(objects: readonly KubeObject[], format: StateFormat): string {
  if (format === 'json') return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** Writes `objects` into `dir` (replacing it) in chunks of CHUNK documents. */
export async function writeStateDir(
  dir: string,
  objects: readonly KubeObject[],
  format: StateFormat,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let start = 0, part = 0; start < objects.length; start += CHUNK, part++) {
    const name = `objects-${String(part).padStart(4, '0')}.${format}`;
    await writeFile(join(dir, name), render(objects.slice(start, start + CHUNK), format));
  }
}

/** The stamp identifying a cached state folder's content. */
function stampOf(options: GenerateOptions, format: StateFormat): string {
  return JSON.stringify({ version: GENERATOR_VERSION, format, ...options });
}

/**
 * Returns the cluster for `options` with its state folder under `root`, writing the folder
 * only when no folder with the same stamp is there.
 */
export async function ensureStateDir(
  root: string,
  options: GenerateOptions,
  format: StateFormat,
): Promise<{ dir: string; cluster: GeneratedCluster; cached: boolean }> {
  const dir = join(root, `state-scale${options.scale}-seed${options.seed}`);
  const stampFile = join(root, `state-scale${options.scale}-seed${options.seed}.stamp`);
  const cluster = generateCluster(options);
  const stamp = stampOf(options, format);
  const existing = await readFile(stampFile, 'utf8').catch(() => '');
  if (existing === stamp) return { dir, cluster, cached: true };
  await writeStateDir(dir, cluster.objects, format);
  await writeFile(stampFile, stamp);
  return { dir, cluster, cached: false };
}
