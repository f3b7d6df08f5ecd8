import { describe, expect, it } from 'vitest';
import { resolveGoNumber } from '../../../src/adapters/state-dir/go-yaml.js';
import { parseYaml } from '../../../src/adapters/state-dir/parse.js';

/** The value `text` gets as a plain scalar under key `v`, read as check reads manifests. */
function scalar(text: string): unknown {
  const [object] = parseYaml(`apiVersion: v1\nkind: ConfigMap\nv: ${text}\n`, 't.yaml').objects;
  return object?.['v'];
}

// kubectl converts YAML to JSON with sigs.k8s.io/yaml, which decodes with go-yaml v2; the values
// below are what go-yaml v2.4.0's resolve.go gives (resolveMap, then ParseInt(s, 0, 64) after
// removing "_", then yamlStyleFloat), and what the API server therefore receives.
describe('YAML 1.1 scalars as go-yaml v2 resolves them', () => {
  it.each([
    // resolveMap booleans, exactly these spellings
    ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE'].map((t) => [t, true]),
    ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE'].map((t) => [t, false]),
    // anything else is a string, quoted spellings included
    ...['yEs', 'oN', 'tRue', 'Off!', '"yes"', "'on'"].map((t) => [t, t.replace(/^["']|["']$/g, '')]),
    ['~', null],
    ['null', null],
    ['NULL', null],
    // integers: strconv.ParseInt base 0 (Go 1.13+ prefixes), underscores removed first
    ['0755', 493],
    ['02471', 1337],
    ['-0755', -493],
    ['0o755', 493],
    ['0O755', 493],
    ['0x1F', 31],
    ['0X1f', 31],
    ['0b101', 5],
    ['-0b101', -5],
    ['1_337', 1337],
    ['0_2471', 1337],
    ['+42', 42],
    ['0', 0],
    // not octal: ParseInt fails, yamlStyleFloat reads it as the float 8
    ['08', 8],
    ['0999', 999],
    // floats: yamlStyleFloat, then ParseFloat
    ['1e3', 1000],
    ['1.337e3', 1337],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['.inf', Infinity],
    ['-.Inf', -Infinity],
    // base 60 is "purposefully unsupported" by go-yaml; timestamps stay strings in interface{}
    ['1:30', '1:30'],
    ['190:20:30', '190:20:30'],
    ['2001-12-14', '2001-12-14'],
    ['2001-12-14T21:59:43.10Z', '2001-12-14T21:59:43.10Z'],
    // not numbers
    ['0x', '0x'],
    ['1.2.3', '1.2.3'],
    ['.', '.'],
    ['0xFFFFFFFFFFFFFFFFF', '0xFFFFFFFFFFFFFFFFF'],
  ] as [string, unknown][])('%s → %j', (text, value) => {
    expect(scalar(text)).toEqual(value);
  });

  it('NaN is NaN (kubectl then fails to encode it as JSON)', () => {
    expect(Number.isNaN(resolveGoNumber('.nan'))).toBe(true);
  });

  it('map keys resolve too and become strings, as sigs.k8s.io/yaml converts them', () => {
    const [object] = parseYaml(
      'apiVersion: v1\nkind: ConfigMap\ndata:\n  on: a\n  0755: b\n  n: c\n',
      't.yaml',
    ).objects;
    expect(object?.['data']).toEqual({ true: 'a', 493: 'b', false: 'c' });
  });

  it('!!binary decodes to a string, as go-yaml does', () => {
    expect(scalar('!!binary aGVsbG8=')).toBe('hello');
  });
});

describe('merge keys as go-yaml v2 applies them (decode.go merge: in order, into the map being filled)', () => {
  const read = (body: string): unknown =>
    parseYaml(`apiVersion: v1\nkind: ConfigMap\n${body}`, 't.yaml').objects[0]?.['m'];

  it.each([
    ['a merged map fills absent keys', 'base: &b {a: 1, b: 2}\nm:\n  <<: *b\n  c: 3\n', { a: 1, b: 2, c: 3 }],
    ['a key after the merge overrides it', 'base: &b {a: 1}\nm:\n  <<: *b\n  a: 2\n', { a: 2 }],
    // go-yaml v2 differs from the YAML 1.1 merge spec here: the merge overwrites what came before.
    [
      'a merge overrides a key written before it',
      'base: &b {privileged: true}\nm:\n  privileged: false\n  <<: *b\n',
      { privileged: true },
    ],
    ['in a list of merges the first map wins', 'm:\n  <<: [{a: 1}, {a: 2, b: 2}]\n', { a: 1, b: 2 }],
    ['an inline merge', 'm:\n  <<: {a: 1}\n  b: 2\n', { a: 1, b: 2 }],
    ['a quoted "<<" is an ordinary key', 'm:\n  "<<": {a: 1}\n', { '<<': { a: 1 } }],
  ])('%s', (_name, body, expected) => {
    expect(read(body)).toEqual(expected);
  });

  it('refuses a merge of something that is not a map, as go-yaml does', () => {
    expect(() => parseYaml('apiVersion: v1\nkind: ConfigMap\nm:\n  <<: 3\n', 't.yaml')).toThrow(
      /map merge requires map/,
    );
  });

  it('still bounds alias expansion through merge keys (billion laughs)', () => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'a0: &a0 {x: 1}'];
    for (let level = 1; level <= 12; level += 1) {
      const refs = Array.from({ length: 8 }, () => `*a${level - 1}`).join(', ');
      lines.push(`a${level}: &a${level} {<<: [${refs}]}`);
    }
    expect(() => parseYaml(lines.join('\n'), 'bomb.yaml')).toThrow(/alias|resource exhaustion/i);
  });
});
