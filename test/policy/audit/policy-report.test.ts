import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  buildClusterReport,
  buildNamespaceReport,
  canonicalValue,
  carryTimestamps,
  reportContent,
  resultsContentLines,
} from '../../../src/policy/audit/policy-report.js';
import type { AuditResult } from '../../../src/policy/audit/scan.js';
import type { KubeObject } from '../../../src/policy/types.js';

const web = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'u1' };
const api = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api', uid: 'u2' };
const fail = (resource: AuditResult['resource'], rule: AuditResult['rule'] = 'dedicated-service-account') =>
  ({
    category: 'workload-refused',
    rule,
    result: 'fail',
    resource,
    path: 'spec.template.spec.serviceAccountName',
    message: `${resource.name} runs as default`,
    fix: 'apiVersion: v1\nkind: ServiceAccount',
  }) satisfies AuditResult;
const pass = (resource: AuditResult['resource'], rule: AuditResult['rule'] = 'dedicated-service-account') =>
  ({
    category: 'workload-refused',
    rule,
    result: 'pass',
    resource,
    path: '',
    message: 'passed',
    fix: '',
  }) satisfies AuditResult;

/** What a report looks like after a round trip through the API server: keys re-encoded in sorted order. */
function roundTrip(report: KubeObject): KubeObject {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  };
  return sortKeys(
    JSON.parse(
      JSON.stringify({
        ...report,
        metadata: { ...report.metadata, resourceVersion: '7', uid: 'r', creationTimestamp: 'now' },
      }),
    ),
  ) as KubeObject;
}

const results = (report: KubeObject) =>
  report['results'] as { rule: string; result: string; timestamp: { seconds: number } }[];

describe('reportContent: what makes a report unchanged', () => {
  const report = buildNamespaceReport('shop', [fail(web), pass(api)], 100);

  it.each([
    ['the same results found later', buildNamespaceReport('shop', [fail(web), pass(api)], 999)],
    ['the stored copy (server key order, metadata the server adds)', roundTrip(report)],
    [
      'the stored copy, written at another time',
      roundTrip(buildNamespaceReport('shop', [fail(web), pass(api)], 5)),
    ],
  ])('is the same for %s', (_name, other) => {
    expect(reportContent(other)).toBe(reportContent(report));
  });

  it.each([
    ['a finding fixed', buildNamespaceReport('shop', [pass(web), pass(api)], 100)],
    ['a finding added', buildNamespaceReport('shop', [fail(web), fail(api)], 100)],
    ['a workload gone', buildNamespaceReport('shop', [fail(web)], 100)],
    ['a new message', buildNamespaceReport('shop', [{ ...fail(web), message: 'other' }, pass(api)], 100)],
    ['a new fix', buildNamespaceReport('shop', [{ ...fail(web), fix: 'other' }, pass(api)], 100)],
    [
      'a recreated workload (new uid)',
      buildNamespaceReport('shop', [fail({ ...web, uid: 'u9' }), pass(api)], 100),
    ],
    ['another namespace', buildNamespaceReport('shop2', [fail(web), pass(api)], 100)],
    ['results edited by hand', { ...report, results: [results(report)[1]] }],
    ['a summary edited by hand', { ...report, summary: { pass: 2, fail: 0, warn: 0, error: 0, skip: 0 } }],
  ])('differs after %s', (_name, other) => {
    expect(reportContent(other)).not.toBe(reportContent(report));
  });

  it('gives an emptied report (findings gone) its own content, and the same one every time', () => {
    const emptied = buildNamespaceReport('shop', [], 100);
    expect(emptied['summary']).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
    expect(reportContent(emptied)).not.toBe(reportContent(report));
    expect(reportContent(buildNamespaceReport('shop', [], 7))).toBe(reportContent(emptied));
  });

  it('covers the ClusterPolicyReport the same way', () => {
    const gnp = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      namespace: undefined,
      name: 'g',
    };
    const cluster = buildClusterReport([fail(gnp, 'no-allow-all-policy')], 1);
    expect(cluster['scope']).toBeUndefined();
    expect(reportContent(roundTrip(buildClusterReport([fail(gnp, 'no-allow-all-policy')], 2)))).toBe(
      reportContent(cluster),
    );
    expect(reportContent(buildClusterReport([], 1))).not.toBe(reportContent(cluster));
  });
});

