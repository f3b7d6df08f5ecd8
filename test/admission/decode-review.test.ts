import { describe, expect, it } from 'vitest';
import { AdmissionReviewError, decodeReview, toEvaluationInput } from '../../src/admission/decode-review.js';

const request = {
  uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  operation: 'CREATE',
  namespace: 'shop',
  name: 'web',
  object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
  oldObject: null,
  userInfo: { username: 'alice', groups: ['dev', 'system:authenticated'] },
  dryRun: false,
};

function review(
  overrides: Record<string, unknown> = {},
  requestOverrides: Record<string, unknown> = {},
): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { ...request, ...requestOverrides },
    ...overrides,
  };
}

describe('decodeReview', () => {
  it('decodes a v1 review', () => {
    expect(decodeReview(review())).toEqual({
      uid: request.uid,
      kind: request.kind,
      resource: request.resource,
      subResource: undefined,
      operation: 'CREATE',
      namespace: 'shop',
      name: 'web',
      object: request.object,
      oldObject: undefined,
      userInfo: { username: 'alice', groups: ['dev', 'system:authenticated'] },
      dryRun: false,
    });
  });

  it.each([
    ['dryRun true', { dryRun: true }, { dryRun: true }],
    ['no userInfo', { userInfo: undefined }, { userInfo: {} }],
    [
      'the core group',
      {
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
      },
      { kind: { group: '', version: 'v1', kind: 'Pod' } },
    ],
    ['a subresource', { subResource: 'status' }, { subResource: 'status' }],
    ['an empty namespace (cluster-scoped)', { namespace: '' }, { namespace: undefined }],
  ])('accepts %s', (_name, overrides, expected) => {
    expect(decodeReview(review({}, overrides))).toMatchObject(expected);
  });

  it.each([
    ['a list', [], 'expected an AdmissionReview object'],
    ['null', null, 'expected an AdmissionReview object'],
    ['another kind', review({ kind: 'Pod' }), 'expected kind AdmissionReview, got "Pod"'],
    [
      'v1beta1',
      review({ apiVersion: 'admission.k8s.io/v1beta1' }),
      'expected apiVersion admission.k8s.io/v1, got "admission.k8s.io/v1beta1"',
    ],
    [
      'no request',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      'AdmissionReview has no request',
    ],
    ['no uid', review({}, { uid: '' }), 'request.uid must be a non-empty string'],
    [
      'a bad operation',
      review({}, { operation: 'PATCH' }),
      'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got "PATCH"',
    ],
    ['no kind', review({}, { kind: undefined }), 'request.kind must be an object with group, version, kind'],
    [
      'an empty kind',
      review({}, { kind: { group: '', version: 'v1', kind: '' } }),
      'request.kind.kind must be a non-empty string',
    ],
    ['no resource', review({}, { resource: 'pods' }), 'request.resource must be an object'],
    ['a scalar object', review({}, { object: 'x' }), 'request.object must be an object or null'],
    [
      'bad groups',
      review({}, { userInfo: { groups: 'dev' } }),
      'request.userInfo.groups must be a list of strings',
    ],
    ['a string dryRun', review({}, { dryRun: 'true' }), 'request.dryRun must be a boolean'],
    // The API server validates every namespace name (a DNS-1123 label); 3 MB of spaces held the event loop.
    [
      'a namespace of spaces',
      review({}, { namespace: ' '.repeat(100_000) }),
      'request.namespace "                ',
    ],
    ['an upper-case namespace', review({}, { namespace: 'Shop' }), 'is not a namespace name'],
    ['a namespace of 64 characters', review({}, { namespace: 'a'.repeat(64) }), 'is not a namespace name'],
    // The API server sends a DELETE's object as oldObject, with object null (never the reverse).
    [
      'a DELETE with object set and oldObject null',
      review({}, { operation: 'DELETE', oldObject: null }),
      'request.object must be null for DELETE',
    ],
    [
      'a DELETE without oldObject',
      review({}, { operation: 'DELETE', object: null, oldObject: undefined }),
      'request.oldObject must be set for DELETE',
    ],
    [
      'a CREATE without an object',
      review({}, { object: null }),
      'request.object must be an object for CREATE',
    ],
    [
      'an UPDATE without an object',
      review({}, { operation: 'UPDATE', object: undefined, oldObject: request.object }),
      'request.object must be an object for UPDATE',
    ],
    [
      'an oldObject whose metadata is a number',
      review({}, { operation: 'DELETE', object: null, oldObject: { kind: 'NetworkPolicy', metadata: 7 } }),
      'request.oldObject.metadata must be an object',
    ],
    [
      'an object whose name is a list',
      review({}, { object: { kind: 'Deployment', metadata: { name: ['web'] } } }),
      'request.object.metadata.name must be a string',
    ],
    [
      'labels that are a list',
      review({}, { object: { kind: 'Deployment', metadata: { name: 'web', labels: [{ app: 'web' }] } } }),
      'request.object.metadata.labels must be a map of strings',
    ],
    [
      'an annotation that is a number',
      review({}, { object: { kind: 'Deployment', metadata: { name: 'web', annotations: { a: 1 } } } }),
      'request.object.metadata.annotations must be a map of strings',
    ],
    [
      'a kind with a NUL byte',
      review({}, { kind: { group: 'apps', version: 'v1', kind: 'Deployment\u0000' } }),
      'request.kind.kind "Deployment\\u0000" is not a kind name',
    ],
    [
      'a look-alike version',
      review({}, { kind: { group: 'apps', version: 'v\uff11', kind: 'Deployment' } }),
      'request.kind.version "v\\uff11" is not an API version',
    ],
    [
      'a group with a bidi override',
      review({}, { resource: { group: 'ap\u202eps', version: 'v1', resource: 'deployments' } }),
      'request.resource.group "ap\\u202eps" is not an API group',
    ],
    [
      'a megabyte resource name (quoted clipped)',
      review({}, { resource: { group: 'apps', version: 'v1', resource: 'x'.repeat(1 << 20) } }),
      `request.resource.resource "${'x'.repeat(120)}…[+${(1 << 20) - 120} chars]" is not a resource name`,
    ],
    [
      'a subresource with spaces',
      review({}, { subResource: 'status ' }),
      'request.subResource "status " is not a subresource name',
    ],
    [
      'a kind the resource does not hold',
      review({}, { kind: { group: 'apps', version: 'v1', kind: 'Deployments' } }),
      'request.kind apps/v1 Deployments is not request.resource apps/v1/deployments',
    ],
    [
      'a kind of another group than the resource',
      review({}, { kind: { group: 'extensions', version: 'v1', kind: 'Deployment' } }),
      'request.kind extensions/v1 Deployment is not request.resource apps/v1/deployments',
    ],
  ])('refuses %s', (_name, body, message) => {
    expect(() => decodeReview(body)).toThrow(AdmissionReviewError);
    expect(() => decodeReview(body)).toThrow(message);
  });
});

