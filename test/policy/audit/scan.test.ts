import { beforeAll, describe, expect, it } from 'vitest';
import { loadStateDir } from '../../../src/adapters/state-dir/index.js';
import { formatAuditText } from '../../../src/policy/audit/format-text.js';
import { buildPolicyReports } from '../../../src/policy/audit/policy-report.js';
import {
  scanClusterView,
  scanNamespace,
  type AuditResult,
  type AuditScan,
} from '../../../src/policy/audit/scan.js';
import { createClusterView } from '../../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { judgeInjector } from '../../../src/policy/mesh/injector.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { linkerdInjectorWebhooks } from '../../support/mesh-webhooks.js';

const FIXTURE_STATE = 'test/policy/audit/fixtures/state';
// Rules that exist today; rules appended to the registry later must not break these expectations.
const KNOWN = new Set([
  'namespace-default-deny',
  'dedicated-service-account',
  'allow-list-policy',
  'no-allow-all-policy',
]);
const brief = (results: readonly AuditResult[]) =>
  results
    .filter((result) => KNOWN.has(result.rule))
    .map((r) => [
      r.resource.namespace ?? '-',
      `${r.resource.kind}/${r.resource.name}`,
      r.rule,
      r.result,
      r.path,
    ]);

let scan: AuditScan;
beforeAll(async () => {
  const view = createClusterView(await loadStateDir(FIXTURE_STATE), { istioRootNamespace: 'istio-system' });
  scan = scanClusterView(view, DEFAULT_CONFIG);
});

describe('scanClusterView', () => {
  it('finds the namespace without default deny, refused top-level workloads and pods, and the allow-all policy', () => {
    expect(brief(scan.findings)).toEqual([
      ['-', 'Namespace/legacy', 'namespace-default-deny', 'fail', ''],
      ['legacy', 'Deployment/old', 'allow-list-policy', 'fail', 'spec.template.metadata.labels'],
      [
        'legacy',
        'Deployment/old',
        'dedicated-service-account',
        'fail',
        'spec.template.spec.serviceAccountName',
      ],
      ['legacy', 'Deployment/old', 'namespace-default-deny', 'fail', 'metadata.namespace'],
      ['legacy', 'NetworkPolicy/allow-all', 'no-allow-all-policy', 'fail', 'spec.ingress[0]'],
      ['legacy', 'Pod/debug', 'allow-list-policy', 'fail', 'metadata.labels'],
      ['legacy', 'Pod/debug', 'dedicated-service-account', 'fail', 'spec.serviceAccountName'],
      ['legacy', 'Pod/debug', 'namespace-default-deny', 'fail', 'metadata.namespace'],
    ]);
  });

  it('records passes for compliant resources', () => {
    const passes = brief(scan.results.filter((result) => result.result === 'pass'));
    expect(passes).toEqual(
      expect.arrayContaining([
        ['-', 'Namespace/shop', 'namespace-default-deny', 'pass', ''],
        ['shop', 'Deployment/web', 'dedicated-service-account', 'pass', ''],
        ['shop', 'Deployment/web', 'allow-list-policy', 'pass', ''],
        ['shop', 'Deployment/web', 'namespace-default-deny', 'pass', ''],
        ['shop', 'NetworkPolicy/web-from-front', 'no-allow-all-policy', 'pass', ''],
      ]),
    );
    expect(passes.some(([, , , result]) => result === 'fail')).toBe(false);
    // Rules that judge only UPDATE/DELETE did not run in a scan, so they pass nothing.
    expect(passes.filter(([, , rule]) => rule === 'default-deny-protected')).toEqual([]);
  });

  it.each([
    ['a pod a ReplicaSet controls', 'Pod/old-5d8f-abcde'],
    ['a ReplicaSet a Deployment controls', 'ReplicaSet/old-5d8f'],
    ['a workload in an exempt namespace', 'Deployment/coredns'],
    ['an exempt namespace', 'Namespace/kube-system'],
  ])('does not judge %s as admission would', (_name, resource) => {
    const judged = scan.results.filter(
      (r) => `${r.resource.kind}/${r.resource.name}` === resource && r.category !== 'pod-not-meshed',
    );
    expect(judged).toEqual([]);
  });

  it("reports a running pod without the mesh's proxy, with the workload to restart", () => {
    const pod = scan.findings.filter((r) => r.category === 'pod-not-meshed');
    expect(pod.map((r) => [r.resource.name, r.rule, r.path])).toEqual([
      ['old-5d8f-abcde', 'mtls-sidecar', 'spec.containers'],
      ['old-5d8f-abcde', 'mtls-sidecar', 'spec.initContainers'],
    ]);
    expect(pod[0]?.message).toContain('restart its Deployment old (kubectl rollout restart)');
  });

  it('reports namespaces the mesh does not enrol or where mTLS is not STRICT', () => {
    const namespaces = scan.results.filter(
      (r) => r.resource.kind === 'Namespace' && r.rule !== 'namespace-default-deny',
    );
    expect(namespaces.map((r) => [r.resource.name, r.rule, r.result])).toEqual([
      ['legacy', 'mesh-enrolment', 'fail'],
      ['legacy', 'strict-mtls', 'fail'],
      ['shop', 'mesh-enrolment', 'pass'],
      ['shop', 'strict-mtls', 'pass'],
    ]);
  });

  it('leaves pass results out when asked, counting them, and keeps every other result in order', async () => {
    const view = createClusterView(await loadStateDir(FIXTURE_STATE), { istioRootNamespace: 'istio-system' });
    for (const namespace of ['shop', 'legacy']) {
      const inNamespace = [...view.objects(), ...view.allPolicies().map((p) => p.source)].filter(
        (o) => o.metadata?.namespace === namespace,
      );
      const listed = scanNamespace(view, DEFAULT_CONFIG, namespace, inNamespace);
      const counted = scanNamespace(view, DEFAULT_CONFIG, namespace, inNamespace, { listPasses: false });
      const passes = listed.results.filter((r) => r.result === 'pass');
      expect(passes.length).toBeGreaterThan(0);
      expect(counted.passes).toBe(passes.length);
      expect(listed.passes).toBe(passes.length);
      expect(counted.results).toEqual(listed.results.filter((r) => r.result !== 'pass'));
      expect(counted.review).toEqual(listed.review);
      expect(counted.scanned).toEqual(listed.scanned);
    }
  });

  it('counts what it scanned', () => {
    expect(scan.scanned).toEqual({ namespaces: 3, workloads: 4, policies: 4 });
  });

  it('reports progress up to the total', () => {
    const calls: [number, number][] = [];
    scanClusterView(createClusterView([], { istioRootNamespace: 'istio-system' }), DEFAULT_CONFIG, (d, t) =>
      calls.push([d, t]),
    );
    expect(calls).toEqual([]);
  });
});

