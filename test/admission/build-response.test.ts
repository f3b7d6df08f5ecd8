import { describe, expect, it } from 'vitest';
import {
  decisionResponse,
  errorResponse,
  formatDenialMessage,
  formatWarnings,
  outcomeOf,
  patchResponse,
  toReview,
} from '../../src/admission/build-response.js';
import { encodeBase64 } from '../../src/admission/base64.js';
import type { Decision, Violation } from '../../src/policy/types.js';

const sa: Violation = {
  rule: 'dedicated-service-account',
  path: 'spec.template.spec.serviceAccountName',
  message: 'runs as the shared "default" ServiceAccount',
  fix: 'Create a ServiceAccount "web" and set serviceAccountName: web',
};
const policy: Violation = {
  rule: 'allow-list-policy',
  path: 'spec.template.metadata.labels',
  message: 'no allow-list policy selects these pods',
  fix: 'Add a NetworkPolicy selecting app=web',
};

function decision(overrides: Partial<Decision>): Decision {
  return { allowed: true, skipped: false, mode: 'enforce', violations: [], warnings: [], ...overrides };
}

describe('formatDenialMessage', () => {
  it('writes one line per violation, then the fixes', () => {
    expect(formatDenialMessage([sa, policy]).split('\n')).toEqual([
      '[dedicated-service-account] spec.template.spec.serviceAccountName: runs as the shared "default" ServiceAccount',
      '[allow-list-policy] spec.template.metadata.labels: no allow-list policy selects these pods',
      '',
      'fix for [dedicated-service-account] spec.template.spec.serviceAccountName:',
      '  Create a ServiceAccount "web" and set serviceAccountName: web',
      '',
      'fix for [allow-list-policy] spec.template.metadata.labels:',
      '  Add a NetworkPolicy selecting app=web',
    ]);
  });

  it('indents multi-line fixes and drops repeated ones', () => {
    const yamlFix = { ...sa, fix: 'Create it:\n\nkind: ServiceAccount\n' };
    expect(formatDenialMessage([yamlFix, { ...yamlFix, path: 'other' }]).split('\n')).toEqual([
      '[dedicated-service-account] spec.template.spec.serviceAccountName: runs as the shared "default" ServiceAccount',
      '[dedicated-service-account] other: runs as the shared "default" ServiceAccount',
      '',
      'fix for [dedicated-service-account] spec.template.spec.serviceAccountName:',
      '  Create it:',
      '',
      '  kind: ServiceAccount',
    ]);
  });

  it('keeps a violation on one line', () => {
    expect(formatDenialMessage([{ ...sa, path: '', message: 'two\nlines', fix: '' }])).toBe(
      '[dedicated-service-account] : two lines',
    );
  });
});

describe('formatWarnings', () => {
  it('adds a header and one line per violation', () => {
    expect(formatWarnings([sa])).toEqual([
      'ztgate audit mode: 1 violation; enforce mode would deny (run ztgate check for fixes)',
      '[dedicated-service-account] spec.template.spec.serviceAccountName: runs as the shared "default" ServiceAccount',
    ]);
  });

  it('clips each warning to 120 characters and the total to 4096', () => {
    const long = { ...sa, message: 'x'.repeat(500) };
    const warnings = formatWarnings(
      Array.from({ length: 100 }, (_, index) => ({ ...long, path: `p${index}` })),
    );
    expect(Math.max(...warnings.map((warning) => warning.length))).toBe(120);
    expect(warnings.join('').length).toBeLessThanOrEqual(4096);
    expect(warnings[1]?.endsWith('…')).toBe(true);
  });

  it('drops duplicates', () => {
    expect(formatWarnings([], ['a', 'a', 'b'])).toEqual(['a', 'b']);
  });
});

describe('responses', () => {
  it.each([
    ['an allow', decision({}), { uid: 'u', allowed: true }, 'allow'],
    ['a skip', decision({ skipped: true }), { uid: 'u', allowed: true }, 'allow'],
    [
      'a deny',
      decision({ allowed: false, violations: [sa] }),
      {
        uid: 'u',
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: formatDenialMessage([sa]) },
      },
      'deny',
    ],
    [
      'an audit allow',
      decision({ mode: 'audit', violations: [sa] }),
      { uid: 'u', allowed: true, warnings: formatWarnings([sa]) },
      'warn',
    ],
  ])('%s', (_name, input, expected, outcome) => {
    expect(decisionResponse('u', input)).toEqual(expected);
    expect(outcomeOf(input)).toBe(outcome);
  });

  it('never allows on an internal error', () => {
    expect(errorResponse('u', 'boom')).toEqual({
      uid: 'u',
      allowed: false,
      status: { code: 500, reason: 'InternalError', message: 'boom' },
    });
  });

  it('patches only when the patch is non-empty', () => {
    expect(patchResponse('u', [])).toEqual({ uid: 'u', allowed: true });
    const patch = [{ op: 'add', path: '/metadata/labels/a~1b', value: 'é' }] as const;
    const response = patchResponse('u', patch);
    expect(response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8'))).toEqual(patch);
  });

  it('encodes the patch with the encoder it is given (the HTTP adapter passes a native one)', () => {
    const patch = [{ op: 'add', path: '/metadata/labels/a', value: 'b' }] as const;
    expect(patchResponse('u', patch, (text) => `<${text}>`)).toEqual({
      uid: 'u',
      allowed: true,
      patchType: 'JSONPatch',
      patch: `<${JSON.stringify(patch)}>`,
    });
  });

  it('wraps in the v1 envelope', () => {
    expect(toReview({ uid: 'u', allowed: true })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u', allowed: true },
    });
  });
});

describe('encodeBase64', () => {
  it.each(['', 'a', 'ab', 'abc', 'abcd', 'ünïcødé ✓', '{"op":"add"}'])('matches Buffer for %j', (text) => {
    expect(encodeBase64(text)).toBe(Buffer.from(text, 'utf8').toString('base64'));
  });
});
