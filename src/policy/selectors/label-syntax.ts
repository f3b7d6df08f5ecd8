/**
 * Kubernetes label syntax (k8s.io/apimachinery/pkg/util/validation): a key is a qualified name,
 * an optional DNS-1123 subdomain prefix (≤ 253) and `/`, then a name of 1-63 characters; a value
 * is empty or 1-63 characters. Both use letters, digits, `-`, `_` and `.`, and start and end with a
 * letter or digit. The API server refuses objects and selectors that break it, so ztgate does too
 * (`invalid-object`). Lengths are checked before any pattern, so each test is bounded and linear.
 */
import { quoteValue } from '../message-text.js';
import { isRecord } from '../objects.js';
import type { FieldError } from '../types.js';

const NAME_MAX = 63;
const PREFIX_MAX = 253;
const NAME_PART = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
/** How much of a bad key or value a message quotes. */
const QUOTE_MAX = 80;

/** A value quoted for a message, cut to a bounded length (the helper every message quotes through). */
export function quoteForMessage(value: string): string {
  return quoteValue(value, QUOTE_MAX);
}

const NAME_RULE = "1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

function isDnsSubdomain(text: string): boolean {
  if (text.length === 0 || text.length > PREFIX_MAX) return false;
  for (const label of text.split('.')) if (!DNS_LABEL.test(label)) return false;
  return true;
}

/** Why a label key is not a qualified name, or undefined when it is one. */
export function labelKeyError(key: string): string | undefined {
  // Every label of every workload is checked: the slash is found without splitting the key.
  const slash = key.indexOf('/');
  if (slash >= 0 && key.includes('/', slash + 1))
    return `label key ${quoteForMessage(key)} has more than one "/"`;
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (!isDnsSubdomain(prefix))
      return `label key ${quoteForMessage(key)}: the prefix before "/" must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most ${PREFIX_MAX} characters)`;
  }
  if (name.length === 0 || name.length > NAME_MAX || !NAME_PART.test(name))
    return `label key ${quoteForMessage(key)}: the name must be ${NAME_RULE}`;
  return undefined;
}

/** Why a label value is not valid, or undefined when it is (the empty value is valid). */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > NAME_MAX || !NAME_PART.test(value))
    return `label value ${quoteForMessage(value)} must be empty or ${NAME_RULE}`;
  return undefined;
}

/** A field path segment for a map key, bounded for keys no one should have written. */
export function keyPath(path: string, key: string): string {
  return `${path}.${key.length > QUOTE_MAX ? `${key.slice(0, QUOTE_MAX)}…` : key}`;
}

/**
 * Errors of a label map at `path` (metadata.labels, matchLabels): keys and values as Kubernetes
 * validates them, values strings. `stripKey` removes a source prefix the consumer allows
 * (Cilium's `k8s:`) before the key is checked. Absent or null is valid.
 */
export function labelMapErrors(
  labels: unknown,
  path: string,
  stripKey: (key: string) => string = (key) => key,
): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isRecord(labels)) return [{ path, message: 'labels must be a map of keys to string values' }];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyError = labelKeyError(stripKey(key));
    // YAML turns `version: 1` into a number; the API server refuses it.
    const valueError = typeof value !== 'string' ? 'label value must be a string' : labelValueError(value);
    // The path is written only for an error: nearly every label has none.
    if (keyError === undefined && valueError === undefined) continue;
    const at = keyPath(path, key);
    if (keyError !== undefined) errors.push({ path: at, message: keyError });
    if (valueError !== undefined) errors.push({ path: at, message: valueError });
  }
  return errors;
}
