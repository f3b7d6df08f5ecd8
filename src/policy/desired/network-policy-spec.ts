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
 * Whether two NetworkPolicy specs mean the same thing: list order, defaulted protocols and empty
 * versus absent fields do not count as differences.
 */
export function isSameNetworkPolicySpec(actual: unknown, desired: unknown): boolean {
  return shape(isRecord(actual) ? actual : {}) === shape(isRecord(desired) ? desired : {});
}
