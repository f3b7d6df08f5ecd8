import { describe, expect, it } from 'vitest';
import { formatAuditText } from '../../../src/policy/audit/format-text.js';
import { buildPolicyReports } from '../../../src/policy/audit/policy-report.js';
import { scanClusterView, type AuditResult, type AuditScan } from '../../../src/policy/audit/scan.js';
import { createClusterView } from '../../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import { buildDesiredPolicies } from '../../../src/policy/desired/index.js';
import type { KubeObject } from '../../../src/policy/types.js';

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const sa = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace },
});
const deployment = (namespace: string, name: string, serviceAccountName?: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        ...(serviceAccountName ? { serviceAccountName } : {}),
        containers: [{ name, image: `${name}:1` }],
      },
    },
  },
});
const allowList = (namespace: string, app: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: `${app}-from-front`, namespace },
  spec: {
    podSelector: { matchLabels: { app } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'front' } } }], ports: [{ port: 8080 }] }],
  },
});
const AUDIT = { 'ztgate.dev/mode': 'audit' };
// rollout: in audit mode, one compliant workload and one that lacks an identity; half: in audit
// mode with the DNS allowance already there; lab: exempt by label; shop: enforced, no deny yet.
// The default deny's review under the builtin injector; the meshes add theirs (below).
const objects: KubeObject[] = [
  ns('rollout', AUDIT),
  sa('rollout', 'web'),
  deployment('rollout', 'web', 'web'),
  allowList('rollout', 'web'),
  deployment('rollout', 'legacy'),
  ns('half', AUDIT),
  buildDesiredPolicies(BUILTIN_CONFIG, 'half')[1]!,
  ns('lab', { 'ztgate.dev/exempt': 'true' }),
  ns('shop'),
  ns('kube-system'),
  deployment('kube-system', 'coredns'),
];
const scanOf = (config: ZtgateConfig = BUILTIN_CONFIG, extra: KubeObject[] = []): AuditScan =>
  scanClusterView(createClusterView([...objects, ...extra], { istioRootNamespace: 'istio-system' }), config);
const KNOWN = new Set(['namespace-default-deny', 'dedicated-service-account', 'allow-list-policy']);
const brief = (results: readonly AuditResult[], namespace: string) =>
  results
    .filter((r) => KNOWN.has(r.rule))
    .filter((r) => (r.resource.namespace ?? r.resource.name) === namespace)
    .map((r) => `${r.result} ${r.resource.kind}/${r.resource.name} ${r.rule}`);
const scan = scanOf();

describe('scanClusterView: namespaces not enforced yet', () => {
  it('lists what enforcing would create, judged against what is there already', () => {
    expect(
      scan.notEnforced.map((review) => [
        review.namespace,
        review.reason,
        review.wouldCreate.map((r) => r.name),
      ]),
    ).toEqual([
      ['half', 'label ztgate.dev/mode=audit', ['ztgate-default-deny']],
      ['lab', 'label ztgate.dev/exempt=true', ['ztgate-default-deny', 'ztgate-allow-dns']],
      ['rollout', 'label ztgate.dev/mode=audit', ['ztgate-default-deny', 'ztgate-allow-dns']],
    ]);
    expect(brief(scan.results, 'half')).toEqual([
      'pass Namespace/half namespace-default-deny',
      'warn NetworkPolicy/ztgate-default-deny namespace-default-deny',
    ]);
  });

  it('judges workloads of an audit namespace as if enforced: the default deny ztgate would create counts', () => {
    expect(brief(scan.results, 'rollout')).toEqual([
      'pass Namespace/rollout namespace-default-deny',
      'fail Deployment/legacy allow-list-policy',
      'fail Deployment/legacy dedicated-service-account',
      'pass Deployment/legacy namespace-default-deny',
      'pass Deployment/web allow-list-policy',
      'pass Deployment/web dedicated-service-account',
      'pass Deployment/web namespace-default-deny',
      'warn NetworkPolicy/ztgate-allow-dns namespace-default-deny',
      'warn NetworkPolicy/ztgate-default-deny namespace-default-deny',
    ]);
    expect(scan.notEnforced.find((review) => review.namespace === 'rollout')?.wouldRefuse).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'rollout', name: 'legacy' },
    ]);
  });

  it('keeps enforced namespaces as they are and leaves config-exempt ones out', () => {
    expect(brief(scan.findings, 'shop')).toEqual(['fail Namespace/shop namespace-default-deny']);
    expect(scan.notEnforced.map((review) => review.namespace)).not.toContain('kube-system');
    expect(scan.results.filter((r) => r.resource.namespace === 'kube-system')).toEqual([]);
    // A warn is no finding: a namespace ready to enforce passes the audit.
    expect(scan.findings.filter((r) => r.result !== 'fail')).toEqual([]);
  });

  it('treats every namespace but the exempt ones as pending with mode: audit', () => {
    const audit = scanOf({ ...BUILTIN_CONFIG, mode: 'audit' });
    expect(audit.notEnforced.map((review) => `${review.namespace} ${review.reason}`)).toEqual([
      'half config mode: audit',
      'lab label ztgate.dev/exempt=true',
      'rollout config mode: audit',
      'shop config mode: audit',
    ]);
    expect(brief(audit.findings, 'shop')).toEqual([]);
  });

  it('creates nothing with defaultDeny.create false, so the missing deny stays a finding', () => {
    const owned = scanOf({
      ...BUILTIN_CONFIG,
      defaultDeny: { ...BUILTIN_CONFIG.defaultDeny, create: false },
    });
    expect(owned.notEnforced.find((review) => review.namespace === 'rollout')?.wouldCreate).toEqual([]);
    expect(brief(owned.findings, 'rollout')).toContain('fail Deployment/web namespace-default-deny');
  });

  it('counts warnings in the PolicyReports and prints the review before the findings', () => {
    const rollout = buildPolicyReports(scan, 1).find((report) => report.metadata?.namespace === 'rollout')!;
    expect(rollout['summary']).toMatchObject({ warn: 2 });
    const warned = (rollout['results'] as { result: string; severity: string }[]).filter(
      (r) => r.result === 'warn',
    );
    expect(warned.map((r) => r.severity)).toEqual(['medium', 'medium']);
    const lines = formatAuditText(scan).split('\n');
    expect(lines[0]).toMatch(/^NOT ENFORCED\s+BECAUSE\s+ENFORCING WOULD CREATE\s+AND REFUSE$/);
    expect(lines[3]).toMatch(
      /^rollout\s+label ztgate.dev\/mode=audit\s+NetworkPolicy\/ztgate-default-deny, NetworkPolicy\/ztgate-allow-dns\s+Deployment\/legacy$/,
    );
    expect(lines.at(-2)).toMatch(/: \d+ findings; 3 namespaces not enforced$/);
  });
});