describe('buildPolicyReports', () => {
  it('builds one PolicyReport per namespace, holding the Namespace’s own results, and a ClusterPolicyReport', () => {
    const reports = buildPolicyReports(scan, 1_700_000_000);
    expect(reports.map((r) => [r.kind, r.metadata?.namespace, r.metadata?.name])).toEqual([
      ['PolicyReport', 'legacy', 'ztgate-audit'],
      ['PolicyReport', 'shop', 'ztgate-audit'],
      ['ClusterPolicyReport', undefined, 'ztgate-audit'],
    ]);
    const legacy = reports[0]!;
    expect(legacy['scope']).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'legacy' });
    const results = legacy['results'] as { rule: string }[];
    expect(results.find((r) => r.rule === 'namespace-default-deny')).toEqual({
      policy: 'ztgate',
      rule: 'namespace-default-deny',
      result: 'fail',
      message: 'namespace legacy has no policy denying all ingress and egress by default',
      source: 'ztgate',
      category: 'zero-trust',
      severity: 'high',
      scored: true,
      timestamp: { seconds: 1_700_000_000, nanos: 0 },
      resources: [{ apiVersion: 'v1', kind: 'Namespace', name: 'legacy' }],
      properties: { fix: expect.stringMatching(/^# ztgate creates these in namespace legacy shortly/) },
    });
    // The fixture has no cluster-scoped policy: the cluster report is there, and empty.
    expect(reports[2]!['summary']).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
  });

  it('lists findings and warnings with the field path, the fix and the uid, and counts passes', () => {
    const shop = buildPolicyReports(scan, 1)[1]!;
    // shop is compliant: nothing listed, every check counted.
    const passes = scan.results.filter(
      (r) => r.result === 'pass' && (r.resource.namespace ?? r.resource.name) === 'shop',
    );
    expect([shop['results'], shop['summary']]).toEqual([
      [],
      { pass: passes.length, fail: 0, warn: 0, error: 0, skip: 0 },
    ]);
    const legacy = buildPolicyReports(scan, 1)[0]!;
    const results = legacy['results'] as {
      result: string;
      rule: string;
      resources: unknown[];
      properties?: unknown;
    }[];
    expect(results.every((r) => r.result === 'fail')).toBe(true);
    expect((legacy['summary'] as { fail: number }).fail).toBe(results.length);
    const fail = results.find((r) => r.rule === 'dedicated-service-account');
    expect(fail?.resources).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'old', namespace: 'legacy', uid: 'u1' },
    ]);
    expect(fail?.properties).toEqual({
      path: 'spec.template.spec.serviceAccountName',
      fix: expect.stringContaining('kind: ServiceAccount'),
    });
  });

  it('emits an empty ClusterPolicyReport when nothing was scanned, so an applied one gets cleared', () => {
    const empty = scanClusterView(
      createClusterView([], { istioRootNamespace: 'istio-system' }),
      DEFAULT_CONFIG,
    );
    expect(buildPolicyReports(empty, 5)).toEqual([
      {
        apiVersion: 'wgpolicyk8s.io/v1alpha2',
        kind: 'ClusterPolicyReport',
        metadata: { name: 'ztgate-audit', labels: { 'app.kubernetes.io/managed-by': 'ztgate' } },
        summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
        results: [],
      },
    ]);
  });
});

