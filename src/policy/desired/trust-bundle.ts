import { MANAGED_BY_LABEL } from '../config.js';
import type { KubeObject } from '../types.js';
import type { DesiredMetadata } from './default-deny.js';

// A pod can mount a ConfigMap only from its own namespace, so the leader copies the trust bundle
// from ztgate's namespace into every namespace whose pods get the sidecar.

/** A trust bundle copy ztgate wants in a namespace. */
export interface DesiredConfigMap extends KubeObject {
  readonly apiVersion: 'v1';
  readonly kind: 'ConfigMap';
  readonly metadata: DesiredMetadata;
  readonly data: Readonly<Record<string, string>>;
  /** Only when the source has binary entries (trust-manager can add JKS or PKCS#12 bundles). */
  readonly binaryData?: Readonly<Record<string, string>>;
}

type StringMap = Readonly<Record<string, string>>;

function stringMap(value: unknown): StringMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const entries = Object.entries(value).filter(([, item]) => typeof item === 'string');
  return Object.fromEntries(entries) as StringMap;
}

/** Key order has no meaning in a ConfigMap; absent and empty mean the same. */
function isSameMap(actual: unknown, desired: unknown): boolean {
  const a = stringMap(actual);
  const d = stringMap(desired);
  const keys = Object.keys(d);
  return Object.keys(a).length === keys.length && keys.every((key) => a[key] === d[key]);
}

/** The copy of the source ConfigMap in one namespace: same name and content, labelled as managed by ztgate. */
export function buildDesiredTrustBundle(source: KubeObject, namespace: string): DesiredConfigMap {
  const binaryData = stringMap(source['binaryData']);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: source.metadata?.name ?? '',
      namespace,
      labels: { [MANAGED_BY_LABEL]: 'ztgate' },
    },
    data: stringMap(source['data']),
    ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
  };
}

/** Whether a ConfigMap holds the same data and binaryData as another (labels and metadata aside). */
export function isSameConfigMapContent(existing: KubeObject, desired: KubeObject): boolean {
  return (
    isSameMap(existing['data'], desired['data']) && isSameMap(existing['binaryData'], desired['binaryData'])
  );
}
