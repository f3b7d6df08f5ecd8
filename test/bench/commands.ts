/** The command lines of the servers under test, and which ztgate build to run. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerSource } from './options.js';

/** TLS files both servers use. */
export interface TlsArgs {
  readonly certFile: string;
  readonly keyFile: string;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** `auto` picks dist when dist/cli/main.js is newer than every file in src/, else src. */
export async function resolveServerSource(source: ServerSource): Promise<'dist' | 'src'> {
  if (source !== 'auto') return source;
  const built = await stat('dist/cli/main.js').then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return built > 0 && built >= (await newestMtime('src')) ? 'dist' : 'src';
}

/** The config ztgate serves the benchmark with (the builtin injector). */
export const BENCH_CONFIG_FILE = 'test/bench/ztgate-config.yaml';

/** Node arguments for `ztgate serve --state DIR` on `{port}` (profiled into `cpuProfDir` when set). */
export function ztgateArgs(
  source: 'dist' | 'src',
  stateDir: string,
  tls: TlsArgs,
  cpuProfDir?: string,
): string[] {
  const entry = source === 'dist' ? ['bin/ztgate.js'] : ['--import', 'tsx', 'test/bench/ztgate-src.ts'];
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  return [
    ...profile,
    ...entry,
    'serve',
    '--state',
    stateDir,
    '--config',
    BENCH_CONFIG_FILE,
    ...listenArgs(tls),
  ];
}

/** The listen and TLS options both servers take, so they serve on the same terms. */
export function listenArgs(tls: TlsArgs): string[] {
  return ['--port', '{port}', '--host', '127.0.0.1', '--tls-cert', tls.certFile, '--tls-key', tls.keyFile];
}

/**
 * Node arguments for the ceiling server on `{port}`, answering /mutate with `patchFile`'s patches
 * when given, and spending `workUs` of busy work per request when given (the budget session).
 */
export function ceilingArgs(tls: TlsArgs, patchFile?: string, workUs = 0): string[] {
  const patches = patchFile === undefined ? [] : ['--patches', patchFile];
  const work = workUs > 0 ? ['--work-us', String(workUs)] : [];
  return ['--import', 'tsx', 'test/bench/ceiling.ts', ...listenArgs(tls), ...patches, ...work];
}
