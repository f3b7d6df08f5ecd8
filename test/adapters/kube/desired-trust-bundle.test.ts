import { describe, expect, it } from 'vitest';
import {
  buildConfigMapReplacement,
  buildDesiredTrustBundle,
  isConfigMapUpToDate,
} from '../../../src/adapters/kube/desired-trust-bundle.js';
import type { KubeObject } from '../../../src/policy/types.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const MANAGED = { 'app.kubernetes.io/managed-by': 'ztgate' };
const source: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'ztgate-trust-bundle',
    namespace: 'ztgate-system',
    labels: { 'trust.cert-manager.io/bundle': 'mesh' },
    annotations: { owner: 'trust-manager' },
    resourceVersion: '42',
    uid: 'u-source',
  },
  data: { 'ca.crt': PEM },
};

describe('buildDesiredTrustBundle', () => {
  it('copies the data under the same name into the namespace, labelled as managed by ztgate, nothing else', () => {
    expect(buildDesiredTrustBundle(source, 'shop')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ztgate-trust-bundle', namespace: 'shop', labels: MANAGED },
      data: { 'ca.crt': PEM },
    });
  });

  it('copies binaryData when the source has some, and ignores non-string values', () => {
    const withBinary = { ...source, data: { 'ca.crt': PEM, bad: 3 }, binaryData: { 'ca.p12': 'AAEC' } };
    const desired = buildDesiredTrustBundle(withBinary, 'shop');
    expect([desired.data, desired.binaryData]).toEqual([{ 'ca.crt': PEM }, { 'ca.p12': 'AAEC' }]);
  });

  it('yields an empty data map for a source without data', () => {
    const { data: _data, ...empty } = source;
    expect(buildDesiredTrustBundle(empty, 'shop').data).toEqual({});
  });
});

describe('isConfigMapUpToDate', () => {
  const desired = buildDesiredTrustBundle(source, 'shop');
  const copy = (fields: Record<string, unknown>, labels: Record<string, string> = MANAGED): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ztgate-trust-bundle', namespace: 'shop', labels, resourceVersion: '7' },
    ...fields,
  });
  it.each<[string, KubeObject, boolean]>([
    ['an identical copy', copy({ data: { 'ca.crt': PEM } }), true],
    ['extra labels and annotations', copy({ data: { 'ca.crt': PEM } }, { ...MANAGED, team: 'a' }), true],
    ['an explicit empty binaryData', copy({ data: { 'ca.crt': PEM }, binaryData: {} }), true],
    ['an edited certificate', copy({ data: { 'ca.crt': 'tampered' } }), false],
    ['an extra key', copy({ data: { 'ca.crt': PEM, 'evil.crt': PEM } }), false],
    ['a missing key', copy({ data: {} }), false],
    ['no data at all', copy({}), false],
    ['a binaryData key the source lacks', copy({ data: { 'ca.crt': PEM }, binaryData: { x: 'AA' } }), false],
    ['the managed-by label removed', copy({ data: { 'ca.crt': PEM } }, {}), false],
    ['another manager', copy({ data: { 'ca.crt': PEM } }, { 'app.kubernetes.io/managed-by': 'helm' }), false],
  ])('%s: %s', (_name, existing, expected) => {
    expect(isConfigMapUpToDate(existing, desired)).toBe(expected);
  });

  it('compares binaryData too when the source has it', () => {
    const binary = buildDesiredTrustBundle({ ...source, binaryData: { 'ca.p12': 'AAEC' } }, 'shop');
    expect([
      isConfigMapUpToDate(copy({ data: { 'ca.crt': PEM }, binaryData: { 'ca.p12': 'AAEC' } }), binary),
      isConfigMapUpToDate(copy({ data: { 'ca.crt': PEM } }), binary),
    ]).toEqual([true, false]);
  });
});

describe('buildConfigMapReplacement', () => {
  it('keeps the existing metadata (resourceVersion for the PUT), restores the label and the content', () => {
    const existing: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'ztgate-trust-bundle',
        namespace: 'shop',
        resourceVersion: '9',
        uid: 'u-copy',
        labels: { team: 'a' },
      },
      data: { 'ca.crt': 'tampered', extra: 'x' },
      binaryData: { junk: 'AA' },
    };
    expect(buildConfigMapReplacement(existing, buildDesiredTrustBundle(source, 'shop'))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'ztgate-trust-bundle',
        namespace: 'shop',
        resourceVersion: '9',
        uid: 'u-copy',
        labels: { team: 'a', ...MANAGED },
      },
      data: { 'ca.crt': PEM },
    });
  });
});
