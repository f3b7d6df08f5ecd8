import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStateDirSource } from '../../../src/adapters/state-dir-source.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import type { ClusterView } from '../../../src/policy/types.js';

async function viewOf(retainObjects: boolean | undefined): Promise<ClusterView> {
  const source = createStateDirSource({ dir: 'manifests/demo', config: DEFAULT_CONFIG, retainObjects });
  await source.start();
  const view = source.current();
  if (view === undefined) throw new Error('not loaded');
  return view;
}

describe('a state folder view for a server (retainObjects: false)', () => {
  it('keeps the indexes and drops the raw objects', async () => {
    const [full, slim] = await Promise.all([viewOf(undefined), viewOf(false)]);
    expect(full.objects().length).toBeGreaterThan(0);
    expect(slim.objects()).toEqual([]);
    expect(slim.namespaces()).toEqual(full.namespaces());
    expect(slim.workloads()).toEqual(full.workloads());
    // The normalized policies are the same; a server's keeps only each source's identity.
    const policies = (view: ClusterView) =>
      view
        .allPolicies()
        .map(({ source: _source, selects: _selects, coversNamespace: _covers, ...policy }) => policy);
    expect(policies(slim)).toEqual(policies(full));
    expect(slim.allPolicies().length).toBeGreaterThan(0);
    for (const policy of slim.allPolicies()) {
      const { apiVersion, kind, metadata } = policy.source;
      expect(policy.source).toEqual({
        apiVersion,
        kind,
        metadata: { name: metadata?.name, namespace: metadata?.namespace },
      });
      expect(metadata?.name).toBe(policy.name);
    }
    // What the view keeps stays immutable.
    expect(slim.allPolicies().every((policy) => Object.isFrozen(policy.source))).toBe(true);
  });
});

describe('a state folder that cannot be read', () => {
  it.each([false, undefined])(
    'names the broken file and is not ready (retainObjects: %s)',
    async (retainObjects) => {
      const dir = mkdtempSync(join(tmpdir(), 'ztgate-state-'));
      writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n');
      writeFileSync(join(dir, 'b.json'), '{"apiVersion": "v1", "kind": ');
      const source = createStateDirSource({ dir, config: DEFAULT_CONFIG, retainObjects });
      await expect(source.start()).rejects.toThrow(/b\.json/);
      expect(source.isReady()).toBe(false);
      expect(source.notReadyReason?.()).toMatch(/b\.json/);
    },
  );

  it.each([false, undefined])(
    'names every file it cannot read in one start, and publishes no view (retainObjects: %s)',
    async (retainObjects) => {
      // A server reads its files one at a time while the view is built; a file it cannot read
      // must still stop the start, with all of them named, not yield a view missing their objects.
      const dir = mkdtempSync(join(tmpdir(), 'ztgate-state-'));
      writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n');
      symlinkSync(join(dir, 'gone-1.yaml'), join(dir, 'b.yaml'));
      symlinkSync(join(dir, 'gone-2.yaml'), join(dir, 'c.yaml'));
      const source = createStateDirSource({ dir, config: DEFAULT_CONFIG, retainObjects });
      const error = await source.start().then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );
      expect(error?.message).toMatch(/b\.yaml: dangling symbolic link to .*gone-1\.yaml/);
      expect(error?.message).toMatch(/c\.yaml: dangling symbolic link to .*gone-2\.yaml/);
      expect(source.current()).toBeUndefined();
      expect(source.isReady()).toBe(false);
    },
  );

  it.each([false, undefined])(
    'refuses a file given as the folder (retainObjects: %s)',
    async (retainObjects) => {
      const source = createStateDirSource({ dir: 'package.json', config: DEFAULT_CONFIG, retainObjects });
      await expect(source.start()).rejects.toThrow(/not a directory/);
    },
  );
});
