import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli, type CliRun } from './run-cli.js';

const STATE = join(import.meta.dirname, '..', 'policy', 'audit', 'fixtures', 'state');

async function run(...args: string[]): Promise<CliRun> {
  return runCli('audit', args);
}

function cleanState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ztgate-audit-'));
  writeFileSync(
    join(dir, 'state.yaml'),
    [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: quiet, labels: {istio-injection: enabled}}',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: quiet}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}',
      'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: strict, namespace: quiet}\nspec: {mtls: {mode: STRICT}}',
    ].join('\n---\n'),
  );
  return dir;
}

describe('ztgate audit', () => {
  it('prints a text table and exits 1 when there are findings', async () => {
    const result = await run('--state', STATE);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^NAMESPACE\s+RESOURCE\s+RULE/);
    expect(result.stdout).toContain('Namespace/legacy');
    expect(result.stderr).toBe('');
  });

  it('exits 0 on a clean state', async () => {
    const result = await run('--state', cleanState());
    expect([result.code, result.stdout]).toEqual([
      0,
      'scanned 1 namespace, 0 workloads, 2 policies: 0 findings\n',
    ]);
  });

  it('reviews an audit-mode namespace before the switch, and exits 0 when enforcing it would refuse nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ztgate-audit-'));
    writeFileSync(
      join(dir, 'state.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: rollout, labels: {ztgate.dev/mode: audit}}\n',
    );
    const text = await run('--state', dir);
    // Under Istio (the default): the deny with its DNS and mesh allowances, STRICT mTLS, and the
    // enrolment mark on the Namespace itself.
    const creates = [
      'NetworkPolicy/ztgate-default-deny',
      'NetworkPolicy/ztgate-allow-dns',
      'NetworkPolicy/ztgate-allow-mesh',
      'PeerAuthentication/ztgate-strict-mtls',
      'Namespace/rollout',
    ].join(', ');
    expect([text.code, text.stdout.split('\n')]).toEqual([
      0,
      [
        `NOT ENFORCED  BECAUSE                      ${'ENFORCING WOULD CREATE'.padEnd(creates.length)}  AND REFUSE`,
        `rollout       label ztgate.dev/mode=audit  ${creates}  -`,
        '',
        'scanned 1 namespace, 0 workloads, 0 policies: 0 findings; 1 namespace not enforced',
        '',
      ],
    ]);
    const json = JSON.parse((await run('--state', dir, '-o', 'json')).stdout) as { notEnforced: unknown[] };
    expect(json.notEnforced).toEqual([
      {
        namespace: 'rollout',
        mode: 'audit',
        reason: 'label ztgate.dev/mode=audit',
        wouldCreate: [
          ...['ztgate-default-deny', 'ztgate-allow-dns', 'ztgate-allow-mesh'].map((name) => ({
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            namespace: 'rollout',
            name,
          })),
          {
            apiVersion: 'security.istio.io/v1',
            kind: 'PeerAuthentication',
            namespace: 'rollout',
            name: 'ztgate-strict-mtls',
          },
          { apiVersion: 'v1', kind: 'Namespace', name: 'rollout' },
        ],
        wouldRefuse: [],
      },
    ]);
  });

  it('prints JSON findings', async () => {
    const result = await run('--state', STATE, '--output', 'json');
    const parsed = JSON.parse(result.stdout) as {
      scanned: unknown;
      findings: { rule: string; resource: { name: string } }[];
    };
    expect(parsed.scanned).toEqual({ namespaces: 3, workloads: 4, policies: 4 });
    expect(parsed.findings.filter((f) => f.resource.name === 'allow-all').map((f) => f.rule)).toEqual([
      'no-allow-all-policy',
    ]);
  });

  it('reports a pod already in the cluster that forges a controller reference; the real ones are judged through their controller', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ztgate-audit-'));
    const pod = (name: string, owner: string, uid: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: quiet\n  labels: {app: web}\n` +
      `  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: ${owner}, uid: ${uid}, controller: true}]\n` +
      'spec: {serviceAccountName: web, containers: [{name: web, image: web:1}]}\n';
    const template =
      'spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n' +
      '    spec: {serviceAccountName: web, containers: [{name: web, image: web:1}]}\n';
    writeFileSync(
      join(dir, 'state.yaml'),
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: quiet}',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: quiet}',
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: quiet}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}',
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: quiet}\nspec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]}',
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: quiet, uid: d1}\n${template}`,
        `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-7c9d\n  namespace: quiet\n  uid: r1\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]\n${template}`,
        pod('web-7c9d-real', 'web-7c9d', 'r1'),
        // A made-up ReplicaSet, then the real one with a made-up uid: both borrow web's identity.
        pod('intruder', 'web-ghost', 'r9'),
        pod('impostor', 'web-7c9d', 'r9'),
      ].join('\n---\n'),
    );
    const result = await run('--state', dir, '-o', 'json');
    const parsed = JSON.parse(result.stdout) as {
      scanned: { workloads: number };
      findings: { category: string; rule: string; resource: { kind: string; name: string } }[];
    };
    expect(result.code).toBe(1);
    expect(parsed.scanned.workloads).toBe(3);
    // Both pods borrow web's identity (and web is reported as sharing it); the real pod is
    // judged through its Deployment, so it is not scanned at all.
    const sharing = parsed.findings.filter((f) => f.rule === 'dedicated-service-account');
    expect(sharing.map((f) => `${f.resource.kind}/${f.resource.name}`)).toEqual([
      'Deployment/web',
      'Pod/impostor',
      'Pod/intruder',
    ]);
    // Under Istio (the default) the running pod is reported only as not meshed (it predates its
    // namespace's enrolment), never as a workload of its own.
    const real = parsed.findings.filter((f) => f.resource.name === 'web-7c9d-real');
    expect(real.map((f) => `${f.category} ${f.rule}`)).toEqual([
      'pod-not-meshed mtls-sidecar',
      'pod-not-meshed mtls-sidecar',
    ]);
  });

  it('prints PolicyReports as a YAML stream', async () => {
    const result = await run('--state', STATE, '-o', 'policyreport');
    const documents = parseAllDocuments(result.stdout).map(
      (doc) => doc.toJS() as { kind: string; metadata: { namespace?: string } },
    );
    expect(documents.map((doc) => [doc.kind, doc.metadata.namespace])).toEqual([
      ['PolicyReport', 'legacy'],
      ['PolicyReport', 'shop'],
      ['ClusterPolicyReport', undefined],
    ]);
    expect(result.code).toBe(1);
  });

  it.each([
    ['--state with --kubeconfig', ['--state', STATE, '--kubeconfig', '/nonexistent'], /cannot be combined/],
    ['--apply with --state', ['--state', STATE, '--apply'], /--apply needs a cluster/],
    ['a missing state folder', ['--state', '/nonexistent/ztgate'], /nonexistent/],
    ['an unknown output', ['--state', STATE, '--output', 'xml'], /invalid/],
    [
      'an unreadable kubeconfig',
      ['--kubeconfig', '/nonexistent/kubeconfig'],
      /^ztgate: audit: no kubeconfig at \/nonexistent\/kubeconfig \(given with --kubeconfig\)\n$/,
    ],
  ])('exits 2 on %s', async (_name, args, message) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 with one sentence when no Kubernetes configuration is found', async () => {
    vi.stubEnv('HOME', mkdtempSync(join(tmpdir(), 'ztgate-home-')));
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    try {
      const result = await run();
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^ztgate: audit: no Kubernetes configuration found: no --kubeconfig given, \$KUBECONFIG is unset, .*\/\.kube\/config is absent, and this is not a pod \(KUBERNETES_SERVICE_HOST\/PORT are unset\); pass --kubeconfig FILE, or --state DIR for a folder of manifests\n$/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('exits 2 when the cluster cannot be reached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ztgate-audit-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const result = await run('--kubeconfig', kubeconfig);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ztgate: cannot read the cluster: .*ECONNREFUSED/);
  });
});
