import { isRecord } from '../objects.js';

// Pure: how the controllers tell an identical NetworkPolicy from a changed one, so an identical
// policy is never rewritten.

type Json = Readonly<Record<string, unknown>>;

/** Sorted-keys JSON with empty containers dropped: `{}`, `[]` and absent mean the same in a NetworkPolicy. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical).filter((item) => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => [key, canonical(value[key])] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}

/** Orders a list whose order has no meaning (peers, ports, policy types) so comparison ignores it. */
function asSet(values: unknown): unknown[] {
  if (!Array.isArray(values)) return [];
  return values.map((value) => JSON.stringify(canonical(value)) ?? '').sort();
}

function canonicalPort(port: unknown): unknown {
  if (!isRecord(port)) return port;
  // The API server defaults protocol to TCP; a numeric string port names the same port.
  const number =
    typeof port['port'] === 'string' && /^\d+$/.test(port['port']) ? Number(port['port']) : port['port'];
  return { ...port, protocol: port['protocol'] ?? 'TCP', port: number };
}

function canonicalRules(rules: unknown, peerKey: 'from' | 'to'): unknown[] {
  if (!Array.isArray(rules)) return [];
  const result = rules.map((rule) => {
    const record = isRecord(rule) ? rule : {};
    const ports = Array.isArray(record['ports']) ? record['ports'].map(canonicalPort) : [];
    return { peers: asSet(record[peerKey]), ports: asSet(ports) };
  });
  return asSet(result);
}

function shape(spec: Json): string {
  return JSON.stringify({
    podSelector: canonical(spec['podSelector']) ?? null,
    policyTypes: asSet(spec['policyTypes']),
    ingress: canonicalRules(spec['ingress'], 'from'),
    egress: canonicalRules(spec['egress'], 'to'),
  });
}

/**
 * The shapes of the specs of stored policies, by object. The controllers compare every policy
 * ztgate owns with its desired spec at each resync (every namespace, every minute): 5 µs for the
 * deny and 37 µs for the DNS allowance, most of it canonicalising the stored side again. A stored
 * object is replaced by a new one on every watch event and never changed in place, so a spec's
 * shape is its object's for as long as the object lives (a WeakMap lets it go with the object).
 */
const storedShapes = new WeakMap<object, string>();

function storedShape(spec: Json): string {
  let known = storedShapes.get(spec);
  if (known === undefined) {
    known = shape(spec);
    storedShapes.set(spec, known);
  }
  return known;
}

/**
 * The shapes of desired specs, by their JSON text: they are built afresh for every namespace at
 * every resync, and a config yields a handful of distinct ones (the deny, the DNS and mesh
 * allowances). Equal texts are equal specs, so the key decides the answer. Bounded: a config
 * change starts over.
 */
const desiredShapes = new Map<string, string>();
const DESIRED_SHAPES_KEPT = 64;

function desiredShape(spec: Json): string {
  const text = JSON.stringify(spec);
  let known = desiredShapes.get(text);
  if (known === undefined) {
    if (desiredShapes.size >= DESIRED_SHAPES_KEPT) desiredShapes.clear();
    known = shape(spec);
    desiredShapes.set(text, known);
  }
  return known;
}

/**
 * Whether two NetworkPolicy specs mean the same thing: list order, defaulted protocols and empty
 * versus absent fields do not count as differences. `actual` is a stored object (never changed in
 * place: its shape is remembered by object), `desired` one the caller builds (remembered by text).
 */
export function isSameNetworkPolicySpec(actual: unknown, desired: unknown): boolean {
  return storedShape(isRecord(actual) ? actual : {}) === desiredShape(isRecord(desired) ? desired : {});
}

/** The comparison without either memo (tests hold the memoised one to it). */
export function isSameNetworkPolicySpecUncached(actual: unknown, desired: unknown): boolean {
  return shape(isRecord(actual) ? actual : {}) === shape(isRecord(desired) ? desired : {});
}
