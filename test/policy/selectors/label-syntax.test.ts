import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  labelKeyError,
  labelMapErrors,
  labelValueError,
} from '../../../src/policy/selectors/label-syntax.js';

// Kubernetes label syntax (apimachinery validation IsQualifiedName, IsValidLabelValue).
describe('label keys', () => {
  it.each([
    'app',
    'App.Name_1',
    'kubernetes.io/metadata.name',
    'example.com/a-b',
    'a',
    `${'a'.repeat(63)}`,
    `${'a'.repeat(253)}/x`,
  ])('accepts %s', (key) => {
    expect(labelKeyError(key)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['a space', 'app name'],
    ['a 64-character name', 'a'.repeat(64)],
    ['a leading dash', '-app'],
    ['a trailing dot', 'app.'],
    ['two slashes', 'a/b/c'],
    ['an empty prefix', '/app'],
    ['an empty name', 'example.com/'],
    ['an uppercase prefix (DNS subdomains are lowercase)', 'Example.com/app'],
    ['a prefix over 253 characters', `${'a'.repeat(254)}/x`],
    ['a prefix label ending in a dash', 'example-.com/app'],
    ['a Cilium source prefix (stripped before the check, never passed in)', 'k8s:app'],
    ['a NUL byte', 'app\u0000'],
  ])('refuses %s', (_name, key) => {
    expect(labelKeyError(key)).toBeDefined();
  });
});

describe('label keys against apimachinery’s IsQualifiedName', () => {
  // The reference: an optional DNS-1123 subdomain prefix (at most 253) and '/', then a name of 1-63.
  const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
  const qualified = (key: string): boolean => {
    const at = key.lastIndexOf('/');
    const prefix = key.slice(0, Math.max(at, 0));
    const name = key.slice(at + 1);
    if (at >= 0 && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) return false;
    return name.length <= 63 && NAME.test(name);
  };

  it('accepts exactly the qualified names, however the slashes and dots fall', () => {
    const unit = fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', ' ', ':');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), (key) => {
        expect(labelKeyError(key) === undefined).toBe(qualified(key));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('label values', () => {
  it.each(['', 'web', 'v1.2_3-x', 'a'.repeat(63)])('accepts %j', (value) => {
    expect(labelValueError(value)).toBeUndefined();
  });

  it.each([
    ['64 characters', 'a'.repeat(64)],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['a trailing dash', 'web-'],
    ['a leading dot', '.web'],
    ['a wildcard', '*'],
  ])('refuses %s', (_name, value) => {
    expect(labelValueError(value)).toBeDefined();
  });

  it('quotes at most 80 characters of a bad value', () => {
    const message = labelValueError('x'.repeat(10_000)) ?? '';
    expect(message).toContain(`"${'x'.repeat(80)}…[+9920 chars]"`);
    expect(message).not.toContain('x'.repeat(81));
  });
});

describe('labelMapErrors', () => {
  it('reports each bad key and value at its path, and non-string values', () => {
    expect(
      labelMapErrors({ ok: 'yes', 'bad key': 'v', app: 'a b', version: 2 }, 'metadata.labels').map(
        (e) => e.path,
      ),
    ).toEqual(['metadata.labels.bad key', 'metadata.labels.app', 'metadata.labels.version']);
  });

  it('reports a bad key and a bad value of one label both, key first, at one path', () => {
    expect(labelMapErrors({ 'a/b/c': 'x y' }, 'm')).toEqual([
      { path: 'm.a/b/c', message: expect.stringContaining('more than one "/"') },
      { path: 'm.a/b/c', message: expect.stringContaining('label value "x y"') },
    ]);
  });

  it('strips a consumer’s key prefix before checking (Cilium k8s:)', () => {
    expect(labelMapErrors({ 'k8s:app': 'web' }, 'm', (key) => key.replace(/^k8s:/, ''))).toEqual([]);
  });

  it('accepts absent labels and refuses a non-map', () => {
    expect([
      labelMapErrors(undefined, 'm'),
      labelMapErrors(null, 'm').length,
      labelMapErrors(['a'], 'm').length,
    ]).toEqual([[], 0, 1]);
  });
});
