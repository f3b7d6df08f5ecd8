import { describe, expect, it } from 'vitest';
import { buildDesiredTrustBundle, isSameConfigMapContent } from '../../../src/policy/desired/index.js';
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

describe('isSameConfigMapContent', () => {
  const desired = buildDesiredTrustBundle(source, 'shop');
  const copy = (fields: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ztgate-trust-bundle', namespace: 'shop', labels: { team: 'a' }, resourceVersion: '7' },
    ...fields,
  });
  it.each<[string, KubeObject, boolean]>([
    ['an identical copy (labels aside)', copy({ data: { 'ca.crt': PEM } }), true],
    ['an explicit empty binaryData', copy({ data: { 'ca.crt': PEM }, binaryData: {} }), true],
    ['an edited certificate', copy({ data: { 'ca.crt': 'tampered' } }), false],
    ['an extra key', copy({ data: { 'ca.crt': PEM, 'evil.crt': PEM } }), false],
    ['a missing key', copy({ data: {} }), false],
    ['no data at all', copy({}), false],
    ['a binaryData key the source lacks', copy({ data: { 'ca.crt': PEM }, binaryData: { x: 'AA' } }), false],
  ])('%s: %s', (_name, existing, expected) => {
    expect(isSameConfigMapContent(existing, desired)).toBe(expected);
  });

  it('compares binaryData too when the source has it', () => {
    const binary = buildDesiredTrustBundle({ ...source, binaryData: { 'ca.p12': 'AAEC' } }, 'shop');
    expect([
      isSameConfigMapContent(copy({ data: { 'ca.crt': PEM }, binaryData: { 'ca.p12': 'AAEC' } }), binary),
      isSameConfigMapContent(copy({ data: { 'ca.crt': PEM } }), binary),
    ]).toEqual([true, false]);
  });
});
