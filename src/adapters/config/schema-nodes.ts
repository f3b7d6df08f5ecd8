import { isIP } from 'node:net';
import { parseImagePattern, parseImageReference } from '../../policy/mesh/image-pattern.js';

/** A leaf check: undefined when the value is fine, else what was expected ("expected …"). */
export type Check = (value: unknown) => string | undefined;

/** One node of the config schema: a mapping with fixed keys, a list, a string map, or a leaf. */
export type SchemaNode =
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, SchemaNode>> }
  | { readonly kind: 'list'; readonly item: SchemaNode }
  | { readonly kind: 'record'; readonly key: Check; readonly value: Check }
  | { readonly kind: 'leaf'; readonly check: Check; readonly fallback?: unknown };

/** A mapping node with exactly these keys. */
export function object(fields: Record<string, SchemaNode>): SchemaNode {
  return { kind: 'object', fields };
}

/** A list node whose items all follow one schema; a list in the file replaces the default. */
export function list(item: SchemaNode): SchemaNode {
  return { kind: 'list', item };
}

/** A string-to-string map (labels, resource quantities); a map in the file replaces the default. */
export function record(key: Check, value: Check): SchemaNode {
  return { kind: 'record', key, value };
}

/** A leaf node; `fallback` is its value when absent where no default covers it (list items). */
export function leaf(check: Check, fallback?: unknown): SchemaNode {
  return fallback === undefined ? { kind: 'leaf', check } : { kind: 'leaf', check, fallback };
}

/** An integer within [min, max]. */
export function integer(min: number, max: number): Check {
  return (value) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max
      ? undefined
      : `expected an integer ${min}-${max}`;
}

/** A TCP/UDP port. */
export const port: Check = integer(1, 65535);

/** One of a fixed set of strings. */
export function oneOf(...values: readonly string[]): Check {
  return (value) =>
    typeof value === 'string' && values.includes(value) ? undefined : `expected one of ${values.join(' | ')}`;
}

/** A boolean. */
export const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : 'expected true or false');

/** A non-empty string (images, user and group names). */
export const nonEmptyString: Check = (value) =>
  typeof value === 'string' && value.trim() !== '' ? undefined : 'expected a non-empty string';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
// Kubernetes label keys: optional DNS-subdomain prefix, then a name segment of at most 63 chars.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A DNS-1123 label: namespace and container names. */
export const dnsLabel: Check = (value) =>
  typeof value === 'string' && DNS_LABEL.test(value)
    ? undefined
    : 'expected a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)';

/** A DNS-1123 subdomain: object names such as NetworkPolicies and ConfigMaps. */
export const dnsSubdomain: Check = (value) =>
  typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value)
    ? undefined
    : 'expected a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)';

// SPIFFE-ID §2.1: a trust domain is lowercase letters, digits, ".", "-" and "_" only, at most 255
// characters. Anything else ("/", ":", "#", uppercase) would change what the proxy's identity
// `spiffe://<trustDomain>/ns/<ns>/sa/<sa>` parses as: "evil/ns/kube-system/sa/admin#" forges a path.
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

/** A SPIFFE trust domain such as cluster.local (no scheme, port, path or uppercase). */
export const trustDomain: Check = (value) =>
  typeof value === 'string' && TRUST_DOMAIN.test(value) && !/^\.|\.$|\.\./.test(value)
    ? undefined
    : 'expected a SPIFFE trust domain such as cluster.local (lowercase letters, digits, ".", "-", "_"; no scheme, port or path)';

/** A Kubernetes label key (`prefix/name` or `name`). */
export const labelKey: Check = (value) => {
  if (typeof value !== 'string') return 'expected a label key';
  const slash = value.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : value.slice(0, slash);
  const name = slash === -1 ? value : value.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  return prefixOk && LABEL_NAME.test(name) ? undefined : 'expected a label key ([prefix/]name)';
};

/** A Kubernetes label value (may be empty). */
export const labelValue: Check = (value) =>
  typeof value === 'string' && (value === '' || LABEL_NAME.test(value))
    ? undefined
    : 'expected a label value';

/** An IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8. */
export const cidr: Check = (value) => {
  const expected = 'expected a CIDR such as 10.0.0.0/8';
  if (typeof value !== 'string') return expected;
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || prefix === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefix))
    return expected;
  return Number(prefix) <= (family === 4 ? 32 : 128) ? undefined : expected;
};

/**
 * An absolute, normalized host path: no `.` or `..` segments, no empty segments, no trailing
 * slash (a prefix is compared by whole segments, so `/var/log` never allows `/var/logs`).
 */
export const hostPath: Check = (value) => {
  const expected = 'expected an absolute path without "." or ".." segments, such as /var/log';
  if (typeof value !== 'string' || !value.startsWith('/')) return expected;
  if (value === '/') return undefined;
  const segments = value.slice(1).split('/');
  return segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..')
    ? undefined
    : expected;
};

// Kubernetes resource.Quantity in its common forms: 100m, 0.5, 64Mi, 1G, 1e3.
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+|m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$/;

/** A Kubernetes resource quantity such as 100m or 64Mi. */
export const quantity: Check = (value) =>
  typeof value === 'string' && QUANTITY.test(value)
    ? undefined
    : 'expected a resource quantity such as 100m or 64Mi';

/** Any string, empty included (annotation values). */
export const text: Check = (value) => (typeof value === 'string' ? undefined : 'expected a string');

/** A container image reference the runtime can pull, or "" (not set). */
export const imageReference: Check = (value) =>
  value === '' || (typeof value === 'string' && parseImageReference(value) !== undefined)
    ? undefined
    : 'expected an image reference such as registry.example/proxy:1.0';

/** A `mesh.proxyImages` pattern (see policy/mesh/image-pattern.ts). */
export const imagePattern: Check = (value) => {
  if (typeof value !== 'string') return 'expected a string';
  const pattern = parseImagePattern(value);
  return typeof pattern === 'string' ? pattern : undefined;
};