describe('carryTimestamps', () => {
  it('keeps the stored timestamp of every result still found, and stamps the new ones now', () => {
    const stored = roundTrip(buildNamespaceReport('shop', [fail(web), pass(api)], 100));
    const now = buildNamespaceReport('shop', [fail(web), fail(api)], 200);
    const carried = carryTimestamps(now, stored);
    expect(results(carried).map((r) => [r.result, r.timestamp.seconds])).toEqual([
      ['fail', 100],
      ['fail', 200],
    ]);
    // The timestamps are not content: the carried report is the desired one.
    expect(reportContent(carried)).toBe(reportContent(now));
  });

  it('leaves the desired report alone when nothing was stored', () => {
    const now = buildNamespaceReport('shop', [fail(web)], 200);
    expect(carryTimestamps(now, { apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport' })).toBe(now);
  });
});

describe('resultsContentLines: the content of a report not built', () => {
  const resource = fc.record({
    apiVersion: fc.constantFrom('apps/v1', 'v1', 'projectcalico.org/v3'),
    kind: fc.constantFrom('Deployment', 'Namespace', 'GlobalNetworkPolicy'),
    namespace: fc.option(fc.string(), { nil: undefined }),
    name: fc.string(),
    uid: fc.option(fc.string(), { nil: undefined }),
  });
  const result = fc.record({
    category: fc.constantFrom('workload-refused', 'policy-refused', 'enforcement-withheld'),
    rule: fc.constantFrom('dedicated-service-account', 'allow-list-policy', 'namespace-default-deny'),
    result: fc.constantFrom('pass', 'fail', 'warn'),
    resource,
    path: fc.oneof(fc.constant(''), fc.string()),
    message: fc.string(),
    fix: fc.oneof(fc.constant(''), fc.string({ unit: 'binary' })),
  }) as fc.Arbitrary<AuditResult>;

  it('is the content of the report built from the same results, namespaced or cluster-wide', () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 8 }), fc.string(), (results, namespace) => {
        expect(resultsContentLines(namespace, results).join('\n')).toBe(
          reportContent(buildNamespaceReport(namespace, results, 3)),
        );
        expect(resultsContentLines(undefined, results).join('\n')).toBe(
          reportContent(roundTrip(buildClusterReport(results, 4))),
        );
      }),
    );
  });

  it('counts pass results left out of the list as it counts listed ones (scanNamespace listPasses: false)', () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 8 }), fc.string(), (results, namespace) => {
        const kept = results.filter((r) => r.result !== 'pass');
        const unlisted = results.length - kept.length;
        const built = buildNamespaceReport(namespace, kept, 3, unlisted);
        expect(built).toEqual(buildNamespaceReport(namespace, results, 3));
        expect(resultsContentLines(namespace, kept, unlisted)).toEqual(
          resultsContentLines(namespace, results),
        );
        // The count is in the content: a pass more or less is another report.
        expect(resultsContentLines(namespace, kept, unlisted + 1)).not.toEqual(
          resultsContentLines(namespace, results),
        );
      }),
    );
  });
});

describe('canonicalValue: content independent of key order', () => {
  /** The same value with every object's keys in another order (reversed, then shuffled by `seed`). */
  const reorder = (value: unknown, seed: number): unknown => {
    if (Array.isArray(value)) return value.map((item) => reorder(item, seed));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value).reverse();
    if (keys.length > 1) keys.push(...keys.splice(0, seed % keys.length));
    return Object.fromEntries(
      keys.map((key) => [key, reorder((value as Record<string, unknown>)[key], seed)]),
    );
  };
  const json = (value: unknown) => JSON.stringify(canonicalValue(value));

  it('gives the same JSON for the same content in any key order, and keeps the content', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        expect(json(reorder(value, seed))).toBe(json(value));
        // Nothing lost or changed: the sorted copy holds what the value held.
        expect(JSON.parse(json(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('gives the same JSON exactly when the content is the same (key order aside)', () => {
    // As parsed from the API server's JSON (-0 is 0 there).
    const stored = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    fc.assert(
      fc.property(stored, stored, fc.nat(), (a, b, seed) => {
        expect(json(a) === json(b)).toBe(isDeepStrictEqual(a, b));
        const reordered = reorder(a, seed);
        expect(json(reordered) === json(a)).toBe(true);
      }),
    );
  });

  it('leaves out undefined members, and keeps a __proto__ key a key', () => {
    const parsed = JSON.parse('{"b":"2","__proto__":{"polluted":"yes"},"a":"1"}') as Record<string, unknown>;
    const sorted = canonicalValue({ ...parsed, gone: undefined }) as Record<string, unknown>;
    expect(Object.keys(sorted)).toEqual(['__proto__', 'a', 'b']);
    expect(Object.getPrototypeOf(sorted)).toBe(Object.prototype);
    expect(JSON.stringify(sorted)).toBe('{"__proto__":{"polluted":"yes"},"a":"1","b":"2"}');
  });

  it('tells a fix apart in a stored report by its text, escaped once in the content', () => {
    const fix = 'apiVersion: v1\nkind: "ServiceAccount"';
    const content = reportContent(buildNamespaceReport('shop', [{ ...fail(web), fix }], 1));
    expect(content).toContain(JSON.stringify(fix).slice(1, -1));
    expect(content).not.toContain(JSON.stringify(JSON.stringify(fix)).slice(1, -1));
  });
});
