import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InputError,
  loadObjects,
  loadStateDir,
  parseManifests,
} from '../../../src/adapters/state-dir/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ztgate-state-'));
  await mkdir(join(dir, 'nested', 'deeper'), { recursive: true });
  await mkdir(join(dir, '.git'));
  await writeFile(
    join(dir, 'a.yaml'),
    'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: shop}\n',
  );
  await writeFile(join(dir, 'nested', 'b.yml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
  await writeFile(
    join(dir, 'nested', 'deeper', 'c.json'),
    '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"c"}}',
  );
  await writeFile(join(dir, 'nested', 'notes.txt'), 'not a manifest');
  await writeFile(join(dir, '.git', 'x.yaml'), 'garbage: [');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseManifests', () => {
  it('reads multi-document YAML, skipping empty documents', () => {
    const text =
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n';
    const parsed = parseManifests(text, 'x.yaml');
    expect(parsed.objects.map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(parsed.sources).toEqual([
      { file: 'x.yaml', document: 1 },
      { file: 'x.yaml', document: 3 },
    ]);
  });

  it('flattens kind: List and names items', () => {
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b' } },
      ],
    });
    const parsed = parseManifests(text, 'list.json');
    expect(parsed.objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ServiceAccount/a',
      'Deployment/b',
    ]);
    expect(parsed.sources[1]).toEqual({ file: 'list.json', document: 1, item: 2 });
  });

  it('gives items of a typed list (PodList) the list kind', () => {
    const text = 'apiVersion: v1\nkind: PodList\nitems:\n  - metadata: {name: p}\n    spec: {}\n';
    expect(parseManifests(text, 'pods.yaml').objects).toEqual([
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
    ]);
  });

  it.each([
    {
      name: 'bad YAML',
      file: 'bad.yaml',
      text: 'apiVersion: v1\nkind: Pod\n---\nkind: [',
      message: /^bad\.yaml: document 2: invalid YAML at line 4 \(`kind: \[`\): .+$/,
    },
    {
      name: 'bad JSON',
      file: 'bad.json',
      text: '{"kind": ',
      message: /^bad\.json: document 1: invalid JSON at line 1: /,
    },
    {
      name: 'a scalar document',
      file: 's.yaml',
      text: 'just text',
      message: /^s\.yaml: document 1: not a Kubernetes object/,
    },
    {
      name: 'no kind',
      file: 'k.yaml',
      text: 'apiVersion: v1\nmetadata: {name: x}',
      message: /^k\.yaml: document 1: the object has no kind$/,
    },
    {
      name: 'no apiVersion',
      file: 'v.yaml',
      text: 'kind: Pod',
      message: /^v\.yaml: document 1: the object has no apiVersion$/,
    },
    {
      name: 'a bad List item',
      file: 'l.yaml',
      text: 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Pod}\n  - 42\n',
      message: /^l\.yaml: document 1, item 2: not a Kubernetes object/,
    },
    {
      name: 'duplicate keys',
      file: 'd.yaml',
      text: 'apiVersion: v1\nkind: Pod\nkind: Pod',
      message: /^d\.yaml: document 1: invalid YAML/,
    },
    { name: 'stdin', file: '-', text: 'kind: [', message: /^<stdin>: document 1: invalid YAML/ },
  ])('names the file and document: $name', ({ file, text, message }) => {
    let caught: unknown;
    try {
      parseManifests(text, file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toMatch(message);
    expect((caught as InputError).code).toBe('ZT_ERR_INPUT');
  });
});

describe('loadObjects', () => {
  it('reads folders recursively (.yaml/.yml/.json), sorted, skipping dot-folders and other files', async () => {
    const { objects, sources } = await loadObjects([dir]);
    expect(objects.map((o) => o.metadata?.name)).toEqual(['a', 'shop', 'c']);
    expect(sources.map((s) => s.file)).toEqual([
      join(dir, 'a.yaml'),
      join(dir, 'nested', 'b.yml'),
      join(dir, 'nested', 'deeper', 'c.json'),
    ]);
  });

  it('reads files and stdin in the order given', async () => {
    const stdin = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: from-stdin}\n';
    const { objects } = await loadObjects(['-', join(dir, 'a.yaml')], { readStdin: async () => stdin });
    expect(objects.map((o) => o.metadata?.name)).toEqual(['from-stdin', 'a']);
  });

  it('names a missing file', async () => {
    await expect(loadObjects([join(dir, 'missing.yaml')])).rejects.toThrow(
      `${join(dir, 'missing.yaml')}: no such file or directory`,
    );
  });
});

describe('loadStateDir', () => {
  it('loads every object of the folder', async () => {
    expect((await loadStateDir(dir)).length).toBe(3);
  });

  it.each([
    { name: 'a missing folder', path: () => join(dir, 'nope'), message: 'no such file or directory' },
    { name: 'a file', path: () => join(dir, 'a.yaml'), message: 'not a directory' },
  ])('rejects $name', async ({ path, message }) => {
    await expect(loadStateDir(path())).rejects.toThrow(`${path()}: ${message}`);
  });
});