describe('scanClusterView: what enforcing adds under a mesh', () => {
  // DEFAULT_CONFIG is Istio (sidecar mode) with createStrictPeerAuthentication on.
  const istio = scanOf(DEFAULT_CONFIG);
  const rollout = (scan: AuditScan) => scan.notEnforced.find((review) => review.namespace === 'rollout');

  it('lists the mesh companion, the STRICT PeerAuthentication and the enrolment mark', () => {
    expect(rollout(istio)?.wouldCreate.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'NetworkPolicy/ztgate-default-deny',
      'NetworkPolicy/ztgate-allow-dns',
      'NetworkPolicy/ztgate-allow-mesh',
      'PeerAuthentication/ztgate-strict-mtls',
      'Namespace/rollout',
    ]);
    const mark = istio.results.find(
      (r) => r.result === 'warn' && r.resource.kind === 'Namespace' && r.resource.name === 'rollout',
    );
    expect(mark).toMatchObject({ rule: 'mesh-enrolment', resource: { namespace: undefined } });
    expect(mark?.message).toContain('sets label istio-injection=enabled on Namespace rollout');
  });

  it('judges an audit namespace as enrolled, as it will be a second after the switch', () => {
    const enrolment = (scan: AuditScan) =>
      scan.results
        .filter(
          (r) =>
            r.rule === 'mesh-enrolment' && r.resource.name === 'web' && r.resource.namespace === 'rollout',
        )
        .map((r) => r.result);
    expect(enrolment(istio)).toEqual(['pass']);
    // The control: a workload of an enforced namespace that lacks the mark is judged as it is.
    const refused = (scan: AuditScan) =>
      scan.findings
        .filter((r) => r.rule === 'mesh-enrolment' && r.resource.kind === 'Deployment')
        .map((r) => `${r.resource.namespace}/${r.resource.name}`);
    expect(refused(istio)).toEqual([]);
    const inShop = scanOf(DEFAULT_CONFIG, [sa('shop', 'web'), deployment('shop', 'web', 'web')]);
    expect(refused(inShop)).toEqual(['shop/web']);
  });

  it('names what each mesh would write: Linkerd its annotations and control-plane egress, ambient its label', () => {
    const linkerd = scanOf({ ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'linkerd' } });
    expect(rollout(linkerd)?.wouldCreate.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'NetworkPolicy/ztgate-default-deny',
      'NetworkPolicy/ztgate-allow-dns',
      'NetworkPolicy/ztgate-allow-mesh',
      'Namespace/rollout',
    ]);
    const linkerdMark = linkerd.results.find((r) => r.result === 'warn' && r.resource.kind === 'Namespace');
    expect(linkerdMark?.message).toContain(
      'annotation linkerd.io/inject=enabled, annotation config.linkerd.io/default-inbound-policy=all-authenticated',
    );
    const ambient = scanOf({
      ...DEFAULT_CONFIG,
      mesh: { ...DEFAULT_CONFIG.mesh, provider: 'istio-ambient' },
    });
    const ambientMark = ambient.results.find((r) => r.result === 'warn' && r.resource.kind === 'Namespace');
    expect(ambientMark?.message).toContain('label istio.io/dataplane-mode=ambient');
  });

  it('reports no mark for a namespace an admin opted out, and none once it is enrolled', () => {
    const scan = scanOf(DEFAULT_CONFIG, [
      ns('optout', { ...AUDIT, 'istio-injection': 'disabled' }),
      ns('meshed', { ...AUDIT, 'istio-injection': 'enabled' }),
    ]);
    const marks = scan.notEnforced
      .filter((review) => ['optout', 'meshed'].includes(review.namespace))
      .map((review) => review.wouldCreate.filter((r) => r.kind === 'Namespace').length);
    expect(marks).toEqual([0, 0]);
  });
});
