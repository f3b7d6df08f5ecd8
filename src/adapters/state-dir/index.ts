import { readFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import type { KubeObject } from '../../policy/types.js';
import { InputError, InputErrors, type ObjectSource } from './input-error.js';
import { parseManifests, type ParsedObjects } from './parse.js';

export { describeSource, InputError, InputErrors, type ObjectSource } from './input-error.js';
export { parseJson, parseManifests, parseYaml, type ParsedObjects, type ParseOptions } from './parse.js';

/** Options of loadObjects. */
export interface LoadOptions {
  /** Reads standard input for the path "-" (injectable for tests). */
  readonly readStdin?: () => Promise<string>;
  /**
   * Leave out what is not a Kubernetes manifest: documents with neither apiVersion nor kind, and
   * files that do not parse and mention neither (tsconfig.json with comments). A file that
   * mentions one and does not parse is a broken manifest and still an error.
   */
  readonly skipUnknown?: boolean;
}

/** What loadObjects read. */
export interface LoadedObjects {
  readonly objects: KubeObject[];
  readonly sources: ObjectSource[];
  /** Documents or whole files left out by `skipUnknown`. */
  readonly skipped: ObjectSource[];
  /** Every file read ("-" for stdin), in order. */
  readonly files: string[];
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return error instanceof Error ? error.message : String(error);
}

/** Why `path` cannot be read: a dangling symbolic link is named with where it points. */
async function failureAt(path: string, error: unknown): Promise<InputError> {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') {
    const link = await lstat(path).catch(() => undefined);
    if (link?.isSymbolicLink() === true) {
      const target = await readlink(path).catch(() => '?');
      return new InputError(
        { file: path },
        `dangling symbolic link to ${target} (no such file or directory)`,
      );
    }
  }
  return new InputError({ file: path }, reasonOf(error));
}

/**
 * Manifest files under a folder, recursively, sorted; dot-entries (.git) are skipped. Entries
 * that cannot be read are collected in `problems`, so one run names every one of them.
 */
async function listManifests(dir: string, seen: Set<string>, problems: InputError[]): Promise<string[]> {
  let entries: string[];
  try {
    const real = await realpath(dir);
    if (seen.has(real)) return []; // a symlink loop
    seen.add(real);
    entries = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  } catch (error) {
    problems.push(await failureAt(dir, error));
    return [];
  }
  const files: string[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    const isManifest = MANIFEST_EXTENSIONS.some((extension) => name.toLowerCase().endsWith(extension));
    try {
      const info = await stat(path);
      if (info.isDirectory()) files.push(...(await listManifests(path, seen, problems)));
      else if (isManifest) files.push(path);
    } catch (error) {
      // A dangling link or an entry that cannot be examined: named, whatever its extension,
      // since it may be the folder of manifests the run was meant to read.
      problems.push(await failureAt(path, error));
    }
  }
  return files;
}

/** A file's text; a read failure becomes an InputError naming the file. */
async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw await failureAt(file, error);
  }
}

/** Files to read for one path: the file itself, or every manifest under a folder. */
async function expand(path: string, problems: InputError[]): Promise<string[]> {
  if (path === '-') return [path];
  try {
    const info = await stat(path);
    return info.isDirectory() ? await listManifests(path, new Set(), problems) : [path];
  } catch (error) {
    problems.push(await failureAt(path, error));
    return [];
  }
}

const EMPTY: ParsedObjects = { objects: [], sources: [], skipped: [] };

async function readOne(path: string, options: LoadOptions): Promise<ParsedObjects> {
  const content =
    path === '-' ? await (options.readStdin ?? (() => text(process.stdin)))() : await readText(path);
  const name = path === '-' ? '-' : path;
  try {
    return parseManifests(content, name, { skipUnknown: options.skipUnknown });
  } catch (error) {
    // A file that does not parse and names neither apiVersion nor kind is no manifest
    // (tsconfig.json with comments); a manifest that does not parse is still an error.
    const unparsable = error instanceof InputError && error.reason.startsWith('invalid ');
    if (options.skipUnknown === true && unparsable && !/\b(apiVersion|kind)\b/.test(content))
      return { ...EMPTY, skipped: [{ file: name }] };
    throw error;
  }
}

/**
 * Reads Kubernetes objects from files, folders (recursively: .yaml, .yml, .json) and "-" (stdin),
 * in order; multi-document YAML and Lists are flattened. Every file that cannot be read or parsed
 * is reported at once: one InputError, or InputErrors naming each file and document.
 */
export async function loadObjects(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadedObjects> {
  const loaded: LoadedObjects = { objects: [], sources: [], skipped: [], files: [] };
  const problems: InputError[] = [];
  for (const path of paths) {
    for (const file of await expand(path, problems)) {
      loaded.files.push(file);
      try {
        const parsed = await readOne(file, options);
        loaded.objects.push(...parsed.objects);
        loaded.sources.push(...parsed.sources);
        loaded.skipped.push(...parsed.skipped);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        problems.push(error);
      }
    }
  }
  if (problems.length === 1) throw problems[0] as InputError;
  if (problems.length > 1) throw new InputErrors(problems);
  return loaded;
}

/** Throws an InputError unless `dir` is a directory. */
async function assertDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(async (error: unknown) => {
    throw await failureAt(dir, error);
  });
  if (!info.isDirectory()) throw new InputError({ file: dir }, 'not a directory');
}

/**
 * The manifest files of a state folder, in load order, without their texts: a server reads them
 * one at a time (readStateFile) so no more than one file's text is alive at once.
 */
export async function listStateDir(dir: string): Promise<string[]> {
  await assertDirectory(dir);
  const problems: InputError[] = [];
  const files = await expand(dir, problems);
  if (problems.length === 1) throw problems[0] as InputError;
  if (problems.length > 1) throw new InputErrors(problems);
  return files;
}

/**
 * One file's text, read synchronously (for a view built from a generator); undefined when it
 * cannot be read, with the reason pushed to `problems` so one run names every such file.
 */
export function readStateFile(file: string, problems: Promise<InputError>[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(failureAt(file, error));
    return undefined;
  }
}

/** Throws the read failures readStateFile collected, if any. */
export async function throwReadFailures(problems: readonly Promise<InputError>[]): Promise<void> {
  const errors = await Promise.all(problems);
  if (errors.length === 1) throw errors[0] as InputError;
  if (errors.length > 1) throw new InputErrors(errors);
}

/** Loads every object of a state folder (what `check --state` and `serve --state` start from). */
export async function loadStateDir(dir: string): Promise<KubeObject[]> {
  await assertDirectory(dir);
  return (await loadObjects([dir])).objects;
}