describe('formatAuditText', () => {
  it('prints a table of findings and a summary line', () => {
    const lines = formatAuditText(scan).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+RESOURCE\s+RULE\s+PATH\s+MESSAGE$/);
    expect(
      lines.some((line) =>
        /^legacy\s+Pod\/debug\s+dedicated-service-account\s+spec\.serviceAccountName\s+/.test(line),
      ),
    ).toBe(true);
    expect(lines.at(-1)).toBe(
      `scanned 3 namespaces, 4 workloads, 4 policies: ${scan.findings.length} findings`,
    );
  });

  it('prints only the summary when clean', () => {
    const clean = scanClusterView(
      createClusterView([], { istioRootNamespace: 'istio-system' }),
      DEFAULT_CONFIG,
    );
    expect(formatAuditText(clean)).toBe('scanned 0 namespaces, 0 workloads, 0 policies: 0 findings\n');
  });
});

describe('scanClusterView: the mesh injector', () => {
  const empty = createClusterView([], { istioRootNamespace: 'istio-system' });
  const linkerd = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'linkerd' as const } };

  it('reports a missing injector as a cluster-scoped finding, in the text and the ClusterPolicyReport', () => {
    const injected = scanClusterView(empty, linkerd, undefined, { injector: judgeInjector(linkerd, []) });
    expect(injected.findings.map((r) => [r.category, r.rule, r.resource])).toEqual([
      [
        'mesh-injector-missing',
        'mesh-enrolment',
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          namespace: undefined,
          name: 'linkerd-proxy-injector-webhook-config',
        },
      ],
    ]);
    expect(formatAuditText(injected)).toMatch(
      /^-\s+MutatingWebhookConfiguration\/linkerd-proxy-injector-webhook-config\s+mesh-enrolment\s+-\s+the linkerd injector is not installed/m,
    );
    const [cluster] = buildPolicyReports(injected, 1);
    expect(cluster).toMatchObject({ kind: 'ClusterPolicyReport', summary: { fail: 1 } });
  });

  it("ambient: the missing ztunnel DaemonSet (in istio-system) goes to the ClusterPolicyReport, not istio-system's", () => {
    const ambient = {
      ...DEFAULT_CONFIG,
      mesh: { ...DEFAULT_CONFIG.mesh, provider: 'istio-ambient' as const },
    };
    const missing = scanClusterView(empty, ambient, undefined, { injector: judgeInjector(ambient, []) });
    expect(missing.findings.map((r) => [r.resource.kind, r.resource.namespace])).toEqual([
      ['DaemonSet', 'istio-system'],
    ]);
    expect(buildPolicyReports(missing, 1).map((r) => [r.kind, r['summary']])).toEqual([
      ['ClusterPolicyReport', { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 }],
    ]);
  });

  it('reports an installed injector as a pass, and nothing when the check was not made', () => {
    const installed = judgeInjector(linkerd, [linkerdInjectorWebhooks() as KubeObject]);
    const passed = scanClusterView(empty, linkerd, undefined, { injector: installed });
    expect(passed.findings).toEqual([]);
    expect(passed.results.map((r) => [r.category, r.result])).toEqual([['mesh-injector-missing', 'pass']]);
    expect(scanClusterView(empty, linkerd).results).toEqual([]);
  });
});

describe('scanNamespace: the policies the view normalized', () => {
  const narrow: KubeObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'web', namespace: 'shop', uid: 'p1' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: {} }] }] },
  };
  // The same policy edited to admit everyone: a new object, as the watch cache stores an update.
  const opened: KubeObject = {
    ...narrow,
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] },
  };
  const shop: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
  const allowAll = (scan: { results: readonly AuditResult[] }) =>
    scan.results.filter((r) => r.rule === 'no-allow-all-policy' && r.result === 'fail').map((r) => r.path);

  it('judges the object it is given, not an older version the view normalized', () => {
    const view = createClusterView([shop, narrow], { istioRootNamespace: 'istio-system' });
    expect(allowAll(scanNamespace(view, DEFAULT_CONFIG, 'shop', [narrow]))).toEqual([]);
    expect(allowAll(scanNamespace(view, DEFAULT_CONFIG, 'shop', [opened]))).toEqual(['spec.ingress[0]']);
    const newer = createClusterView([shop, opened], { istioRootNamespace: 'istio-system' });
    expect(allowAll(scanNamespace(newer, DEFAULT_CONFIG, 'shop', [opened]))).toEqual(['spec.ingress[0]']);
    expect(allowAll(scanNamespace(newer, DEFAULT_CONFIG, 'shop', [narrow]))).toEqual([]);
  });
});
