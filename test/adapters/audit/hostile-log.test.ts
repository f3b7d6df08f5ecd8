/**
 * The decision log under hostile requests, over real TLS: whatever a request holds, a log line
 * stays within LOG_LINE_MAX_BYTES (8 KiB), and malformed requests are counted, not logged. Before
 * the fix a 3 MiB request wrote an 8 MB line (each NUL byte escapes to six characters).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_LINE_MAX_BYTES } from '../../../src/admission/decision-record.js';
import { BODY_LIMIT_BYTES } from '../../../src/adapters/http/app.js';
import { MAX_NESTING_DEPTH } from '../../../src/adapters/http/json-depth.js';
import {
  h1,
  h2,
  makeCerts,
  postJson,
  reviewFixture,
  startDemoApp,
  type Running,
  type TestCerts,
} from '../http/support.js';

let certs: TestCerts;
let server: Running;

beforeAll(async () => {
  certs = await makeCerts();
  server = await startDemoApp(certs);
});
afterAll(async () => server.app.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reviews are edited field by field.
type Review = any;

/** A string that fills most of the body limit once JSON-encoded (NUL escapes to six bytes). */
const NULS = '\u0000'.repeat(Math.floor((BODY_LIMIT_BYTES - 64 * 1024) / 6));
const SPACES = ' '.repeat(BODY_LIMIT_BYTES - 64 * 1024);

function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { a: value };
  return value;
}

async function deployment(edit: (request: Review) => void): Promise<Review> {
  const body = await reviewFixture('storefront-deployment-review.json');
  edit(body.request);
  return body;
}

function openPeers(count: number): Review {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'peers-1',
      kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
      resource: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      name: 'open',
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'open', namespace: 'ztgate-demo' },
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: new Array(count).fill({}) }] },
      },
      userInfo: { username: 'mallory' },
    },
  };
}

function lines(): string[] {
  return server
    .rawLog()
    .split('\n')
    .filter((line) => line !== '');
}

describe('the decision log under hostile requests', () => {
  it('keeps every line within 8 KiB, whatever the fields hold', async () => {
    const before = lines().length;
    const bodies: Review[] = [
      // The object's own name (request.name empty, as before the API server names it) and
      // request.name (the object's name must then be the same, or the review is a 400).
      await deployment((r) => {
        r.name = '';
        r.object.metadata.name = NULS;
      }),
      await deployment((r) => {
        // Half each: the same name twice must fit the body limit.
        r.name = NULS.slice(0, NULS.length / 2);
        r.object.metadata.name = r.name;
      }),
      // request.namespace must be a namespace name (a 400 before anything is logged: see below).
      await deployment((r) => (r.uid = `u-${NULS}`)),
      await deployment((r) => (r.userInfo = { username: NULS, groups: [] })),
      await deployment(
        (r) => (r.userInfo = { username: 'a', groups: new Array(200_000).fill('g\u0000\u202e') }),
      ),
      await deployment((r) => (r.object.spec.template.metadata.labels = { app: SPACES })),
      openPeers(19_000),
    ];
    const answers = [];
    for (const body of bodies)
      answers.push(await h2(server.url, '/validate', { body: JSON.stringify(body), ca: certs.caPem }));
    expect(answers.map((answer) => answer.status)).toEqual(bodies.map(() => 200));
    expect(answers.map((answer) => answer.json().response.allowed)).toEqual(bodies.map(() => false));
    const written = lines().slice(before);
    expect(written.filter((line) => line.includes('"admission decision"'))).toHaveLength(bodies.length);
    for (const line of written) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(LOG_LINE_MAX_BYTES);
  });

  it('notes what it cut: clipped strings end with a marker, left-out violations are counted', async () => {
    // 19,000 open peers: within the 20,000 items ztgate reads from one policy (policies/size.ts).
    await postJson(server.url, '/validate', openPeers(19_000), certs.caPem);
    const line = server
      .logLines()
      .filter((entry) => entry['uid'] === 'peers-1')
      .at(-1) as Record<string, unknown>;
    expect(line['violationsOmitted']).toBeGreaterThan(18_000);
    expect((line['violations'] as unknown[]).length + (line['violationsOmitted'] as number)).toBe(19_000);
    await postJson(
      server.url,
      '/validate',
      await deployment((r) => (r.uid = `u-${'x'.repeat(10_000)}`)),
      certs.caPem,
    );
    const clipped = server.logLines().find((entry) => String(entry['uid']).startsWith('u-xxx'));
    expect(clipped?.['uid']).toMatch(/^u-x+…\[\+\d+ chars\]$/);
  });

  it('keeps the answer bounded too: 19,000 violations make a short denial', async () => {
    const answer = await postJson(server.url, '/validate', openPeers(19_000), certs.caPem);
    const message = answer.json().response.status.message as string;
    expect(message).toContain('… and 18950 more violations');
    expect(message.length).toBeLessThan(64 * 1024);
  });
});

