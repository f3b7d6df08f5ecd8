/** A plain JSON object, read defensively: manifests are untrusted input. */
export type JsonRecord = Readonly<Record<string, unknown>>;

/** Returns the value when it is a plain object, else undefined. */
export function asRecord(value: unknown): JsonRecord | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as JsonRecord)
    : undefined;
}

/** Returns the value's object elements when it is an array, else undefined (absent or malformed). */
export function asRecordArray(value: unknown): readonly JsonRecord[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((item) => asRecord(item) ?? {});
}

/** Returns the `name` field of an object when it is a string. */
export function nameOf(item: JsonRecord): string | undefined {
  return typeof item['name'] === 'string' ? item['name'] : undefined;
}

/** Returns the names of the named items of an array field (containers, volumes …). */
export function namesOf(value: unknown): readonly string[] {
  const names: string[] = [];
  for (const item of asRecordArray(value) ?? []) {
    const name = nameOf(item);
    if (name !== undefined) names.push(name);
  }
  return names;
}
