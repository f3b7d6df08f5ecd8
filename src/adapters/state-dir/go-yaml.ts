/**
 * YAML read as kubectl reads it. kubectl turns YAML into JSON with sigs.k8s.io/yaml, which decodes
 * with go-yaml v2: YAML 1.1 scalars as go-yaml's resolve.go resolves them, and `<<` merge keys as
 * its decoder applies them. The yaml package's YAML 1.1 schema parses; these tags replace the few
 * places where its 1.1 reading differs from go-yaml v2 (checked against go-yaml v2.4.0):
 * - integers are what Go's strconv.ParseInt(s, 0, 64) (then ParseUint) accepts once every `_` is
 *   removed: `0755` and `0o755` are 493, `0x1F` and `0X1F` 31, `0b11` 3; `08` is not octal and
 *   falls through to a float, 8;
 * - floats match go-yaml's yamlStyleFloat (`1e3` is 1000); base-60 numbers (`1:30`) and
 *   timestamps (`2001-12-14`) stay strings, as go-yaml leaves them in a map[interface{}]interface{};
 * - the booleans y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE (and their false twins) and the nulls
 *   ~/null/Null/NULL/empty are the same in both, so the package's tags stay;
 * - a `<<` merge overrides keys written before it and is overridden by keys after it (go-yaml v2
 *   merges into the map it is filling, in order); in a list of merges the earlier maps win;
 * - `!!binary` decodes to a string.
 * One difference is kept on purpose: a key written twice in one mapping is an error here, where
 * go-yaml v2 silently keeps the last value; a reviewer reads the first, the cluster gets the last,
 * so `check` refuses to judge the file (exit 2) rather than pick one.
 */
import { Buffer } from 'node:buffer';
import { isAlias, isMap, isSeq, Scalar, type Document, type ScalarTag, type Tags } from 'yaml';

const MERGE_KEY = '<<';

/** resolve.go: values looked up in its map before anything else. */
const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ...['.nan', '.NaN', '.NAN'].map((text): [string, number] => [text, Number.NaN]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((text): [string, number] => [text, Infinity]),
  ...['-.inf', '-.Inf', '-.INF'].map((text): [string, number] => [text, -Infinity]),
]);

/** strconv.ParseInt/ParseUint base 0: sign, then 0x/0o/0b (either case), a leading 0 (octal) or decimal. */
const GO_INTEGER = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
/** resolve.go's yamlStyleFloat. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** A plain scalar starting with "." goes to strconv.ParseFloat as written (digits may have `_` between them). */
const DOT_FLOAT = /^\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?$/;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function parseGoInteger(plain: string): number | undefined {
  const match = GO_INTEGER.exec(plain);
  if (match === null) return undefined;
  const [, sign, digits = ''] = match;
  // BigInt reads 0x/0o/0b in lower case; Go's leading-zero octal becomes 0o.
  const literal = /^0[0-7]+$/.test(digits)
    ? `0o${digits.slice(1)}`
    : digits.replace(/^0[XOB]/, (p) => p.toLowerCase());
  const magnitude = BigInt(literal);
  const value = sign === '-' ? -magnitude : magnitude;
  if (value < INT64_MIN || value > UINT64_MAX) return undefined;
  return value === 0n ? 0 : Number(value);
}

/**
 * go-yaml v2's resolve() for a plain scalar that starts with a digit, a sign or a dot (the
 * resolveTable hints 'D', 'S' and '.'): a number, or the text itself.
 */
export function resolveGoNumber(text: string): number | string {
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return special;
  if (text.startsWith('.')) return DOT_FLOAT.test(text) ? Number.parseFloat(text.replaceAll('_', '')) : text;
  const plain = text.replaceAll('_', '');
  const integer = parseGoInteger(plain);
  if (integer !== undefined) return integer;
  if (YAML_STYLE_FLOAT.test(plain)) return Number.parseFloat(plain);
  return text;
}

/** Plain scalars go-yaml would try as numbers; those it cannot read stay strings. */
const goNumber: ScalarTag = {
  identify: (value) => typeof value === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+0-9.]/,
  resolve: (text) => resolveGoNumber(text),
};

/** `!!binary`: go-yaml decodes the base64 into the string's bytes. */
const goBinary: ScalarTag = {
  identify: () => false,
  default: false,
  tag: 'tag:yaml.org,2002:binary',
  resolve: (text) => Buffer.from(text.replace(/\s/g, ''), 'base64').toString('utf8'),
};

type MapLike = Map<unknown, unknown> | Set<unknown> | Record<string, unknown>;
interface MergeContext {
  readonly doc: Document;
}

function set(map: MapLike, key: unknown, value: unknown): void {
  if (map instanceof Map) map.set(key, value);
  else if (map instanceof Set) map.add(key);
  // defineProperty: a key such as "__proto__" becomes data, as in the package's own maps.
  else
    Object.defineProperty(map, key === null ? '' : String(key), {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
}

function resolveAlias(ctx: MergeContext | undefined, value: unknown): unknown {
  // The package counts alias expansions here (maxAliasCount), which bounds merge-key bombs too.
  return ctx !== undefined && isAlias(value) ? value.resolve(ctx.doc, ctx as never) : value;
}

function mergeOne(ctx: MergeContext | undefined, map: MapLike, value: unknown): void {
  const source = resolveAlias(ctx, value);
  if (!isMap(source)) throw new Error('map merge requires map or sequence of maps as the value');
  const entries = source.toJSON(null, ctx as never, Map) as Map<unknown, unknown>;
  for (const [key, item] of entries) set(map, key, item);
}

/** decode.go merge(): into the map being filled, overriding; a list is applied last to first. */
function addGoMerge(ctx: MergeContext | undefined, map: MapLike, value: unknown): void {
  const source = resolveAlias(ctx, value);
  if (!isSeq(source)) {
    mergeOne(ctx, map, source);
    return;
  }
  for (let index = source.items.length - 1; index >= 0; index -= 1) mergeOne(ctx, map, source.items[index]);
}

const goMerge: ScalarTag = {
  identify: (value) => value === MERGE_KEY || (typeof value === 'symbol' && value.description === MERGE_KEY),
  default: 'key',
  tag: 'tag:yaml.org,2002:merge',
  test: /^<<$/,
  resolve: () => Object.assign(new Scalar(Symbol(MERGE_KEY)), { addToJSMap: addGoMerge }),
};

/** The YAML 1.1 tags go-yaml v2 resolves differently, or does not know (omap, pairs, set). */
const REPLACED = new Set(
  ['int', 'float', 'timestamp', 'binary', 'merge', 'omap', 'pairs', 'set'].map(
    (name) => `tag:yaml.org,2002:${name}`,
  ),
);

function goYamlTags(tags: Tags): Tags {
  const kept = tags.filter((tag) => typeof tag === 'string' || !REPLACED.has(tag.tag));
  return [goMerge, ...kept, goNumber, goBinary];
}

/** Parse options that read YAML as kubectl (go-yaml v2) does. */
export const KUBECTL_YAML = {
  version: '1.1',
  merge: true,
  customTags: goYamlTags,
} as const;
