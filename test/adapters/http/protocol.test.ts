import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildAppOptions } from '../../../src/adapters/http/app.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import type { Decision, Violation } from '../../../src/policy/types.js';
import {
  EMPTY_VIEW,
  fixedSource,
  h1,
  makeCerts,
  postJson,
  reviewFixture,
  startApp,
  type Running,
  type TestCerts,
} from './support.js';

const violation: Violation = {
  rule: 'dedicated-service-account',
  path: 'spec.template.spec.serviceAccountName',
  message: 'runs as default',
  fix: 'create a ServiceAccount',
};

function decision(overrides: Partial<Decision>): Decision {
  return { allowed: true, skipped: false, mode: 'enforce', violations: [], warnings: [], ...overrides };
}

/** An engine whose answer depends on the object's name, so one server covers every case. */
const fakeEvaluate: BuildAppOptions['evaluate'] = (input) => {
  switch (input.object?.metadata?.name) {
    case 'bad':
      return decision({ allowed: false, violations: [violation] });
    case 'audited':
      return decision({
        mode: 'audit',
        violations: [violation],
        warnings: ['[dedicated-service-account] x: y'],
      });
    case 'crash':
      throw new Error('engine exploded');
    default:
      return decision({});
  }
};

function review(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${name}`,
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      operation: 'CREATE',
      namespace: 'shop',
      name,
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' } },
      userInfo: { username: 'alice', groups: ['dev'] },
      ...overrides,
    },
  };
}

let certs: TestCerts;
let server: Running;

beforeAll(async () => {
  certs = await makeCerts();
  server = await startApp(certs, { evaluate: fakeEvaluate });
});
afterAll(async () => server.app.close());

describe('POST /validate over TLS', () => {
  it.each([
    ['an allowed object', 'good', { uid: 'uid-good', allowed: true }],
    [
      'a denied object',
      'bad',
      {
        uid: 'uid-bad',
        allowed: false,
        status: {
          code: 403,
          reason: 'Forbidden',
          message: [
            '[dedicated-service-account] spec.template.spec.serviceAccountName: runs as default',
            '',
            'fix for [dedicated-service-account] spec.template.spec.serviceAccountName:',
            '  create a ServiceAccount',
          ].join('\n'),
        },
      },
    ],
    [
      'an audited object',
      'audited',
      {
        uid: 'uid-audited',
        allowed: true,
        warnings: [
          'ztgate audit mode: 1 violation; enforce mode would deny (run ztgate check for fixes)',
          '[dedicated-service-account] spec.template.spec.serviceAccountName: runs as default',
          '[dedicated-service-account] x: y',
        ],
      },
    ],
    [
      'an internal error (never an allow)',
      'crash',
      {
        uid: 'uid-crash',
        allowed: false,
        status: {
          code: 500,
          reason: 'InternalError',
          message: 'ztgate could not evaluate this request: engine exploded',
        },
      },
    ],
  ])('answers %s with the same uid', async (_name, objectName, expected) => {
    const answer = await postJson(server.url, '/validate', review(objectName), certs.caPem);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: expected,
    });
    expect(answer.alpn).toBe('http/1.1');
  });
});

describe('bad input', () => {
  const ca = (): string => certs.caPem;
  it.each([
    [
      'text/plain',
      { body: '{}', contentType: 'text/plain' },
      415,
      'ZT_ERR_CONTENT_TYPE',
      'expected Content-Type application/json, got "text/plain"',
    ],
    [
      'no content type',
      { body: '{}', contentType: null },
      415,
      'ZT_ERR_CONTENT_TYPE',
      'expected Content-Type application/json, got "none"',
    ],
    [
      'unparseable JSON',
      { body: '{"apiVersion":' },
      400,
      'ZT_ERR_INVALID_JSON',
      'request body is not valid JSON',
    ],
    ['an empty body', { body: '' }, 400, 'ZT_ERR_INVALID_JSON', 'request body is not valid JSON'],
    [
      'a body over 3 MiB',
      { body: JSON.stringify({ pad: 'x'.repeat(3 * 1024 * 1024) }) },
      400,
      'ZT_ERR_BODY_TOO_LARGE',
      'request body exceeds 3145728 bytes',
    ],
    [
      'a Pod instead of a review',
      { body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }) },
      400,
      'ZT_ERR_INVALID_REVIEW',
      'expected kind AdmissionReview, got "Pod"',
    ],
    [
      'a v1beta1 review',
      { body: JSON.stringify({ ...review('x'), apiVersion: 'admission.k8s.io/v1beta1' }) },
      400,
      'ZT_ERR_INVALID_REVIEW',
      'expected apiVersion admission.k8s.io/v1',
    ],
    [
      'a review without request',
      { body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }) },
      400,
      'ZT_ERR_INVALID_REVIEW',
      'AdmissionReview has no request',
    ],
  ])('answers %s with a client error', async (_name, request, status, code, message) => {
    for (const path of ['/validate', '/mutate']) {
      const answer = await h1(server.url, path, { ...request, ca: ca() });
      expect(answer.status).toBe(status);
      expect(answer.json()).toMatchObject({ statusCode: status, code });
      expect(answer.json().message).toContain(message);
    }
  });

  it('accepts application/json with a charset', async () => {
    const answer = await h1(server.url, '/validate', {
      body: JSON.stringify(review('good')),
      contentType: 'application/json; charset=utf-8',
      ca: certs.caPem,
    });
    expect(answer.json().response).toEqual({ uid: 'uid-good', allowed: true });
  });
});

type Review = Awaited<ReturnType<typeof reviewFixture>>;

describe('POST /mutate', () => {
  let builtin: Running;
  beforeAll(async () => {
    builtin = await startApp(certs, { config: BUILTIN_CONFIG });
  });
  afterAll(async () => {
    await builtin.app.close();
  });

  it('patches a new pod in a judged namespace under the builtin provider (real sidecar builder)', async () => {
    const body = await reviewFixture('catalog-pod-review.json');
    const answer = await postJson(builtin.url, '/mutate', body, certs.caPem);
    const response = answer.json().response;
    expect(response).toMatchObject({ uid: body.request.uid, allowed: true, patchType: 'JSONPatch' });
    expect(Object.keys(answer.json())).toEqual(['apiVersion', 'kind', 'response']);
    expect(answer.json()).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(String(answer.headers['content-type'])).toBe('application/json; charset=utf-8');
    const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
    const paths = patch.map((op: { path: string }) => op.path);
    expect(paths).toContain('/spec/initContainers');
    expect(
      patch.some(
        (op: { value?: { name?: string } }) => op.value?.name === BUILTIN_CONFIG.sidecar.containerName,
      ),
    ).toBe(true);
  });

  it.each([
    [
      'a Deployment',
      (body: Review) => ({
        ...body.request,
        kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      }),
    ],
    [
      'an UPDATE',
      (body: Review) => ({ ...body.request, operation: 'UPDATE', oldObject: body.request.object }),
    ],
    ['an exempt namespace', (body: Review) => ({ ...body.request, namespace: 'kube-system' })],
    ['a subresource', (body: Review) => ({ ...body.request, subResource: 'ephemeralcontainers' })],
  ])('leaves %s untouched', async (_name, change) => {
    const body = await reviewFixture('catalog-pod-review.json');
    const answer = await postJson(builtin.url, '/mutate', { ...body, request: change(body) }, certs.caPem);
    expect(answer.json().response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it("leaves a new pod untouched under Istio (the default): the mesh's injector adds its proxy", async () => {
    const body = await reviewFixture('catalog-pod-review.json');
    const answer = await postJson(server.url, '/mutate', body, certs.caPem);
    expect(answer.json().response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('answers an internal fault with no patch and an error status', async () => {
    const failing = await startApp(certs, {
      config: BUILTIN_CONFIG,
      buildPatch: () => {
        throw new Error('patch exploded');
      },
    });
    try {
      const body = await reviewFixture('catalog-pod-review.json');
      const answer = await postJson(failing.url, '/mutate', body, certs.caPem);
      expect(answer.json().response).toEqual({
        uid: body.request.uid,
        allowed: false,
        status: {
          code: 500,
          reason: 'InternalError',
          message: 'ztgate could not inject this request: patch exploded',
        },
      });
    } finally {
      await failing.app.close();
    }
  });
});

describe('readiness gating', () => {
  it('is not ready and denies until the view is synced', async () => {
    let view: typeof EMPTY_VIEW | undefined;
    const gated = await startApp(certs, {
      viewSource: fixedSource(undefined, { current: () => view, isReady: () => view !== undefined }),
      evaluate: fakeEvaluate,
    });
    try {
      const notReady = await h1(gated.url, '/readyz', { ca: certs.caPem });
      expect(notReady.status).toBe(503);
      expect(notReady.json()).toEqual({ status: 'not ready', reason: 'cluster view not synced yet' });
      expect((await h1(gated.url, '/healthz', { ca: certs.caPem })).status).toBe(200);
      const denied = await postJson(gated.url, '/validate', review('good'), certs.caPem);
      expect(denied.json().response).toEqual({
        uid: 'uid-good',
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: 'cluster view not synced yet' },
      });
      view = EMPTY_VIEW;
      const ready = await h1(gated.url, '/readyz', { ca: certs.caPem });
      expect(ready.status).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', revision: 7 });
      expect((await postJson(gated.url, '/validate', review('good'), certs.caPem)).json().response).toEqual({
        uid: 'uid-good',
        allowed: true,
      });
    } finally {
      await gated.app.close();
    }
  });
});

describe('confirming what the view lacks', () => {
  it('re-evaluates once against the confirmed view', async () => {
    const confirmedView = { revision: 8 } as unknown as typeof EMPTY_VIEW;
    const calls: unknown[] = [];
    const missing = {
      ...violation,
      missing: { kind: 'ServiceAccount' as const, namespace: 'shop', name: 'web' },
    };
    const app = await startApp(certs, {
      viewSource: fixedSource(EMPTY_VIEW, {
        confirm: async (refs, namespace) => {
          calls.push({ refs, namespace });
          return confirmedView;
        },
      }),
      evaluate: (_input, view) =>
        view === confirmedView ? decision({}) : decision({ allowed: false, violations: [missing] }),
    });
    try {
      const answer = await postJson(app.url, '/validate', review('late'), certs.caPem);
      expect(answer.json().response).toEqual({ uid: 'uid-late', allowed: true });
      expect(calls).toEqual([
        { refs: [{ kind: 'ServiceAccount', namespace: 'shop', name: 'web' }], namespace: 'shop' },
      ]);
    } finally {
      await app.app.close();
    }
  });
});

describe('confirming only what can change a denial', () => {
  const missing = {
    ...violation,
    missing: { kind: 'ServiceAccount' as const, namespace: 'shop', name: 'web' },
  };

  it('makes no live read for an allowed (audit-mode) decision', async () => {
    let confirms = 0;
    const app = await startApp(certs, {
      viewSource: fixedSource(EMPTY_VIEW, {
        confirm: async () => {
          confirms += 1;
          return EMPTY_VIEW;
        },
      }),
      evaluate: () => decision({ allowed: true, violations: [missing] }),
    });
    try {
      const answer = await postJson(app.url, '/validate', review('audit'), certs.caPem);
      expect(answer.json().response.allowed).toBe(true);
      expect(confirms).toBe(0);
    } finally {
      await app.app.close();
    }
  });

  it('does not evaluate again when the confirmation found nothing', async () => {
    let evaluations = 0;
    const app = await startApp(certs, {
      viewSource: fixedSource(EMPTY_VIEW, { confirm: async () => EMPTY_VIEW }),
      evaluate: () => {
        evaluations += 1;
        return decision({ allowed: false, violations: [missing] });
      },
    });
    try {
      const answer = await postJson(app.url, '/validate', review('absent'), certs.caPem);
      expect(answer.json().response.allowed).toBe(false);
      expect(evaluations).toBe(1);
    } finally {
      await app.app.close();
    }
  });
});

describe('GET /metrics', () => {
  it('counts requests by route and decision, violations by rule, latency and certificate expiry', async () => {
    await postJson(server.url, '/validate', review('bad'), certs.caPem);
    const answer = await h1(server.url, '/metrics', { ca: certs.caPem });
    expect(answer.status).toBe(200);
    expect(String(answer.headers['content-type'])).toContain('text/plain');
    const lines = answer.text.split('\n');
    expect(
      lines.some((line) =>
        /^ztgate_admission_requests_total\{route="validate",decision="deny"\} [1-9]/.test(line),
      ),
    ).toBe(true);
    expect(
      lines.some((line) =>
        /^ztgate_admission_requests_total\{route="validate",decision="invalid"\} [1-9]/.test(line),
      ),
    ).toBe(true);
    expect(
      lines.some((line) => /^ztgate_violations_total\{rule="dedicated-service-account"\} [1-9]/.test(line)),
    ).toBe(true);
    expect(
      lines.some((line) =>
        line.startsWith('ztgate_admission_duration_seconds_bucket{le="0.005",route="validate"}'),
      ),
    ).toBe(true);
    const value = (name: string): number =>
      Number(lines.find((line) => line.startsWith(`${name} `))?.split(' ')[1]);
    const notAfter = Date.parse(new X509Certificate(await readFile(join(certs.dir, 'tls.crt'))).validTo);
    expect(value('ztgate_tls_certificate_expiry_timestamp_seconds')).toBe(notAfter / 1000);
    // The deprecated "seconds until" gauge stays until 0.3 so existing alerts keep firing.
    const seconds = value('ztgate_tls_certificate_expiry_seconds');
    expect(seconds).toBeGreaterThan(89 * 86_400);
    expect(seconds).toBeLessThanOrEqual(90 * 86_400);
    // Every decision value exists from the start, so a rate() over it is 0, not absent.
    for (const route of ['validate', 'mutate'])
      for (const decision of ['allow', 'deny', 'warn', 'error', 'invalid'])
        expect(
          value(`ztgate_admission_requests_total{route="${route}",decision="${decision}"}`),
        ).toBeGreaterThanOrEqual(0);
    // Invalid requests never reached a handler: counted, not timed.
    const timed = value('ztgate_admission_duration_seconds_count{route="validate"}');
    const answered = ['allow', 'deny', 'warn', 'error'].reduce(
      (sum, decision) =>
        sum + value(`ztgate_admission_requests_total{route="validate",decision="${decision}"}`),
      0,
    );
    expect(timed).toBe(answered);
    // prom-client's process and Node.js metrics.
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(lines.some((line) => line.startsWith('nodejs_eventloop_lag_p99_seconds '))).toBe(true);
  });
});
