import { describe, expect, it } from 'vitest';
import { buildDecisionRecord, LOG_BUDGET } from '../../src/admission/decision-record.js';
import { jsonByteLength } from '../../src/admission/log-text.js';
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

  // The fix joined the log with issue 15 (ztgate report shows it). It holds the user's names and
  // label values, so it is bounded like every other field, and it never pushes a violation out.
  describe('fixes within the line budget', () => {
    const request = decodeReview({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: base,
    });
    const record = (fixes: readonly string[]) =>
      buildDecisionRecord({
        request,
        outcome: 'deny',
        mode: 'enforce',
        violations: fixes.map((fix, index) => ({
          rule: 'allow-list-policy',
          path: `p${index}`,
          message: 'm',
          fix,
        })),
        durationMs: 1,
        webhook: 'validate',
      });

    it('clips a long fix with a marker', () => {
      const [violation] = record([`app: ${'\u0000'.repeat(100_000)}`]).violations;
      expect(violation?.fix).toMatch(/…\[\+\d+ chars\]$/);
      expect(jsonByteLength(violation?.fix ?? '')).toBeLessThanOrEqual(LOG_BUDGET.fix + 32);
    });

    it('keeps every violation and drops the fixes that no longer fit', () => {
      const { violations, violationsOmitted } = record(new Array<string>(10).fill('x'.repeat(1500)));
      expect(violationsOmitted).toBeUndefined();
      expect(violations.map((violation) => violation.path)).toEqual(
        new Array(10).fill(0).map((_, i) => `p${i}`),
      );
      const withFix = violations.filter((violation) => violation.fix !== undefined).length;
      expect(withFix).toBeGreaterThan(0);
      expect(withFix).toBeLessThan(10);
      expect(JSON.stringify(violations).length).toBeLessThanOrEqual(LOG_BUDGET.violations + 64);
    });

    it('logs no fix field for a violation without one', () => {
      expect(record(['']).violations).toEqual([{ rule: 'allow-list-policy', path: 'p0', message: 'm' }]);
    });
  });
});
