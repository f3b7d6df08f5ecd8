/**
 * Typed reads of untrusted JSON fields, as the API server's decoder types them: a boolean field
 * holding the string "true", or an integer field holding 1337.5, is refused by the API server
 * ("cannot unmarshal string into Go struct field ... of type bool"), so ztgate reports it as
 * `invalid-object` instead of reading it as absent — `check` must not pass what the cluster refuses.
 */
import { isRecord, joinPath } from './objects.js';
import type { FieldError } from './types.js';
import { quoteValue } from './message-text.js';

/** A field read with its type checked: the value, or why it is not one (absent/null is neither). */
export interface TypedField<T> {
  readonly value: T | undefined;
  readonly error?: FieldError | undefined;
}

/** How a JSON value's type reads in a message: `a string ("true")`, `a number (1.5)`, `a list` … */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string (${quoteValue(value, 40)})`;
  if (typeof value === 'number') return `a number (${String(value)})`;
  if (typeof value === 'boolean') return `a boolean (${String(value)})`;
  return isRecord(value) ? 'an object' : typeof value;
}

const ABSENT: TypedField<never> = Object.freeze({ value: undefined });

/** The error for a value that should be a boolean (null and absent are unset); undefined when it is one. */
export function booleanError(value: unknown, key: string, base: string): FieldError | undefined {
  if (value === undefined || value === null || typeof value === 'boolean') return undefined;
  return { path: joinPath(base, key), message: `${key} is ${describeJsonType(value)}, not a boolean` };
}

/** An inclusive range an integer field must lie in (the API server's validation). */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

/** Go's int64: JSON numbers beyond it do not decode. */
const INT64: IntegerRange = { min: -(2 ** 63), max: 2 ** 63 - 1 };

/** The error for a value that should be an integer within `range`; undefined when it is one or unset. */
export function integerError(
  value: unknown,
  key: string,
  base: string,
  range: IntegerRange = INT64,
): FieldError | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return { path: joinPath(base, key), message: `${key} is ${describeJsonType(value)}, not an integer` };
  }
  if (value >= range.min && value <= range.max) return undefined;
  const message = `${key} is ${String(value)}, outside ${String(range.min)}..${String(range.max)}`;
  return { path: joinPath(base, key), message };
}

/** The error for a value that should be an object; undefined when it is one or unset. */
export function objectError(value: unknown, key: string, base: string): FieldError | undefined {
  if (value === undefined || value === null || isRecord(value)) return undefined;
  return { path: joinPath(base, key), message: `${key} is ${describeJsonType(value)}, not an object` };
}

/** The error for a value that should be a list; undefined when it is one or unset. */
export function listError(value: unknown, key: string, base: string): FieldError | undefined {
  if (value === undefined || value === null || Array.isArray(value)) return undefined;
  return { path: joinPath(base, key), message: `${key} is ${describeJsonType(value)}, not a list` };
}

/** The error for a value that should be a string; undefined when it is one or unset. */
export function stringError(value: unknown, key: string, base: string): FieldError | undefined {
  if (value === undefined || value === null || typeof value === 'string') return undefined;
  return { path: joinPath(base, key), message: `${key} is ${describeJsonType(value)}, not a string` };
}

/**
 * Type errors of the identity fields of an object's metadata (name, generateName, namespace): the
 * API server refuses `name: 12345` (YAML's number), so ztgate reports it at its path instead of
 * reading the object as nameless or in the default namespace.
 */
export function metadataTypeErrors(metadata: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of ['name', 'generateName', 'namespace']) {
    const error = stringError(fieldOf(metadata, key), key, 'metadata');
    if (error !== undefined) errors.push(error);
  }
  return errors;
}

function read<T>(value: unknown, error: FieldError | undefined): TypedField<T> {
  if (error !== undefined) return { value: undefined, error };
  return value === undefined || value === null ? ABSENT : { value: value as T };
}

const fieldOf = (record: unknown, key: string): unknown => (isRecord(record) ? record[key] : undefined);

/** `record[key]` as a boolean; null and absent are unset, as Go's decoder leaves them. */
export function readBoolean(record: unknown, key: string, base: string): TypedField<boolean> {
  const value = fieldOf(record, key);
  return read(value, booleanError(value, key, base));
}

/** `record[key]` as an integer within `range` (int64 when not given); null and absent are unset. */
export function readInteger(
  record: unknown,
  key: string,
  base: string,
  range: IntegerRange = INT64,
): TypedField<number> {
  const value = fieldOf(record, key);
  return read(value, integerError(value, key, base, range));
}

/** `record[key]` as an object; null and absent are unset. */
export function readObject(
  record: unknown,
  key: string,
  base: string,
): TypedField<Readonly<Record<string, unknown>>> {
  const value = fieldOf(record, key);
  return read(value, objectError(value, key, base));
}

/** `record[key]` as a list; null and absent are unset. */
export function readList(record: unknown, key: string, base: string): TypedField<readonly unknown[]> {
  const value = fieldOf(record, key);
  return read(value, listError(value, key, base));
}
