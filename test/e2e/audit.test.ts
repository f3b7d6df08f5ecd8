import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeRest, loadKubeConfig, type KubeRest } from '../../src/adapters/kube/index.js';
import { runCli, type CliRun } from '../cli/run-cli.js';
import { BUILTIN_CONFIG_YAML } from '../support/builtin-config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { policyReportCrds } from './support/objects.js';
import { waitFor } from './support/processes.js';

interface Finding {
  readonly category: string;
  readonly rule: string;
  readonly resource: { readonly kind: string; readonly namespace?: string; readonly name: string };
}

let configFile = '';

/**
 * `ztgate audit` under the builtin injector with test images (this suite reviews default deny,
 * identities and allow-lists; the mesh providers' audit findings are unit-tested).
 */
async function audit(...args: string[]): Promise<CliRun> {
  return runCli('audit', [...args, '--config', configFile]);
}

describe('ztgate audit against a real API server', () => {
  let cp: ControlPlane;
  let rest: KubeRest;

  beforeAll(async () => {
    cp = await startControlPlane();
    configFile = join(cp.dir, 'builtin.yaml');
    writeFileSync(configFile, BUILTIN_CONFIG_YAML);
    rest = createKubeRest(loadKubeConfig({ kubeconfig: cp.adminKubeconfig }));
    for (const name of ['open', 'closed'])
      await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name } } });
    await rest.request('POST', '/apis/networking.k8s.io/v1/namespaces/closed/networkpolicies', {
      body: { metadata: { name: 'deny' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
    });
    await rest.request('POST', '/apis/networking.k8s.io/v1/namespaces/open/networkpolicies', {
      body: {
        metadata: { name: 'everyone' },
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] },
      },
    });
    await rest.request('POST', '/apis/apps/v1/namespaces/open/deployments', {
      body: {
        metadata: { name: 'legacy' },
        spec: {
          selector: { matchLabels: { app: 'legacy' } },
          template: {
            metadata: { labels: { app: 'legacy' } },
            spec: { containers: [{ name: 'app', image: 'legacy:1' }] },
          },
        },
      },
    });
    // The controller manager makes the pods a moment later; the audit below must find them (a CI
    // run audited before they existed).
    await waitFor(
      async () =>
        (await rest.request<{ items: unknown[] }>('GET', '/api/v1/namespaces/open/pods')).items.length > 0,
      60_000,
      () => 'the controller manager made no pod for Deployment open/legacy',
    );
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it('finds the namespace without default deny, the refused Deployment, its unmeshed pods and the allow-all policy', async () => {
    const result = await audit('--kubeconfig', cp.adminKubeconfig, '--output', 'json');
    expect(result.code).toBe(1);
    const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings;
    const about = (namespace: string | undefined, name: string) =>
      findings
        .filter((f) => f.resource.namespace === namespace && f.resource.name === name)
        .map((f) => `${f.resource.kind}:${f.rule}`);
    expect(about(undefined, 'open')).toEqual(['Namespace:namespace-default-deny']);
    expect(about(undefined, 'closed')).toEqual([]);
    expect(about('open', 'legacy')).toEqual(
      expect.arrayContaining(['Deployment:dedicated-service-account', 'Deployment:namespace-default-deny']),
    );
    expect(about('open', 'everyone')).toEqual(['NetworkPolicy:no-allow-all-policy']);
    // The Deployment's pods are judged through it, as admission judged them; what is reported
    // about them is that they run without the proxy (no mutating webhook made them).
    expect(findings.some((f) => f.resource.kind === 'ReplicaSet')).toBe(false);
    const pods = findings.filter((f) => f.resource.kind === 'Pod');
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((f) => f.category === 'pod-not-meshed' && f.rule === 'mtls-sidecar')).toBe(true);
  });

  it('reviews a namespace in audit mode as if enforced: what enforcing creates, which workloads it refuses', async () => {
    await rest.request('POST', '/api/v1/namespaces', {
      body: { metadata: { name: 'rollout', labels: { 'ztgate.dev/mode': 'audit' } } },
    });
    for (const [name, serviceAccountName] of [
      ['ready', 'ready'],
      ['unready', undefined],
    ] as const) {
      await rest.request('POST', '/apis/apps/v1/namespaces/rollout/deployments', {
        body: {
          metadata: { name },
          spec: {
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { serviceAccountName, containers: [{ name: 'app', image: `${name}:1` }] },
            },
          },
        },
      });
    }
    await rest.request('POST', '/api/v1/namespaces/rollout/serviceaccounts', {
      body: { metadata: { name: 'ready' } },
    });
    await rest.request('POST', '/apis/networking.k8s.io/v1/namespaces/rollout/networkpolicies', {
      body: {
        metadata: { name: 'ready-from-front' },
        spec: {
          podSelector: { matchLabels: { app: 'ready' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'front' } } }] }],
        },
      },
    });
    // The review under Istio (the default config, not the suite's builtin one).
    const result = await runCli('audit', ['--kubeconfig', cp.adminKubeconfig, '--output', 'json']);
    const parsed = JSON.parse(result.stdout) as {
      findings: Finding[];
      notEnforced: {
        namespace: string;
        reason: string;
        wouldCreate: { name: string }[];
        wouldRefuse: { name: string }[];
      }[];
    };
    expect(
      parsed.notEnforced.map((review) => [
        review.namespace,
        review.reason,
        review.wouldCreate.map((r) => r.name),
        review.wouldRefuse.map((r) => r.name),
      ]),
    ).toEqual([
      [
        'rollout',
        'label ztgate.dev/mode=audit',
        // Under Istio (the default): the deny with its DNS and mesh allowances, STRICT mTLS, and
        // the enrolment mark on the Namespace itself.
        ['ztgate-default-deny', 'ztgate-allow-dns', 'ztgate-allow-mesh', 'ztgate-strict-mtls', 'rollout'],
        ['unready'],
      ],
    ]);
    // Judged as if enforced: the default deny and enrolment ztgate would create count, the missing identity does not.
    const rules = (name: string) =>
      parsed.findings
        .filter((f) => f.resource.namespace === 'rollout' && f.resource.name === name)
        .map((f) => f.rule);
    expect(rules('ready').filter((rule) => rule !== 'mtls-sidecar')).toEqual([]);
    expect(rules('unready')).toContain('dedicated-service-account');
    expect(rules('unready')).not.toContain('namespace-default-deny');
    const text = await audit('--kubeconfig', cp.adminKubeconfig);
    expect(text.stdout).toMatch(
      /^NOT ENFORCED\s+BECAUSE\s+ENFORCING WOULD CREATE\s+AND REFUSE\nrollout\s+label ztgate.dev\/mode=audit\s+/,
    );
  });

  it('says clearly that --apply needs the PolicyReport CRDs, and exits 2', async () => {
    const result = await audit('--kubeconfig', cp.adminKubeconfig, '--apply', '--output', 'json');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'does not serve PolicyReport and ClusterPolicyReport (wgpolicyk8s.io/v1alpha2)',
    );
  });

  it('writes PolicyReports and the ClusterPolicyReport with --apply, and leaves them alone on a re-run', async () => {
    for (const crd of policyReportCrds())
      await rest.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
    await waitFor(
      async () => {
        const list = await rest.request<{ resources: { name: string }[] }>(
          'GET',
          '/apis/wgpolicyk8s.io/v1alpha2',
        );
        return list.resources.length >= 2;
      },
      15_000,
      () => 'report CRDs not served',
    );
    // The cluster at rest first: the controller-manager has created the Deployments' pods, which the
    // audit reports as running without the proxy (a pod created between two runs is a change).
    const pods = async (ns: string) =>
      (await rest.request<{ items: unknown[] }>('GET', `/api/v1/namespaces/${ns}/pods`)).items.length;
    await waitFor(
      async () => (await pods('open')) >= 1 && (await pods('rollout')) >= 2,
      30_000,
      () => 'the Deployments have no pods',
    );
    const first = await audit('--kubeconfig', cp.adminKubeconfig, '--apply', '--output', 'json');
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/reports applied \(\d+ created, 0 replaced, 0 unchanged\)/);
    const report = await rest.request<{
      summary: { fail: number };
      results: { rule: string; result: string; resources: { kind: string; name: string }[] }[];
    }>('GET', '/apis/wgpolicyk8s.io/v1alpha2/namespaces/open/policyreports/ztgate-audit');
    expect(report.summary.fail).toBeGreaterThan(0);
    expect(report.results.some((r) => r.rule === 'no-allow-all-policy' && r.result === 'fail')).toBe(true);
    // The namespace's own finding is in its report; the cluster report holds cluster-scoped policies (none here).
    const own = report.results.find((r) => r.resources[0]?.kind === 'Namespace');
    expect([own?.resources[0]?.name, own?.result]).toEqual(['open', 'fail']);
    const cluster = await rest.request<{ results?: unknown[] }>(
      'GET',
      '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/ztgate-audit',
    );
    expect(cluster.results ?? []).toEqual([]);
    const second = await audit('--kubeconfig', cp.adminKubeconfig, '--apply', '--output', 'json');
    // Nothing changed in between: nothing is rewritten (timestamps aside, the reports are the same).
    expect(second.stderr).toMatch(/reports applied \(0 created, 0 replaced, \d+ unchanged\)/);
  });
});
