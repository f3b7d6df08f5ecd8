/**
 * Golden tests for the sidecar patch (Istio's inject_test.go style): every fixture in fixtures/
 * is discovered, its patch compared with golden/<name>.json (UPDATE_GOLDEN=1 rewrites them), the
 * patch applied with `jsonpatch`, the result checked as a valid injected pod, and re-injected.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsonpatch from 'jsonpatch';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deepFreeze } from '../../../src/policy/config.js';
import { spiffeIdFor } from '../../../src/policy/sidecar/patch.js';
import { findForgedSidecarFields } from '../../../src/policy/sidecar/verify.js';
import { buildWorkloadPatch, findPodTemplate, isInjected } from '../../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { droppedFromUser, injectedPodProblems, sidecarConfig } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixturesDir = join(here, 'fixtures');
const goldenDir = join(here, 'golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

interface Fixture {
  readonly namespace?: string;
  readonly sidecar?: unknown;
  readonly object: KubeObject;
}

const cases = readdirSync(fixturesDir)
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .map((file) => {
    const name = basename(file, '.yaml');
    const fixture = parse(readFileSync(join(fixturesDir, file), 'utf8')) as Fixture;
    return { name, fixture, goldenFile: join(goldenDir, `${name}.json`) };
  });

/** Fixtures whose pods must come back untouched: already injected, or refused by validation. */
const EMPTY_PATCH = new Set(['already-injected', 'host-network']);

describe('sidecar golden patches', () => {
  it('finds fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it('has no stale golden files (a golden without a fixture)', () => {
    const fixtureNames = new Set(cases.map((entry) => entry.name));
    const stale = readdirSync(goldenDir).filter((file) => !fixtureNames.has(basename(file, '.json')));
    expect(stale).toEqual([]);
  });

  describe.each(cases)('$name', ({ name, fixture, goldenFile }) => {
    const config = sidecarConfig(fixture.sidecar);
    const object = deepFreeze(structuredClone(fixture.object));
    const namespace = fixture.namespace ?? 'default';
    const patch = buildWorkloadPatch(object, config, namespace);

    it('matches its golden patch', () => {
      if (update) writeFileSync(goldenFile, `${JSON.stringify(patch, null, 2)}\n`);
      expect(existsSync(goldenFile), `missing golden ${goldenFile} (run with UPDATE_GOLDEN=1)`).toBe(true);
      expect(patch).toEqual(JSON.parse(readFileSync(goldenFile, 'utf8')));
    });

    it('is deterministic', () => {
      expect(buildWorkloadPatch(structuredClone(fixture.object), config, namespace)).toEqual(patch);
    });

    if (EMPTY_PATCH.has(name)) {
      it('yields an empty patch', () => {
        expect(patch).toEqual([]);
      });
      return;
    }

    const injected = jsonpatch.apply_patch(object, patch);
    const before = findPodTemplate(object)?.pod ?? {};
    const after = findPodTemplate(injected)?.pod ?? {};

    it('applies and yields a valid injected pod', () => {
      expect(injectedPodProblems(after, config)).toEqual([]);
      expect(isInjected(after, config)).toBe(true);
    });

    it("passes the validator as ztgate's own containers (nothing looks forged)", () => {
      const spec = (after['spec'] ?? {}) as Record<string, unknown>;
      // As at admission: the workload's own namespace (the one the proxy's identity names).
      const podNamespace = (object as KubeObject).metadata?.namespace ?? namespace;
      expect(findForgedSidecarFields(spec, config, spiffeIdFor(after, config, podNamespace))).toEqual([]);
    });

    it("drops nothing of the user's pod", () => {
      expect(droppedFromUser(before, after, config)).toEqual([]);
    });

    it('yields an empty patch when injected again', () => {
      expect(buildWorkloadPatch(injected, config, namespace)).toEqual([]);
    });
  });
});
