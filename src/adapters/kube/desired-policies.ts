import { MANAGED_BY_LABEL, type DefaultDenyConfig } from '../../policy/config.js';
import type { KubeObject } from '../../policy/types.js';
import { isRecord } from '../../policy/objects.js';

// Pure: no I/O. The reconciler writes what this module computes and compares with what it reads.

/** A NetworkPolicy ztgate wants in a namespace. */
export interface DesiredPolicy {
  readonly apiVersion: 'networking.k8s.io/v1';
  readonly kind: 'NetworkPolicy';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec: Readonly<Record<string, unknown>>;
}

/** The namespace label the API server sets from Kubernetes 1.21 on. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** The policies the reconciler ensures in one namespace: the default deny, and the DNS allowance when enabled. */
export function buildDesiredPolicies(settings: DefaultDenyConfig, namespace: string): DesiredPolicy[] {
  const labels = { [MANAGED_BY_LABEL]: 'ztgate' };
  const policies: DesiredPolicy[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: settings.policyName, namespace, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
  ];
  if (!settings.dns.enabled) return policies;
  const { dns } = settings;
  policies.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: dns.policyName, namespace, labels },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: dns.namespace } },
              podSelector: { matchLabels: { ...dns.podSelector } },
            },
          ],
          ports: dns.ports.map((entry) => ({ protocol: entry.protocol, port: entry.port })),
        },
      ],
    },
  });
  return policies;
}

type Json = Record<string, unknown>;

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

/**
 * Whether two NetworkPolicy specs mean the same thing: list order, defaulted protocols and empty
 * versus absent fields do not count as differences, so an identical policy is never rewritten.
 */
export function isSameNetworkPolicySpec(actual: unknown, desired: unknown): boolean {
  const a = isRecord(actual) ? actual : {};
  const d = isRecord(desired) ? desired : {};
  const shape = (spec: Json): string =>
    JSON.stringify({
      podSelector: canonical(spec['podSelector']) ?? null,
      policyTypes: asSet(spec['policyTypes']),
      ingress: canonicalRules(spec['ingress'], 'from'),
      egress: canonicalRules(spec['egress'], 'to'),
    });
  return shape(a) === shape(d);
}

/** Whether an existing policy matches the desired one: same spec and still labelled as managed by ztgate. */
export function isPolicyUpToDate(existing: KubeObject, desired: DesiredPolicy): boolean {
  const labels = existing.metadata?.labels ?? {};
  return labels[MANAGED_BY_LABEL] === 'ztgate' && isSameNetworkPolicySpec(existing['spec'], desired.spec);
}

/** The object to PUT over an existing policy: its metadata kept (resourceVersion for optimistic locking), spec and label restored. */
export function buildReplacement(existing: KubeObject, desired: DesiredPolicy): KubeObject {
  const metadata = existing.metadata ?? {};
  return {
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: { ...metadata, labels: { ...(metadata.labels ?? {}), ...desired.metadata.labels } },
    spec: desired.spec,
  };
}
