import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import type { KubeObject } from '../../policy/types.js';
import { InputError, type ObjectSource } from './input-error.js';
import { parseManifests, type ParsedObjects } from './parse.js';

export { describeSource, InputError, type ObjectSource } from './input-error.js';
export { parseJson, parseManifests, parseYaml, type ParsedObjects } from './parse.js';

/** Options of loadObjects. */
export interface LoadOptions {
  /** Reads standard input for the path "-" (injectable for tests). */
  readonly readStdin?: () => Promise<string>;
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/** Manifest files under a folder, recursively, sorted; dot-entries (.git) are skipped. */
async function listManifests(dir: string, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return []; // a symlink loop
  seen.add(real);
  const files: string[] = [];
  const entries = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  for (const name of entries) {
    const path = join(dir, name);
    const info = await stat(path);
    if (info.isDirectory()) files.push(...(await listManifests(path, seen)));
    else if (MANIFEST_EXTENSIONS.some((extension) => name.toLowerCase().endsWith(extension)))
      files.push(path);
  }
  return files;
}

async function readOne(path: string, options: LoadOptions): Promise<ParsedObjects> {
  if (path === '-') {
    const read = options.readStdin ?? (() => text(process.stdin));
    return parseManifests(await read(), '-');
  }
  return parseManifests(await readText(path), path);
}

/** A file's text; a read failure becomes an InputError naming the file. */
async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError({ file }, reasonOf(error));
  }
}

/** Files to read for one path: the file itself, or every manifest under a folder. */
async function expand(path: string): Promise<string[]> {
  if (path === '-') return [path];
  try {
    const info = await stat(path);
    return info.isDirectory() ? await listManifests(path, new Set()) : [path];
  } catch (error) {
    throw new InputError({ file: path }, reasonOf(error));
  }
}

/**
 * Reads Kubernetes objects from files, folders (recursively: .yaml, .yml, .json) and "-" (stdin),
 * in order; multi-document YAML and Lists are flattened. Throws InputError naming file and document.
 */
export async function loadObjects(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<{ objects: KubeObject[]; sources: ObjectSource[] }> {
  const objects: KubeObject[] = [];
  const sources: ObjectSource[] = [];
  for (const path of paths) {
    for (const file of await expand(path)) {
      const parsed = await readOne(file, options);
      objects.push(...parsed.objects);
      sources.push(...parsed.sources);
    }
  }
  return { objects, sources };
}

/** Throws an InputError unless `dir` is a directory. */
async function assertDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch((error: unknown) => {
    throw new InputError({ file: dir }, reasonOf(error));
  });
  if (!info.isDirectory()) throw new InputError({ file: dir }, 'not a directory');
}

/** The manifest files of a state folder, each with its text, in load order. */
export async function readStateDir(dir: string): Promise<{ file: string; text: string }[]> {
  await assertDirectory(dir);
  const files: { file: string; text: string }[] = [];
  for (const file of await expand(dir)) files.push({ file, text: await readText(file) });
  return files;
}

/** Loads every object of a state folder (what `check --state` and `serve --state` start from). */
export async function loadStateDir(dir: string): Promise<KubeObject[]> {
  await assertDirectory(dir);
  return (await loadObjects([dir])).objects;
}
