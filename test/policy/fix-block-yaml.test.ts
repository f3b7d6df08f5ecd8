/**
 * block-yaml.ts writes fix manifests without the yaml package's document model (the first full
 * audit pass of a new leader renders ~10,000 fixes). Its text must be the yaml package's, byte for
 * byte: the background audit compares reports by content, and `ztgate audit`, the webhook and the
 * reports must show the same fix. Where the writer answers, it is held to renderFixText (the yaml
 * package) on arbitrary values, hostile strings and comments; where it declines, renderFix falls
 * back to the yaml package.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Document, isNode } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { allowListManifest, authorizationPolicyManifest } from '../../src/policy/fix/allow-list.js';
import { writeBlockYaml } from '../../src/policy/fix/block-yaml.js';
import { renderFix, renderFixText, type FixManifest } from '../../src/policy/fix/render.js';
import { toWorkload } from '../../src/policy/workload.js';
import { deployment } from './helpers.js';

type Path = readonly (string | number)[];

/** What the yaml package writes for one manifest, comments placed as renderFixText places them. */
function yamlText(manifest: FixManifest): string {
  const document = new Document(manifest.value);
  for (const comment of manifest.comments ?? []) {
    const node: unknown = document.getIn(comment.path, true);
    if (isNode(node))
      node.commentBefore = comment.text
        .split('\n')
        .map((line) => ` ${line}`)
        .join('\n');
  }
  return document.toString({ lineWidth: 0 });
}

// Strings YAML 1.2 resolves to other types, indicators, document markers, quotes, escapes,
// comment and mapping look-alikes, blanks, line breaks, non-ASCII, a key too long to be implicit.
const TRICKY = [
  '',
  'true',
  'True',
  'FALSE',
  'null',
  'Null',
  '~',
  'yes',
  'on',
  '123',
  '-1',
  '0x1F',
  '0o17',
  '1e3',
  '.5',
  '.inf',
  '-.Inf',
  '.nan',
  '--- x',
  '---',
  '...',
  '- x',
  '-x',
  '? x',
  ': x',
  'a: b',
  'a:b',
  'a #b',
  'a#b',
  '#a',
  '<caller>',
  "it's",
  '"q"',
  'back\\slash',
  'a\nb',
  'a\n',
  ' lead',
  'trail ',
  'tab\there',
  '*x',
  '&x',
  '!x',
  '%x',
  '@x',
  '`x',
  '{x}',
  '[x]',
  '|x',
  '>x',
  ',x',
  'é',
  '日本',
  '\u0007bell',
  'k'.repeat(1100),
];

const text = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9._/-]{0,12}$/),
  fc.string({ maxLength: 8 }),
  fc.string({ maxLength: 6, unit: 'grapheme' }),
);
// Mostly what manifests hold; now and then what the writer must decline (and yaml write its way).
const scalar = fc.oneof(
  { arbitrary: text, weight: 12 },
  { arbitrary: fc.integer({ min: -100_000, max: 100_000 }), weight: 3 },
  { arbitrary: fc.constantFrom(null, true, false), weight: 2 },
  { arbitrary: fc.constantFrom(0, -0, 1.5, 1e21, Number.NaN, undefined), weight: 1 },
);

// A sequence in a sequence is declined: rarer here, and absent from fixes.
const { value: tree } = fc.letrec<{ value: unknown; item: unknown; map: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('item'), { maxLength: 3 }),
    tie('map'),
  ),
  item: fc.oneof(
    { arbitrary: scalar, weight: 2 },
    { arbitrary: tie('map'), weight: 2 },
    { arbitrary: fc.array(scalar, { minLength: 1, maxLength: 2 }), weight: 1 },
  ),
  map: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
}));

/** Every node's path (keys and indexes), the root's ([]) included; `collections`: mappings and sequences only. */
function pathsOf(value: unknown, collections: boolean, at: Path = []): Path[] {
  const collection = typeof value === 'object' && value !== null;
  const paths: Path[] = collection || !collections ? [at] : [];
  if (Array.isArray(value))
    value.forEach((item, index) => paths.push(...pathsOf(item, collections, [...at, index])));
  else if (collection)
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, collections, [...at, key]));
  return paths;
}

const commentText = fc.oneof(
  { arbitrary: fc.constantFrom('TODO: one entry per caller.', 'two\nlines', 'a # in it'), weight: 4 },
  { arbitrary: fc.string({ maxLength: 10 }), weight: 1 },
);

