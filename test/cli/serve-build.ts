import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

/**
 * Compiles the CLI into a private package folder (bin/, dist/, package.json, node_modules and
 * manifests linked) so `node bin/ztgate.js` runs today's sources without touching the shared dist/.
 */
export async function buildCliPackage(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ztgate-cli-'));
  await mkdir(join(dir, 'bin'));
  await copyFile(join(root, 'bin', 'ztgate.js'), join(dir, 'bin', 'ztgate.js'));
  await copyFile(join(root, 'package.json'), join(dir, 'package.json'));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  await symlink(join(root, 'manifests'), join(dir, 'manifests'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // Other in-progress files may carry type errors; tsc still emits, and the run below proves ours work.
  await run(process.execPath, [
    tsc,
    '-p',
    join(root, 'tsconfig.build.json'),
    '--outDir',
    join(dir, 'dist'),
  ]).catch(() => undefined);
  return dir;
}
