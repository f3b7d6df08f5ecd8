import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { kubectl, kubectlOk, type KubectlTarget } from './support/kubectl.js';
import { MANIFESTS_DIR, type ManifestObject } from './support/manifests.js';
import { runZtgate } from './support/ztgate.js';

function policyReportCrds(): string {
  const crd = (plural: string, kind: string, scope: string) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.wgpolicyk8s.io` },
    spec: {
      group: 'wgpolicyk8s.io',
      scope,
      names: { plural, kind },
      versions: [
        {
          name: 'v1alpha2',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      crd('policyreports', 'PolicyReport', 'Namespaced'),
      crd('clusterpolicyreports', 'ClusterPolicyReport', 'Cluster'),
    ],
  });
}

// The admin's install path, minus the image: `ztgate certs --manifests`, then the kustomize base
// rendered and checked by a real API server, and the RBAC it grants asked of the real authorizer.
describe('install manifests against kube-apiserver', () => {
  let cp: ControlPlane;
  let admin: KubectlTarget;
  let rendered: ManifestObject[];

  beforeAll(async () => {
    cp = await startControlPlane();
    admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
    // kubectl auth can-i resolves resources through discovery: serve the policy report kinds.
    await kubectlOk(admin, ['apply', '-f', '-'], policyReportCrds());
    const base = mkdtempSync(join(cp.dir, 'manifests-'));
    cpSync(MANIFESTS_DIR, base, { recursive: true, filter: (src) => !src.includes(`${MANIFESTS_DIR}/demo`) });
    await runZtgate(['certs', '--out', join(base, 'certs'), '--manifests', base]);
    const yaml = await kubectlOk(admin, ['kustomize', base]);
    rendered = parseAllDocuments(yaml).flatMap((doc) =>
      Array.isArray(doc) ? [] : [doc.toJS() as ManifestObject],
    );
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it('`ztgate certs --manifests` completes the base: the TLS Secret and both caBundles', () => {
    const kinds = rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/ztgate',
      'ClusterRoleBinding/ztgate',
      'ConfigMap/ztgate-config',
      'Deployment/ztgate',
      'MutatingWebhookConfiguration/ztgate',
      'Namespace/ztgate-system',
      'PodDisruptionBudget/ztgate',
      'Role/ztgate-leader-election',
      'RoleBinding/ztgate-leader-election',
      'Secret/ztgate-tls',
      'Service/ztgate',
      'ServiceAccount/ztgate',
      'ValidatingWebhookConfiguration/ztgate',
    ]);
    const bundles = rendered
      .filter((o) => o.kind.endsWith('WebhookConfiguration'))
      .flatMap((o) =>
        (o.webhooks as { clientConfig: { caBundle: string } }[]).map((w) => w.clientConfig.caBundle),
      );
    expect(bundles).toHaveLength(3);
    for (const bundle of bundles) {
      expect(Buffer.from(bundle, 'base64').toString('utf8')).toContain('-----BEGIN CERTIFICATE-----');
    }
    // The committed base keeps its placeholders.
    expect(readFileSync(join(MANIFESTS_DIR, 'webhooks.yaml'), 'utf8')).toContain("caBundle: ''");
  });

  it('every object passes the API server (server-side dry run; RBAC applied for real)', async () => {
    // policy/v1 PodDisruptionBudget needs Kubernetes 1.21; this API server is 1.20.
    const supported = rendered.filter((o) => o.kind !== 'PodDisruptionBudget');
    const namespace = supported.filter((o) => o.kind === 'Namespace');
    const rbac = supported.filter((o) => o.kind.includes('Role'));
    const rest = supported.filter((o) => !namespace.includes(o) && !rbac.includes(o));
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...namespace, ...rbac] }),
    );
    const result = await kubectl(
      admin,
      ['apply', '--dry-run=server', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rest }),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toHaveLength(rest.length);
  });

  const sa = 'system:serviceaccount:ztgate-system:ztgate';
  const canI: [string, string[], boolean][] = [
    ['watch namespaces', ['watch', 'namespaces'], true],
    ['list serviceaccounts everywhere', ['list', 'serviceaccounts', '--all-namespaces'], true],
    ['watch deployments', ['watch', 'deployments.apps', '--all-namespaces'], true],
    ['create networkpolicies', ['create', 'networkpolicies.networking.k8s.io', '-n', 'default'], true],
    ['update networkpolicies', ['update', 'networkpolicies.networking.k8s.io', '-n', 'default'], true],
    ['delete networkpolicies', ['delete', 'networkpolicies.networking.k8s.io', '-n', 'default'], false],
    ['update leases in ztgate-system', ['update', 'leases.coordination.k8s.io', '-n', 'ztgate-system'], true],
    ['update leases in default', ['update', 'leases.coordination.k8s.io', '-n', 'default'], false],
    ['create policyreports', ['create', 'policyreports.wgpolicyk8s.io', '-n', 'default'], true],
    ['update clusterpolicyreports', ['update', 'clusterpolicyreports.wgpolicyk8s.io'], true],
    ['delete policyreports', ['delete', 'policyreports.wgpolicyk8s.io', '-n', 'default'], false],
    ['get secrets', ['get', 'secrets', '-n', 'ztgate-system'], false],
    ['create pods', ['create', 'pods', '-n', 'default'], false],
    ['patch deployments', ['patch', 'deployments.apps', '-n', 'default'], false],
    [
      'update webhook configurations',
      ['update', 'validatingwebhookconfigurations.admissionregistration.k8s.io'],
      false,
    ],
  ];
  it.each(canI)('the ztgate ServiceAccount may %s: %s', async (_name, args, expected) => {
    const result = await kubectl(admin, ['auth', 'can-i', ...args, `--as=${sa}`]);
    expect(result.stdout.trim()).toBe(expected ? 'yes' : 'no');
  });
});