/** A manifest with comments before some of its nodes, and sometimes before none (a bogus path). */
const manifest: fc.Arbitrary<FixManifest> = fc
  .dictionary(text, tree, { minKeys: 1, maxKeys: 4 })
  .chain((value) => {
    const path = fc.oneof(
      { arbitrary: fc.constantFrom(...pathsOf(value, true)), weight: 6 },
      { arbitrary: fc.constantFrom(...pathsOf(value, false)), weight: 1 },
      {
        arbitrary: fc.array(fc.oneof(text, fc.nat(3), fc.constantFrom('0', '1')), { maxLength: 3 }),
        weight: 1,
      },
    );
    const comments = fc.array(fc.record({ path, text: commentText }), { maxLength: 2 });
    return fc.record({ value: fc.constant(value), comments });
  });

describe('writeBlockYaml writes what the yaml package writes', () => {
  it('on arbitrary values, strings and comments (or declines)', () => {
    let answered = 0;
    fc.assert(
      fc.property(manifest, (input) => {
        const written = writeBlockYaml(input.value, input.comments);
        if (written === undefined) return;
        answered += 1;
        expect(written).toBe(yamlText(input));
      }),
      { numRuns: 3000 },
    );
    // The comparison means something only where the writer answers.
    expect(answered).toBeGreaterThan(450);
  });

  it('renderFix gives the yaml package text whether the writer answers or not', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.array(manifest, { minLength: 1, maxLength: 3 }),
        (prose, manifests) => {
          expect(renderFix(prose, manifests)).toBe(renderFixText(prose, manifests));
        },
      ),
      { numRuns: 300 },
    );
  });

  // Label keys and values as the API server accepts them, workload names, declared ports.
  const labelKey = fc.stringMatching(
    /^([a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?\.)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?$/,
  );
  const labelValue = fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?)?$/);
  const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
  it('on the allow-list fix of any well-formed workload, always written directly', () => {
    fc.assert(
      fc.property(
        name,
        fc.dictionary(labelKey, labelValue, { maxKeys: 4 }),
        fc.array(fc.integer({ min: 1, max: 65_535 }), { maxLength: 3 }),
        fc.constantFrom('istio', 'istio-ambient', 'linkerd', 'builtin'),
        (workloadName, labels, ports, provider) => {
          const object = deployment(workloadName, { labels });
          const spec = (object['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
            .template.spec;
          spec.containers = [
            { name: 'app', image: 'app:1', ports: ports.map((containerPort) => ({ containerPort })) },
          ];
          const workload = toWorkload(object);
          if (workload === undefined) throw new Error('not a workload');
          const config = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider } };
          const manifests = [
            allowListManifest(workload, workloadName, workload.podLabels, config),
            authorizationPolicyManifest(workload, workloadName, workload.podLabels, config),
          ];
          for (const input of manifests) {
            const written = writeBlockYaml(input.value, input.comments);
            expect(written).toBe(yamlText(input));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('writeBlockYaml declines what it does not reproduce', () => {
  const shared = { app: 'web' };
  it.each<[string, FixManifest]>([
    [
      'an object met twice (the yaml package writes an anchor and an alias)',
      { value: { a: shared, b: shared } },
    ],
    ['a multi-line string (a block scalar)', { value: { a: 'one\ntwo' } }],
    ['an undefined field (the yaml package drops it)', { value: { a: undefined, b: 1 } }],
    ['a fraction', { value: { a: 1.5 } }],
    ['a sequence in a sequence', { value: { a: [[1]] } }],
    ['a comment before a scalar', { value: { a: 'x' }, comments: [{ path: ['a'], text: 'c' }] }],
    ['a comment before the root', { value: { a: 'x' }, comments: [{ path: [], text: 'c' }] }],
    ['a comment naming no node', { value: { a: { b: 1 } }, comments: [{ path: ['z'], text: 'c' }] }],
    [
      'an index spelled as a string',
      { value: { a: [{ b: 1 }] }, comments: [{ path: ['a', '0'], text: 'c' }] },
    ],
    ['an empty comment line', { value: { a: { b: 1 } }, comments: [{ path: ['a'], text: 'x\n\ny' }] }],
    ['an empty manifest', { value: {} }],
  ])('%s', (_, input) => {
    expect(writeBlockYaml(input.value, input.comments)).toBeUndefined();
    expect(renderFix('p', [input])).toBe(renderFixText('p', [input]));
  });
});
