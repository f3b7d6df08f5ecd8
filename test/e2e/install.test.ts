import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { kubectl, kubectlOk, type KubectlTarget } from './support/kubectl.js';
import { MANIFESTS_DIR, type ManifestObject } from './support/manifests.js';
import { istioSecurityCrds, list, policyReportCrds } from './support/objects.js';
import { writeKubeconfig } from './support/pki.js';
import { waitFor } from './support/processes.js';
import { createServingCert, runZtgate, startZtgate } from './support/ztgate.js';

/** The namespace, ServiceAccount and RBAC objects of the base. */
function isIdentity(object: ManifestObject): boolean {
  return ['Namespace', 'ServiceAccount'].includes(object.kind) || object.kind.includes('Role');
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
    await kubectlOk(admin, ['apply', '-f', '-'], list(...policyReportCrds()));
    // Istio's PeerAuthentication and DestinationRule: the shipped config runs under Istio, creates
    // a STRICT PeerAuthentication and watches both (can-i resolves them through discovery too).
    await kubectlOk(admin, ['apply', '-f', '-'], list(...istioSecurityCrds()));
    const base = mkdtempSync(join(cp.dir, 'manifests-'));
    cpSync(MANIFESTS_DIR, base, { recursive: true, filter: (src) => !src.includes(`${MANIFESTS_DIR}/demo`) });
    await runZtgate(['certs', '--out', join(base, 'certs'), '--manifests', base]);
    const yaml = await kubectlOk(admin, ['kustomize', base]);
    rendered = parseAllDocuments(yaml).flatMap((doc) =>
      Array.isArray(doc) ? [] : [doc.toJS() as ManifestObject],
    );
    // Applied for real: the RBAC and the identity every later test asks about or serves as.
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rendered.filter(isIdentity) }),
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
      'PriorityClass/ztgate-webhook',
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
    expect(bundles).toHaveLength(4);
    for (const bundle of bundles) {
      expect(Buffer.from(bundle, 'base64').toString('utf8')).toContain('-----BEGIN CERTIFICATE-----');
    }
    // The committed base keeps its placeholders.
    expect(readFileSync(join(MANIFESTS_DIR, 'webhooks.yaml'), 'utf8')).toContain("caBundle: ''");
  });

  it('every other object passes the API server (server-side dry run)', async () => {
    // policy/v1 PodDisruptionBudget needs Kubernetes 1.21; this API server is 1.20.
    const rest = rendered.filter((o) => o.kind !== 'PodDisruptionBudget' && !isIdentity(o));
    const result = await kubectl(
      admin,
      ['apply', '--dry-run=server', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rest }),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toHaveLength(rest.length);
  });

  it("admits the Deployment's pod template as a Pod in ztgate-system, at ztgate's own priority", async () => {
    const priority = rendered.filter((o) => o.kind === 'PriorityClass');
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: priority }),
    );
    const deployment = rendered.find((o) => o.kind === 'Deployment') as ManifestObject & {
      spec: { template: { metadata: object; spec: object } };
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...deployment.spec.template.metadata, name: 'ztgate-template', namespace: 'ztgate-system' },
      spec: deployment.spec.template.spec,
    };
    const admitted = await kubectlOk(
      admin,
      ['create', '--dry-run=server', '-o', 'jsonpath={.spec.priorityClassName}={.spec.priority}', '-f', '-'],
      JSON.stringify(pod),
    );
    expect(admitted).toBe('ztgate-webhook=1000000000');
    // What the README says of the alternative: 1.20 admits system-cluster-critical outside
    // kube-system unless a ResourceQuota fences it (none here); ztgate ships its own class anyway.
    const system = await kubectlOk(
      admin,
      ['create', '--dry-run=server', '-o', 'jsonpath={.spec.priority}', '-f', '-'],
      JSON.stringify({ ...pod, spec: { ...pod.spec, priorityClassName: 'system-cluster-critical' } }),
    );
    expect(system).toBe('2000000000');
  });

  let saKubeconfig: string | undefined;
  /** A kubeconfig with the ztgate ServiceAccount's token, as the Pod would mount it. */
  async function serviceAccountKubeconfig(): Promise<string> {
    if (saKubeconfig !== undefined) return saKubeconfig;
    // The ServiceAccount's token, as the Pod would mount it (1.20 keeps it in a Secret).
    let secret = '';
    await waitFor(
      async () => {
        secret = await kubectlOk(admin, [
          'get',
          'sa',
          'ztgate',
          '-n',
          'ztgate-system',
          '-o',
          'jsonpath={.secrets[0].name}',
        ]);
        return secret !== '';
      },
      20_000,
      () => 'no token Secret for the ztgate ServiceAccount',
    );
    const token = await kubectlOk(admin, [
      'get',
      'secret',
      secret,
      '-n',
      'ztgate-system',
      '-o',
      'jsonpath={.data.token}',
    ]);
    saKubeconfig = writeKubeconfig(
      join(cp.dir, 'ztgate-sa.kubeconfig'),
      cp.server,
      cp.caFile,
      'ztgate',
      Buffer.from(token, 'base64').toString('utf8'),
    );
    return saKubeconfig;
  }

  const shippedConfig = (): Record<string, unknown> => {
    const configMap = rendered.find((o) => o.kind === 'ConfigMap') as ManifestObject & {
      data: Record<string, string>;
    };
    return parse(configMap.data['config.yaml'] ?? '') as Record<string, unknown>;
  };
  const names = async (kind: string, ns: string): Promise<string[]> =>
    (await kubectlOk(admin, ['get', kind, '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}']))
      .split(' ')
      .filter((name) => name !== '')
      .sort();

  it('serves with only the RBAC and the config of the base: ready, enrolling and reconciling new namespaces, rolling back', async () => {
    const ztgate = await startZtgate(
      cp,
      shippedConfig(),
      await createServingCert(mkdtempSync(join(cp.dir, 'sa-certs-'))),
      { kubeconfig: await serviceAccountKubeconfig() },
    );
    try {
      await kubectlOk(admin, ['create', 'namespace', 'installed']);
      // Under Istio (the shipped config): the enrolment mark, the default deny with its DNS and
      // mesh companions, and the namespace's STRICT PeerAuthentication.
      await waitFor(
        async () =>
          (await names('networkpolicy', 'installed')).join() ===
            'ztgate-allow-dns,ztgate-allow-mesh,ztgate-default-deny' &&
          (await names('peerauthentications.security.istio.io', 'installed')).join() ===
            'ztgate-strict-mtls' &&
          (
            await kubectlOk(admin, ['get', 'namespace', 'installed', '-o', 'jsonpath={.metadata.labels}'])
          ).includes('istio-injection'),
        15_000,
        () => 'the controllers did not enrol the namespace and create its policies with the base RBAC',
      );
      // Rolling back: in audit mode ztgate removes what it created (the deletes the RBAC grants,
      // by name); the enrolment mark stays.
      await kubectlOk(admin, ['label', 'namespace', 'installed', 'ztgate.dev/mode=audit']);
      await waitFor(
        async () =>
          (await names('networkpolicy', 'installed')).length === 0 &&
          (await names('peerauthentications.security.istio.io', 'installed')).length === 0,
        15_000,
        () => 'the controllers did not remove their objects from an audit namespace with the base RBAC',
      );
      const lease = await kubectl(admin, ['get', 'leases', '-n', 'ztgate-system', '-o', 'name']);
      expect(lease.stdout.trim()).not.toBe('');
      // Every watch (the injector's registrations by name among them) and every write was allowed.
      const forbidden = ztgate.logLines().filter((line) => JSON.stringify(line).includes('forbidden'));
      expect(forbidden).toEqual([]);
    } finally {
      await ztgate.stop();
    }
  });

  it('copies the trust bundle with the base RBAC under the builtin injector', async () => {
    const config = {
      ...shippedConfig(),
      mesh: { provider: 'builtin' },
      sidecar: { image: 'registry.example/proxy:1.0', initImage: 'registry.example/proxy-init:1.0' },
    };
    const ztgate = await startZtgate(
      cp,
      config,
      await createServingCert(mkdtempSync(join(cp.dir, 'sa-certs-'))),
      { kubeconfig: await serviceAccountKubeconfig() },
    );
    try {
      // The admin's (or trust-manager's) trust bundle; the leader copies it into every namespace.
      await kubectlOk(admin, [
        'create',
        'configmap',
        'ztgate-trust-bundle',
        '-n',
        'ztgate-system',
        '--from-literal=ca.crt=bundle',
      ]);
      await kubectlOk(admin, ['create', 'namespace', 'builtin']);
      await waitFor(
        async () =>
          (await kubectl(admin, ['get', 'configmap', 'ztgate-trust-bundle', '-n', 'builtin'])).code === 0,
        15_000,
        () => 'the reconciler did not copy the trust bundle with the base RBAC',
      );
      const forbidden = ztgate.logLines().filter((line) => JSON.stringify(line).includes('forbidden'));
      expect(forbidden).toEqual([]);
    } finally {
      await ztgate.stop();
    }
  });

  const sa = 'system:serviceaccount:ztgate-system:ztgate';
  const bundle = 'ztgate-trust-bundle';
  // The real authorizer's answers for the README's RBAC table (test/rbac.test.ts ties the table
  // to manifests/rbac.yaml). `verb resource/name` asks about one named object.
  const canI: [string, string[], boolean][] = [
    ['watch namespaces', ['watch', 'namespaces'], true],
    ['list serviceaccounts everywhere', ['list', 'serviceaccounts', '--all-namespaces'], true],
    ['watch deployments', ['watch', 'deployments.apps', '--all-namespaces'], true],
    ['watch networkpolicies everywhere', ['watch', 'networkpolicies.networking.k8s.io', '-A'], true],
    ['create networkpolicies', ['create', 'networkpolicies.networking.k8s.io', '-n', 'default'], true],
    [
      'update its default deny',
      ['update', 'networkpolicies.networking.k8s.io/ztgate-default-deny', '-n', 'default'],
      true,
    ],
    [
      'update its DNS allowance',
      ['update', 'networkpolicies.networking.k8s.io/ztgate-allow-dns', '-n', 'default'],
      true,
    ],
    [
      "update a team's networkpolicy",
      ['update', 'networkpolicies.networking.k8s.io/allow-web', '-n', 'default'],
      false,
    ],
    ['update any networkpolicy', ['update', 'networkpolicies.networking.k8s.io', '-n', 'default'], false],
    [
      'delete its default deny (audit rollback)',
      ['delete', 'networkpolicies.networking.k8s.io/ztgate-default-deny', '-n', 'default'],
      true,
    ],
    [
      "delete a team's networkpolicy",
      ['delete', 'networkpolicies.networking.k8s.io/allow-web', '-n', 'default'],
      false,
    ],
    ['delete any networkpolicy', ['delete', 'networkpolicies.networking.k8s.io', '-n', 'default'], false],
    ['get the trust bundle', ['get', `configmaps/${bundle}`, '-n', 'ztgate-system'], true],
    ['update a trust bundle copy', ['update', `configmaps/${bundle}`, '-n', 'default'], true],
    ['watch trust bundles everywhere', ['watch', `configmaps/${bundle}`, '-A'], true],
    ['watch every configmap', ['watch', 'configmaps', '--all-namespaces'], false],
    ['list configmaps in kube-system', ['list', 'configmaps', '-n', 'kube-system'], false],
    ['get kube-system/coredns', ['get', 'configmaps/coredns', '-n', 'kube-system'], false],
    ['update kube-system/coredns', ['update', 'configmaps/coredns', '-n', 'kube-system'], false],
    ['update kube-system/kube-proxy', ['update', 'configmaps/kube-proxy', '-n', 'kube-system'], false],
    ['update kube-system/aws-auth', ['update', 'configmaps/aws-auth', '-n', 'kube-system'], false],
    ['get its own config', ['get', 'configmaps/ztgate-config', '-n', 'ztgate-system'], false],
    // What RBAC cannot restrict: a POST names no object the authorizer sees.
    ['create configmaps (name not restrictable)', ['create', 'configmaps', '-n', 'default'], true],
    ['delete configmaps', ['delete', `configmaps/${bundle}`, '-n', 'default'], false],
    ['patch configmaps', ['patch', `configmaps/${bundle}`, '-n', 'default'], false],
    ['update its lease', ['update', 'leases.coordination.k8s.io/ztgate-leader', '-n', 'ztgate-system'], true],
    [
      'update another lease in ztgate-system',
      ['update', 'leases.coordination.k8s.io/other', '-n', 'ztgate-system'],
      false,
    ],
    ['create leases in ztgate-system', ['create', 'leases.coordination.k8s.io', '-n', 'ztgate-system'], true],
    ['update leases in kube-system', ['update', 'leases.coordination.k8s.io', '-n', 'kube-system'], false],
    ['create policyreports', ['create', 'policyreports.wgpolicyk8s.io', '-n', 'default'], true],
    ['update its clusterpolicyreport', ['update', 'clusterpolicyreports.wgpolicyk8s.io/ztgate-audit'], true],
    [
      'update another policyreport',
      ['update', 'policyreports.wgpolicyk8s.io/kyverno-polr', '-n', 'default'],
      false,
    ],
    [
      'delete its policyreport (an exempted namespace)',
      ['delete', 'policyreports.wgpolicyk8s.io/ztgate-audit', '-n', 'default'],
      true,
    ],
    [
      'delete another policyreport',
      ['delete', 'policyreports.wgpolicyk8s.io/kyverno-polr', '-n', 'default'],
      false,
    ],
    ['delete any policyreport', ['delete', 'policyreports.wgpolicyk8s.io', '-n', 'default'], false],
    [
      'watch its policyreports everywhere',
      ['watch', 'policyreports.wgpolicyk8s.io/ztgate-audit', '-A'],
      true,
    ],
    ['watch every policyreport', ['watch', 'policyreports.wgpolicyk8s.io', '-A'], false],
    ['create events (name not restrictable)', ['create', 'events', '-n', 'default'], true],
    ['list events', ['list', 'events', '-n', 'default'], false],
    ['patch events', ['patch', 'events', '-n', 'default'], false],
    ['get secrets', ['get', 'secrets', '-n', 'ztgate-system'], false],
    ['list secrets everywhere', ['list', 'secrets', '--all-namespaces'], false],
    ['create pods', ['create', 'pods', '-n', 'default'], false],
    ['patch deployments', ['patch', 'deployments.apps', '-n', 'default'], false],
    ['enrol namespaces (update)', ['update', 'namespaces'], true],
    ['patch namespaces', ['patch', 'namespaces'], false],
    ['delete namespaces', ['delete', 'namespaces'], false],
    [
      'update its mesh allowance',
      ['update', 'networkpolicies.networking.k8s.io/ztgate-allow-mesh', '-n', 'default'],
      true,
    ],
    ['watch peerauthentications', ['watch', 'peerauthentications.security.istio.io', '-A'], true],
    [
      'create peerauthentications',
      ['create', 'peerauthentications.security.istio.io', '-n', 'default'],
      true,
    ],
    [
      'update its own peerauthentication',
      ['update', 'peerauthentications.security.istio.io/ztgate-strict-mtls', '-n', 'default'],
      true,
    ],
    [
      'delete its own peerauthentication (audit rollback)',
      ['delete', 'peerauthentications.security.istio.io/ztgate-strict-mtls', '-n', 'default'],
      true,
    ],
    [
      "update someone else's peerauthentication",
      ['update', 'peerauthentications.security.istio.io/permissive', '-n', 'default'],
      false,
    ],
    [
      "delete someone else's peerauthentication",
      ['delete', 'peerauthentications.security.istio.io/permissive', '-n', 'default'],
      false,
    ],
    ['watch destinationrules', ['watch', 'destinationrules.networking.istio.io', '-A'], true],
    ['update destinationrules', ['update', 'destinationrules.networking.istio.io', '-n', 'default'], false],
    [
      "read Istio's injector registration",
      ['get', 'mutatingwebhookconfigurations.admissionregistration.k8s.io/istio-sidecar-injector'],
      true,
    ],
    [
      "read Linkerd's injector registration",
      [
        'watch',
        'mutatingwebhookconfigurations.admissionregistration.k8s.io/linkerd-proxy-injector-webhook-config',
      ],
      true,
    ],
    [
      'read another webhook registration',
      ['get', 'mutatingwebhookconfigurations.admissionregistration.k8s.io/some-other'],
      false,
    ],
    [
      'update webhook configurations',
      ['update', 'validatingwebhookconfigurations.admissionregistration.k8s.io'],
      false,
    ],
    ['escalate its own role', ['escalate', 'clusterroles.rbac.authorization.k8s.io'], false],
  ];
  it.each(canI.map(([name, args, expected]) => [name, expected ? 'yes' : 'no', args] as const))(
    'can the ztgate ServiceAccount %s? %s',
    async (_name, answer, args) => {
      const result = await kubectl(admin, ['auth', 'can-i', ...args, `--as=${sa}`]);
      expect(result.stdout.trim()).toBe(answer);
    },
  );

  // can-i answers for a name; these send the requests ztgate's watches send, as its ServiceAccount.
  describe('the ServiceAccount against real requests', () => {
    let asZtgate: KubectlTarget;
    beforeAll(async () => {
      asZtgate = { kubectl: cp.kubectl, kubeconfig: await serviceAccountKubeconfig() };
      await kubectl(admin, [
        'create',
        'configmap',
        'coredns',
        '-n',
        'kube-system',
        '--from-literal=Corefile=.:53',
      ]);
    });
    const byName = `fieldSelector=metadata.name%3D${bundle}`;
    const allowed: [string, string][] = [
      ['lists the trust bundles of every namespace by name', `/api/v1/configmaps?${byName}`],
      [
        'watches them by name (what the copies watch sends)',
        `/api/v1/configmaps?${byName}&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dztgate&watch=true&timeoutSeconds=1`,
      ],
      [
        'watches the source by name in ztgate-system',
        `/api/v1/namespaces/ztgate-system/configmaps?${byName}&watch=true&timeoutSeconds=1`,
      ],
      [
        "watches Istio's injector registration by name (the mesh injector check)",
        '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?fieldSelector=metadata.name%3Distio-sidecar-injector&watch=true&timeoutSeconds=1',
      ],
    ];
    it.each(allowed)('%s', async (_name, path) => {
      const result = await kubectl(asZtgate, ['get', '--raw', path]);
      expect([result.code, result.stderr]).toEqual([0, '']);
    });

    const refused: [string, string[]][] = [
      ['lists every ConfigMap', ['get', '--raw', '/api/v1/configmaps']],
      [
        'lists kube-system ConfigMaps by label',
        ['get', '--raw', '/api/v1/namespaces/kube-system/configmaps?labelSelector=a%3Db'],
      ],
      [
        'lists another name by field selector',
        ['get', '--raw', '/api/v1/configmaps?fieldSelector=metadata.name%3Dcoredns'],
      ],
      ['reads kube-system/coredns', ['get', 'configmap', 'coredns', '-n', 'kube-system', '-o', 'yaml']],
      ['reads a Secret', ['get', 'secrets', '-n', 'ztgate-system']],
      [
        'lists every MutatingWebhookConfiguration',
        ['get', '--raw', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations'],
      ],
    ];
    it.each(refused)('is refused when it %s', async (_name, args) => {
      const result = await kubectl(asZtgate, args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/forbidden/i);
    });

    it('cannot overwrite kube-system/coredns, nor create one over it', async () => {
      const coredns = await kubectlOk(admin, [
        'get',
        'configmap',
        'coredns',
        '-n',
        'kube-system',
        '-o',
        'json',
      ]);
      const edited = JSON.parse(coredns) as { data: Record<string, string> };
      edited.data['Corefile'] = '.:53 { forward . 203.0.113.1 }';
      const replace = await kubectl(asZtgate, ['replace', '-f', '-'], JSON.stringify(edited));
      expect(replace.stderr).toMatch(/forbidden/i);
      // create is the one write RBAC cannot name: an existing object is still not replaced.
      const fresh = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'coredns', namespace: 'kube-system' },
        data: edited.data,
      };
      const create = await kubectl(asZtgate, ['create', '-f', '-'], JSON.stringify(fresh));
      expect(create.stderr).toMatch(/AlreadyExists|already exists/);
      const after = await kubectlOk(admin, [
        'get',
        'configmap',
        'coredns',
        '-n',
        'kube-system',
        '-o',
        'jsonpath={.data.Corefile}',
      ]);
      expect(after).toBe('.:53');
    });
  });
});
