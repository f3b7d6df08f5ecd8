/**
 * Hostile AdmissionReviews from fast-check arbitraries over the real shapes (bases.ts): each
 * case is a small plan drawn from a seeded arbitrary, turned into a body only when it is sent,
 * so 100,000 cases (some of 3 MiB) never sit in memory at once and any one is reproducible from
 * the seed and its index.
 */
import fc from 'fast-check';
import { BODY_LIMIT_BYTES } from '../../src/adapters/http/body-handling.js';
import { BASES, type Base, type Json } from './bases.js';

/** What a case does to its base. */
export const CATEGORIES = [
  'none',
  'type-confusion',
  'deep-nesting',
  'huge-string',
  'huge-array',
  'hostile-chars',
  'proto-keys',
  'kind-mismatch',
  'truncated',
  'content-type',
  'oversized',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** How the body goes over the wire. */
export type Framing = 'whole' | 'chunked' | 'slow' | 'too-slow';

/** The drawn plan of one case (small; the body is built from it when sent). */
export interface CasePlan {
  readonly base: number;
  readonly category: Category;
  readonly pick: number;
  readonly size: number;
  readonly variant: number;
  readonly value: Json;
  readonly transport: 'h1' | 'h2';
  readonly framing: Framing;
}

/** A case ready to send, with what the oracles need to judge its answer. */
export interface FuzzCase {
  readonly id: number;
  readonly base: string;
  readonly route: '/validate' | '/mutate';
  readonly category: Category;
  /** The perturbed field, as a dotted path (or what was done to the body). */
  readonly detail: string;
  readonly transport: 'h1' | 'h2';
  readonly framing: Framing;
  /** undefined: no Content-Type header. */
  readonly contentType: string | undefined;
  readonly body: string;
  /** An answer of 200 must echo this uid; undefined when the body is no well-formed review. */
  readonly uid: string | undefined;
  /** A denied base perturbed without fixing its violation: `allowed: true` is a wrongful allow. */
  readonly mustNotAllow: boolean;
  /** The server may cut this one (too slow, or past the body limit) instead of answering. */
  readonly mayBeCut: boolean;
}

type Path = readonly (string | number)[];

/** Every path in a JSON value, the root excluded, parents before children. */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  const paths: Path[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      paths.push([...prefix, index], ...pathsOf(item, [...prefix, index]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      paths.push([...prefix, key], ...pathsOf(item, [...prefix, key]));
    }
  }
  return paths;
}

function get(value: Json, path: Path): Json {
  let current: Json = value;
  for (const key of path) current = (current as Record<string | number, Json>)[key] as Json;
  return current;
}

function set(value: Json, path: Path, replacement: Json): void {
  const parent = get(value, path.slice(0, -1)) as Record<string | number, Json>;
  parent[path[path.length - 1] as string | number] = replacement;
}

function dotted(path: Path): string {
  return path
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`))
    .join('')
    .slice(1);
}

/**
 * Paths of each base where a change of the string's content may legitimately fix the violation
 * (another label value, another policy name): a changed string there is not a wrongful allow.
 * A change of type never fixes anything (the API server rejects it), so it stays watched.
 */
const FIX_PATHS: Readonly<Record<string, readonly string[]>> = {
  'catalog-deployment-net-admin': [
    'request.object.spec.template.spec.containers[0].securityContext.capabilities.add[0]',
  ],
  'allow-all-network-policy': ['request.object.spec.ingress[0].from[0].ipBlock.cidr'],
  'calico-allow-without-source': ['request.object.spec.ingress[0].action'],
  'namespace-exempt-label': ['request.object.metadata.labels.ztgate.dev/exempt'],
  'delete-default-deny': ['request.oldObject.metadata.name'],
};

/**
 * Paths of each base whose removal fixes the violation. Two perturbations remove what is there
 * as the API server reads it, and are no type confusion: `null` (Go's decoder reads a null field
 * as unset) and an object of unknown fields in place of an object (`{"a": …}`; built-in types and
 * structural CRDs prune unknown fields, leaving `{}`). So `ingress: null` is a policy without
 * rules (it admits nothing), `capabilities: {"a": …}` adds nothing, and a Namespace whose
 * metadata is `{"a": …}` has no exempt label. ztgate judges the object under the kind, namespace
 * and name the request gives, so these allows are right.
 */
const REMOVAL_FIX_PATHS: Readonly<Record<string, readonly string[]>> = {
  'allow-all-network-policy': ['request.object', 'request.object.spec', 'request.object.spec.ingress'],
  'calico-allow-without-source': ['request.object', 'request.object.spec', 'request.object.spec.ingress'],
  'namespace-exempt-label': ['request.object', 'request.object.metadata', 'request.object.metadata.labels'],
  // A container or pod spec without fields adds no capability (the API server's validation,
  // which runs before validating webhooks, refuses a container without name and image).
  'catalog-deployment-net-admin': [
    'request.object',
    'request.object.spec',
    'request.object.spec.template',
    'request.object.spec.template.spec',
    'request.object.spec.template.spec.containers',
    'request.object.spec.template.spec.containers[0]',
    'request.object.spec.template.spec.containers[0].securityContext',
    'request.object.spec.template.spec.containers[0].securityContext.capabilities',
    'request.object.spec.template.spec.containers[0].securityContext.capabilities.add',
  ],
};

/** Whether a perturbation at `path` removes what was there (see REMOVAL_FIX_PATHS) and so may fix it. */
function removesFix(baseName: string, path: string): boolean {
  return (REMOVAL_FIX_PATHS[baseName] ?? []).includes(path);
}

// Bidirectional overrides and isolates, zero-width characters, a BOM, NUL, and look-alikes of
// the Latin letters in names such as `default` (Cyrillic а е о р с, Greek ο, fullwidth).
const HOSTILE = ['\u0000', '\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\ufeff', '\u00a0', '\u2028'];
const LOOKALIKES: Readonly<Record<string, string>> = {
  a: '\u0430',
  e: '\u0435',
  o: '\u043e',
  p: '\u0440',
  c: '\u0441',
  x: '\u0445',
  i: '\u0456',
  d: '\u0501',
  t: '\uff54',
  s: '\u0455',
};

const HUGE_SIZES = [64 * 1024, 256 * 1024, 1 << 20, (3 << 20) - 200 * 1024];
const HUGE_UNITS = [' ', '\u0000', 'a', '\u202e', ' \n', '\t \r\n ', '😀', '"\\'];

/** A string of about `size` UTF-16 units whose JSON encoding stays under the 3 MiB limit. */
function hugeString(size: number, variant: number): string {
  const unit = HUGE_UNITS[variant % HUGE_UNITS.length] as string;
  // NUL escapes to six bytes, a quote or backslash to two, the emoji to twelve: keep under the limit.
  const divisor = unit === '\u0000' ? 6 : unit === '"\\' ? 2 : unit === '😀' ? 6 : unit === '\u202e' ? 3 : 1;
  return unit.repeat(Math.max(1, Math.floor(size / divisor / unit.length)));
}

const NEST_DEPTHS = [2, 10, 100, 500, 999, 1000, 1001, 1100, 5000, 50_000];

const KINDS: readonly [string, string, string][] = [
  ['', 'Pod', 'pods'],
  ['apps', 'Deployment', 'deployments'],
  ['apps', 'StatefulSet', 'statefulsets'],
  ['batch', 'CronJob', 'cronjobs'],
  ['', 'ConfigMap', 'configmaps'],
  ['', 'Secret', 'secrets'],
  ['networking.k8s.io', 'NetworkPolicy', 'networkpolicies'],
  ['', 'Namespace', 'namespaces'],
  ['apps', 'Deployments', 'deployment'],
];

const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json-patch+json',
  'application/yaml',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/jsonx',
  ' application/json',
];

function perturbString(text: string, variant: number, pick: number): string {
  const at = text.length === 0 ? 0 : pick % (text.length + 1);
  if (variant % 3 === 2) {
    // A look-alike for the first letter that has one.
    for (let index = 0; index < text.length; index++) {
      const lookalike = LOOKALIKES[text[index] as string];
      if (lookalike !== undefined) return text.slice(0, index) + lookalike + text.slice(index + 1);
    }
  }
  const inserted = HOSTILE[variant % HOSTILE.length] as string;
  return text.slice(0, at) + inserted + text.slice(at);
}

function withProtoKey(target: Json, variant: number, value: Json): void {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return;
  const key = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'][variant % 5] as string;
  // defineProperty: an own key, as JSON.parse makes one; assignment would set the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Builds the case a plan describes. */
export function buildCase(id: number, plan: CasePlan): FuzzCase {
  const base = BASES[plan.base % BASES.length] as Base;
  const review = structuredClone(base.review) as Json;
  const paths = pathsOf(review);
  const path = paths[plan.pick % paths.length] as Path;
  const original = get(review, path);
  const fixPaths = FIX_PATHS[base.name] ?? [];
  let detail = dotted(path);
  let typeChanged = false;
  let removed = false;
  let contentType: string | undefined = 'application/json';
  let text: string | undefined;
  switch (plan.category) {
    case 'none':
      detail = '';
      break;
    case 'type-confusion': {
      let value = plan.value;
      // Same type as before is no confusion: swap it for one of another type.
      if (typeof value === typeof original && Array.isArray(value) === Array.isArray(original)) {
        value = typeof original === 'string' ? plan.size : (JSON.stringify(plan.value) ?? 'x');
      }
      set(review, path, value);
      removed = value === null && removesFix(base.name, detail);
      typeChanged = !removed;
      if (removed) detail = `${detail} = null (unset)`;
      break;
    }
    case 'deep-nesting': {
      const depth = NEST_DEPTHS[plan.variant % NEST_DEPTHS.length] as number;
      // nestedText's outermost level is an object of the unknown key "a" when this holds.
      const objectOnTop = (depth - 1 + plan.variant) % 3 === 0;
      const wasObject = original !== null && typeof original === 'object' && !Array.isArray(original);
      removed = objectOnTop && wasObject && removesFix(base.name, detail);
      detail = `${detail} nested ${depth} deep${removed ? ' (unknown fields: pruned)' : ''}`;
      // Built as text: JSON.stringify of the deepest values would overflow the fuzzer's own stack.
      set(review, path, '\u0001NESTED\u0001');
      text = JSON.stringify(review).replace('"\\u0001NESTED\\u0001"', () => nestedText(depth, plan.variant));
      typeChanged = !removed;
      break;
    }
    case 'huge-string': {
      const size = HUGE_SIZES[plan.size % HUGE_SIZES.length] as number;
      const target = typeof original === 'string' ? path : (stringPath(review, paths, plan.pick) ?? path);
      detail = `${dotted(target)} = ${size} units of ${JSON.stringify(HUGE_UNITS[plan.variant % HUGE_UNITS.length])}`;
      typeChanged = typeof get(review, target) !== 'string';
      set(review, target, hugeString(size, plan.variant));
      if (!typeChanged) detail = `${detail} (content)`;
      break;
    }
    case 'huge-array': {
      const count = [1000, 20_000, 100_000, 300_000][plan.size % 4] as number;
      const item = Array.isArray(original) && original.length > 0 ? original[0] : original;
      const small = JSON.stringify(item ?? null).length < 200 ? item : 'x';
      set(review, path, new Array<Json>(count).fill(small ?? null));
      detail = `${detail} = ${count} × ${JSON.stringify(small).slice(0, 40)}`;
      typeChanged = !Array.isArray(original);
      break;
    }
    case 'hostile-chars': {
      const target = typeof original === 'string' ? path : stringPath(review, paths, plan.pick);
      if (target === undefined) break;
      set(review, target, perturbString(get(review, target) as string, plan.variant, plan.size));
      detail = `${dotted(target)} (content)`;
      break;
    }
    case 'proto-keys': {
      const target =
        original !== null && typeof original === 'object' && !Array.isArray(original) ? original : review;
      withProtoKey(target, plan.variant, plan.value);
      detail = `${target === review ? '' : detail} + own key ${['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'][plan.variant % 5]}`;
      break;
    }
    case 'kind-mismatch': {
      const [group, kind, resource] = KINDS[plan.variant % KINDS.length] as [string, string, string];
      const request = (review as { request: Record<string, Json> }).request;
      if (plan.size % 2 === 0) request['kind'] = { group, version: 'v1', kind };
      else request['resource'] = { group, version: 'v1', resource };
      detail =
        plan.size % 2 === 0 ? `request.kind = ${group}/${kind}` : `request.resource = ${group}/${resource}`;
      break;
    }
    case 'truncated':
      text = JSON.stringify(review);
      text = text.slice(0, plan.size % text.length);
      detail = `cut at ${text.length} characters`;
      break;
    case 'content-type':
      contentType = CONTENT_TYPES[plan.variant % CONTENT_TYPES.length];
      detail = `Content-Type ${String(contentType)}`;
      break;
    case 'oversized':
      (review as Record<string, Json>)['padding'] = 'x'.repeat((3 << 20) + (plan.size % 65_536));
      detail = 'body past the 3 MiB limit';
      break;
  }
  const body = text ?? JSON.stringify(review);
  const fixesByContent =
    !typeChanged &&
    [...fixPaths, ...(REMOVAL_FIX_PATHS[base.name] ?? [])].some((fix) => detail.startsWith(fix));
  const acceptedType =
    contentType !== undefined && contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';
  return {
    id,
    base: base.name,
    route: base.route,
    category: plan.category,
    detail,
    transport: plan.transport,
    framing: plan.framing,
    contentType,
    body,
    uid: uidOf(body),
    mustNotAllow: base.deniedBy.length > 0 && base.route === '/validate' && !fixesByContent && acceptedType,
    // Past the body limit the server answers 400 and may stop reading: the client sees a reset.
    mayBeCut: Buffer.byteLength(body) > BODY_LIMIT_BYTES || plan.framing === 'too-slow',
  };
}

function nestedText(depth: number, variant: number): string {
  const leaf = variant % 2 === 0 ? '"CREATE"' : '7';
  let open = '';
  let close = '';
  for (let level = depth - 1; level >= 0; level--) {
    const object = (level + variant) % 3 === 0;
    open += object ? '{"a":' : '[';
  }
  for (let level = 0; level < depth; level++) close += (level + variant) % 3 === 0 ? '}' : ']';
  return open + leaf + close;
}

/** The nth string-valued path at or after `pick`, wrapping around. */
function stringPath(review: Json, paths: readonly Path[], pick: number): Path | undefined {
  for (let offset = 0; offset < paths.length; offset++) {
    const path = paths[(pick + offset) % paths.length] as Path;
    if (typeof get(review, path) === 'string') return path;
  }
  return undefined;
}

/** The request uid of a body, when the body is JSON with a string request.uid. */
function uidOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { request?: { uid?: unknown } } | null;
    const uid = parsed?.request?.uid;
    return typeof uid === 'string' ? uid : undefined;
  } catch {
    return undefined;
  }
}

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.constant('true'),
  fc.constant(0),
);
const jsonish: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: scalar as fc.Arbitrary<Json>, weight: 4 },
  { arbitrary: fc.array(scalar, { maxLength: 4 }) as fc.Arbitrary<Json>, weight: 1 },
  {
    arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }) as fc.Arbitrary<Json>,
    weight: 1,
  },
);

const category = fc.oneof(
  { arbitrary: fc.constant<Category>('none'), weight: 3 },
  { arbitrary: fc.constant<Category>('type-confusion'), weight: 30 },
  { arbitrary: fc.constant<Category>('deep-nesting'), weight: 6 },
  { arbitrary: fc.constant<Category>('huge-string'), weight: 3 },
  { arbitrary: fc.constant<Category>('huge-array'), weight: 3 },
  { arbitrary: fc.constant<Category>('hostile-chars'), weight: 25 },
  { arbitrary: fc.constant<Category>('proto-keys'), weight: 10 },
  { arbitrary: fc.constant<Category>('kind-mismatch'), weight: 6 },
  { arbitrary: fc.constant<Category>('truncated'), weight: 6 },
  { arbitrary: fc.constant<Category>('content-type'), weight: 6 },
  { arbitrary: fc.constant<Category>('oversized'), weight: 1 },
);

const framing = fc.oneof(
  { arbitrary: fc.constant<Framing>('whole'), weight: 88 },
  { arbitrary: fc.constant<Framing>('chunked'), weight: 10 },
  { arbitrary: fc.constant<Framing>('slow'), weight: 2 },
);

/** The arbitrary of one case plan. Too-slow bodies are a separate, small lane (see planCases). */
export const casePlan: fc.Arbitrary<CasePlan> = fc.record({
  base: fc.nat({ max: BASES.length - 1 }),
  category,
  pick: fc.nat({ max: 1_000_000 }),
  size: fc.nat({ max: 1_000_000 }),
  variant: fc.nat({ max: 1_000_000 }),
  value: jsonish,
  transport: fc.constantFrom<'h1' | 'h2'>('h1', 'h2'),
  framing,
});

/** Plans `count` cases from `seed`, in batches of 1,000 (each batch its own derived seed). */
export function planBatch(seed: number, batch: number, count: number): CasePlan[] {
  return fc.sample(casePlan, { seed: (seed * 7919 + batch) | 0, numRuns: count });
}