describe('malformed requests: a 400, counted in a metric, never a log line', () => {
  it.each<[string, () => Promise<string>, string]>([
    [
      'a kind.version of 3 MiB of NUL bytes (the issue: an 8 MB line)',
      async () => JSON.stringify(await deployment((r) => (r.kind.version = NULS))),
      'ZT_ERR_INVALID_REVIEW',
    ],
    [
      'a namespace of NUL bytes (the API server sends only namespace names)',
      async () => JSON.stringify(await deployment((r) => (r.namespace = `ztgate-demo${NULS}`))),
      'ZT_ERR_INVALID_REVIEW',
    ],
    [
      `a kind nested ${MAX_NESTING_DEPTH + 1} deep`,
      async () => JSON.stringify(await deployment((r) => (r.kind = nested(MAX_NESTING_DEPTH + 1)))),
      'ZT_ERR_NESTING_TOO_DEEP',
    ],
    [
      'an operation nested 5,000 deep (the issue: a 500 from JSON.stringify)',
      // Built as text: JSON.stringify of the value itself overflows the test's own stack.
      async () =>
        JSON.stringify(await deployment((r) => (r.operation = 'DEEP'))).replace(
          '"DEEP"',
          `${'['.repeat(5000)}"CREATE"${']'.repeat(5000)}`,
        ),
      'ZT_ERR_NESTING_TOO_DEEP',
    ],
    [
      'an apiVersion nested 1.5 million deep (3 MiB of brackets)',
      async () => `{"apiVersion":${'['.repeat(1_500_000)}`,
      'ZT_ERR_NESTING_TOO_DEEP',
    ],
    [
      `an operation nested ${MAX_NESTING_DEPTH - 10} deep (parsed, refused by the decoder)`,
      async () => JSON.stringify(await deployment((r) => (r.operation = nested(MAX_NESTING_DEPTH - 10)))),
      'ZT_ERR_INVALID_REVIEW',
    ],
    [
      'truncated JSON',
      async () => JSON.stringify(await deployment(() => undefined)).slice(0, 500),
      'ZT_ERR_INVALID_JSON',
    ],
    [
      'a mismatched kind and resource',
      async () => JSON.stringify(await deployment((r) => (r.kind.kind = 'ConfigMap'))),
      'ZT_ERR_INVALID_REVIEW',
    ],
  ])('%s', async (_name, body, code) => {
    const before = lines().length;
    const text = await body();
    const answer = await h1(server.url, '/validate', { body: text, ca: certs.caPem });
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ statusCode: 400, code });
    expect(answer.text.length).toBeLessThan(2048);
    expect(lines().slice(before)).toEqual([]);
    const metrics = await h1(server.url, '/metrics', { ca: certs.caPem });
    expect(metrics.text).toMatch(
      new RegExp(`ztgate_invalid_requests_total\\{route="validate",code="${code}"\\} [1-9]`),
    );
  });
});
