import { describe, expect, it } from 'vitest';
import { buildDecisionRecord } from '../../src/admission/decision-record.js';
import { decodeReview } from '../../src/admission/decode-review.js';

const base = {
  uid: 'u1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  operation: 'CREATE',
  namespace: 'shop',
  object: {
    kind: 'Pod',
    metadata: { generateName: 'web-' },
    spec: { containers: [{ name: 'a', env: [{ name: 'TOKEN', value: 's3cret' }] }] },
  },
  userInfo: { username: 'alice', groups: ['dev'] },
  dryRun: true,
};

describe('buildDecisionRecord', () => {
  it('records identities, verdict and violations, never the object', () => {
    const request = decodeReview({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: base,
    });
    const record = buildDecisionRecord({
      request,
      outcome: 'deny',
      mode: 'enforce',
      violations: [
        { rule: 'mtls-sidecar', path: 'spec', message: 'no proxy', fix: 'inject', value: 's3cret' },
      ],
      durationMs: 1.23456,
      webhook: 'validate',
    });
    expect(record).toEqual({
      decision: 'deny',
      uid: 'u1',
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: 'pods',
      namespace: 'shop',
      name: 'web-',
      user: { username: 'alice', groups: ['dev'] },
      dryRun: true,
      mode: 'enforce',
      violations: [{ rule: 'mtls-sidecar', path: 'spec', message: 'no proxy', fix: 'inject' }],
      durationMs: 1.235,
      webhook: 'validate',
    });
    expect(JSON.stringify(record)).not.toContain('s3cret');
  });

  it.each([
    ['a subresource', { subResource: 'exec' }, { resource: 'pods/exec' }],
    ['an explicit name', { name: 'web-1' }, { name: 'web-1' }],
    ['an internal error', {}, { error: 'boom' }],
  ])('%s', (_name, overrides, expected) => {
    const request = decodeReview({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { ...base, ...overrides },
    });
    const error = 'error' in expected ? expected.error : undefined;
    const record = buildDecisionRecord({
      request,
      outcome: 'deny',
      mode: 'enforce',
      violations: [],
      durationMs: 0,
      webhook: 'mutate',
      ...(error === undefined ? {} : { error }),
    });
    expect(record).toMatchObject(expected);
  });
});
