import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Issue 15 §4: a CI job pointed at a folder must learn everything wrong with it in one run, never
// go green on the wrong path, and be able to skip what is not a manifest.
const STATE = join(import.meta.dirname, '..', 'fixtures', 'check', 'state');
const root = mkdtempSync(join(tmpdir(), 'ztgate-check-inputs-'));
let folders = 0;

/** A fresh folder holding `files` (name → text). */
function folder(files: Record<string, string>): string {
  const dir = join(root, `f${(folders += 1)}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const SA = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n';
const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: web:1}]
`;
const TSCONFIG = '{\n  // comments make this JSONC, not JSON\n  "compilerOptions": {"strict": true}\n}\n';
const VALUES = 'replicaCount: 2\nimage:\n  repository: example/web\n  tag: "1.0"\n';

afterEach(() => vi.restoreAllMocks());

describe('check reads folders', () => {
  it('reports every unreadable file of a folder in one run (exit 2), naming each', async () => {
    const dir = folder({
      'a.yaml': SA,
      'b/broken.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: [\n',
      'c.json': '{"apiVersion": "v1", "kind": ',
      'd.yaml': 'apiVersion: v1\nmetadata: {name: x}\n',
    });
    const { code, stdout, stderr } = await runCli('check', ['-f', dir]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr.split('\n')).toEqual([
      'ztgate: 3 inputs cannot be read:',
      `  ${join(dir, 'b', 'broken.yaml')}: document 1: invalid YAML at line 3 (\`metadata: [\`): Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `  ${join(dir, 'c.json')}: document 1: invalid JSON at line 1: Unexpected end of JSON input`,
      `  ${join(dir, 'd.yaml')}: document 1: the object has no kind`,
      '',
    ]);
  });

  it('refuses other JSON and YAML in the folder unless --skip-unknown, which says what it left out', async () => {
    const dir = folder({
      'deploy/web.yaml': WEB,
      'deploy/sa.yaml': SA,
      'tsconfig.json': TSCONFIG,
      'chart/values.yaml': VALUES,
    });
    const refused = await runCli('check', ['-f', dir, '--state', STATE]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `${join(dir, 'chart', 'values.yaml')}: document 1: the object has no apiVersion`,
    );
    expect(refused.stderr).toContain(`${join(dir, 'tsconfig.json')}: document 1: invalid JSON`);
    const skipped = await runCli('check', ['-f', dir, '--state', STATE, '--skip-unknown']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout.split('\n')[0]).toBe('ALLOWED Deployment shop/web');
    expect(skipped.stderr).toBe(
      `ztgate check: --skip-unknown left out 2 (not Kubernetes objects): ${join(dir, 'chart', 'values.yaml')} (document 1), ${join(dir, 'tsconfig.json')}\n`,
    );
  });

  it('still refuses a broken manifest with --skip-unknown: it names an apiVersion', async () => {
    const dir = folder({
      'web.yaml': WEB,
      'broken.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: [\n',
      'half.yaml': 'kind: Pod\n',
    });
    const { code, stderr } = await runCli('check', ['-f', dir, '--skip-unknown']);
    expect(code).toBe(2);
    expect(stderr).toContain(`${join(dir, 'broken.yaml')}: document 1: invalid YAML at line 3`);
    expect(stderr).toContain(`${join(dir, 'half.yaml')}: document 1: the object has no apiVersion`);
  });

  it.each([
    ['an empty file', () => folder({ 'empty.yaml': '' }) + '/empty.yaml'],
    [
      'a comments-only file',
      () => folder({ 'c.yaml': '# TODO: add the manifests\n---\n# later\n' }) + '/c.yaml',
    ],
    ['an empty folder', () => folder({})],
    ['a folder of other files only', () => folder({ 'README.md': '# hi', 'notes.txt': 'x' })],
    ['an empty JSON file', () => folder({ 'e.json': '\n' }) + '/e.json'],
  ])('exits 2 on %s: no Kubernetes objects found', async (_name, make) => {
    const path = make();
    const { code, stdout, stderr } = await runCli('check', ['-f', path]);
    expect([code, stdout, stderr]).toEqual([2, '', `ztgate: no Kubernetes objects found in ${path}\n`]);
  });

  it('exits 2 when --skip-unknown leaves nothing, saying what it left out', async () => {
    const dir = folder({ 'tsconfig.json': TSCONFIG });
    const { code, stderr } = await runCli('check', ['-f', dir, '--skip-unknown']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `ztgate: no Kubernetes objects found in ${dir} (--skip-unknown left out ${join(dir, 'tsconfig.json')})\n`,
    );
  });

  it('exits 2 on an empty --state folder', async () => {
    const state = folder({});
    const { code, stderr } = await runCli('check', ['-f', folder({ 'sa.yaml': SA }), '--state', state]);
    expect([code, stderr]).toEqual([2, `ztgate: --state ${state}: no Kubernetes objects found in it\n`]);
  });

  it('names a dangling symbolic link, in a folder and given directly', async () => {
    const dir = folder({ 'web.yaml': WEB });
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'link.yaml'));
    const inFolder = await runCli('check', ['-f', dir]);
    expect([inFolder.code, inFolder.stderr]).toEqual([
      2,
      `ztgate: ${join(dir, 'link.yaml')}: dangling symbolic link to ${join(dir, 'gone.yaml')} (no such file or directory)\n`,
    ]);
    const direct = await runCli('check', ['-f', join(dir, 'link.yaml')]);
    expect(direct.stderr).toBe(inFolder.stderr);
  });

  it('names the file and document of an alias bomb', async () => {
    const lines = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: bomb}',
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ];
    for (const name of ['b', 'c', 'd', 'e', 'f']) {
      const prev = String.fromCharCode(name.charCodeAt(0) - 1);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const dir = folder({ 'bomb.yaml': `${SA}---\n${lines.join('\n')}\n` });
    const { code, stderr } = await runCli('check', ['-f', dir]);
    expect([code, stderr]).toEqual([
      2,
      `ztgate: ${join(dir, 'bomb.yaml')}: document 2: refused: the document expands more than 100 YAML aliases (an alias bomb?)\n`,
    ]);
  });
});

describe('YAML error lines point at the line to edit', () => {
  it.each([
    ['an unclosed [ on the last line', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: [x\n', 5],
    ['an unclosed { before trailing blank lines', 'apiVersion: v1\nkind: Pod\nmetadata: {name: a\n\n\n', 3],
    [
      'a key indented deeper than its siblings',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: x\n    image: y\n     ports: 1\n',
      9,
    ],
    ['a tab as indentation', 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n', 4],
    [
      'a key written twice in the second document',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nkind: Pod\n',
      7,
    ],
    ['CRLF line ends', 'apiVersion: v1\r\nkind: Pod\r\nmetadata: [x\r\n', 3],
  ])('%s', async (_name, text, line) => {
    const dir = folder({ 'x.yaml': text });
    const { code, stderr } = await runCli('check', ['-f', join(dir, 'x.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`: invalid YAML at line ${line} `));
  });
});

describe('a malformed field is invalid-object at its path', () => {
  it.each([
    [
      'metadata.name: 12345 (a Deployment)',
      WEB.replace('name: web, namespace', 'name: 12345, namespace'),
      'metadata.name',
      'name is a number (12345), not a string',
    ],
    [
      'containers: "nope"',
      WEB.replace('containers: [{name: web, image: web:1}]', 'containers: "nope"'),
      'spec.template.spec.containers',
      undefined,
    ],
    [
      'metadata.name: 12345 (a NetworkPolicy)',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: 12345, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n',
      'metadata.name',
      'name is a number (12345), not a string',
    ],
    [
      'metadata.namespace: 7',
      WEB.replace('namespace: shop', 'namespace: 7'),
      'metadata.namespace',
      'namespace is a number (7), not a string',
    ],
  ])('%s', async (_name, text, path, message) => {
    const dir = folder({ 'x.yaml': text });
    const { code, stdout } = await runCli('check', [
      '-f',
      join(dir, 'x.yaml'),
      '--state',
      STATE,
      '-o',
      'json',
    ]);
    expect(code).toBe(1);
    const [result] = (
      JSON.parse(stdout) as { results: { violations: { rule: string; path: string; message: string }[] }[] }
    ).results;
    const invalid = result?.violations.filter((v) => v.rule === 'invalid-object') ?? [];
    expect(invalid.map((v) => v.path)).toContain(path);
    if (message !== undefined) expect(invalid.find((v) => v.path === path)?.message).toBe(message);
    expect(stdout).not.toContain('has no metadata.name');
  });
});