describe('decodeReview on deeply nested values', () => {
  function nested(depth: number): unknown {
    let value: unknown = 'x';
    for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { a: value };
    return value;
  }

  // JSON.stringify of these overflowed the stack while building the 400's message: a 500 instead.
  it.each(['kind', 'apiVersion'])('refuses a %s nested 20,000 deep with a short message', (key) => {
    const body = review({ [key]: nested(20_000) });
    expect(() => decodeReview(body)).toThrow(AdmissionReviewError);
    expect(() => decodeReview(body)).toThrow(/got \{"a":\[\{…\}\]\}$/);
  });

  it('refuses an operation nested 20,000 deep', () => {
    expect(() => decodeReview(review({}, { operation: nested(20_000) }))).toThrow(
      /request\.operation must be one of .*, got \{"a":\[\{…\}\]\}$/,
    );
  });
});

describe('toEvaluationInput', () => {
  const deployment = (extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    ...extra,
  });

  it.each([
    ['CREATE', { object: deployment() }, { operation: 'CREATE', object: deployment(), oldObject: undefined }],
    [
      'UPDATE',
      { object: deployment({ v: 2 }), oldObject: deployment({ v: 1 }) },
      { operation: 'UPDATE', object: deployment({ v: 2 }), oldObject: deployment({ v: 1 }) },
    ],
    [
      'DELETE',
      { object: null, oldObject: deployment() },
      { operation: 'DELETE', object: undefined, oldObject: deployment() },
    ],
  ])('%s', (operation, fields, expected) => {
    const input = toEvaluationInput(decodeReview(review({}, { operation, ...fields })));
    expect(input).toEqual({
      ...expected,
      namespace: 'shop',
      user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
    });
  });

  it.each([
    ['an object that omits its kind and apiVersion', { metadata: { name: 'web', namespace: 'shop' } }],
    [
      'an object that names another kind',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'shop' } },
    ],
    [
      'an object that names another namespace',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'kube-system' } },
    ],
    [
      'an object that names no namespace',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
    ],
  ])('judges %s as the request says it is (kind and namespace from the API server)', (_name, object) => {
    const input = toEvaluationInput(decodeReview(review({}, { object })));
    expect(input.object).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'shop' },
    });
  });

  const deleteDefaultDeny = (metadata: Record<string, unknown>) =>
    review(
      {},
      {
        operation: 'DELETE',
        name: 'ztgate-default-deny',
        kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
        resource: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
        object: null,
        oldObject: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata },
      },
    );

  it('judges a DELETE whose oldObject lost its name under request.name (npm run fuzz: metadata: {a: …})', () => {
    expect(toEvaluationInput(decodeReview(deleteDefaultDeny({ a: [7] }))).oldObject?.metadata).toMatchObject({
      name: 'ztgate-default-deny',
      namespace: 'shop',
    });
  });

  // Neither name can be trusted over the other: taking request.name let a DELETE whose name held a
  // bidi override pass as another object's, taking the body's let a renamed oldObject pass.
  it.each([
    ['an oldObject that names another policy', 'my-policy'],
    ['an oldObject named as request.name with a bidi override', 'ztgate-default-deny\u202e'],
  ])('refuses %s (400)', (_name, name) => {
    expect(() => decodeReview(deleteDefaultDeny({ name, namespace: 'shop' }))).toThrow(
      /request\.oldObject\.metadata\.name .* is not request\.name "ztgate-default-deny"/,
    );
  });

  it('keeps a subresource object and a generateName CREATE as they are named', () => {
    const eviction = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web-1', namespace: 'shop' },
    };
    const subresource = decodeReview(
      review(
        {},
        {
          name: 'web-1',
          kind: { group: 'policy', version: 'v1', kind: 'Eviction' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          subResource: 'eviction',
          object: { ...eviction, metadata: { name: 'other', namespace: 'shop' } },
        },
      ),
    );
    expect(toEvaluationInput(subresource).object?.metadata?.name).toBe('other');
    const generated = decodeReview(
      review({}, { name: '', object: deployment({ metadata: { generateName: 'web-' } }) }),
    );
    expect(toEvaluationInput(generated).object?.metadata).toEqual({
      generateName: 'web-',
      namespace: 'shop',
    });
  });

  it('passes a consistent object through untouched (no copy on the hot path)', () => {
    const decoded = decodeReview(review({}, { object: deployment() }));
    expect(toEvaluationInput(decoded).object).toBe(decoded.object);
  });
});
