import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlJson, kubectlOk } from './support/kubectl.js';
import {
  allowAllPolicy,
  allowListPolicy,
  calicoPolicyCrd,
  deployment,
  list,
  serviceAccount,
  type Manifest,
} from './support/objects.js';
import { waitFor } from './support/processes.js';
import { BUILTIN_CONFIG_OVERRIDES } from '../support/builtin-config.js';
import { startScenario, type Scenario } from './support/scenario.js';

// What a developer sees when ztgate judges a real API server's requests: ztgate runs outside
// the cluster with its default config under the builtin injector with test images (enforce, default
// deny created by the reconciler); the mesh providers' suite installs the meshes' injectors instead.
const NS = 'shop';
const AUDIT_NS = 'trial';

interface PodList {
  items: {
    metadata: { name: string };
    spec: { containers: { name: string }[]; initContainers?: { name: string }[] };
  }[];
}

describe('ztgate webhooks against kube-apiserver (enforce mode)', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario(BUILTIN_CONFIG_OVERRIDES);
    await s.createNamespace(NS);
    await s.createNamespace(AUDIT_NS, { labels: { 'ztgate.dev/mode': 'audit' } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const apply = (manifest: string) => kubectl(s.user, ['apply', '-f', '-'], manifest);

  it('admits a compliant Deployment, and the Pods the controller manager makes carry the sidecar', async () => {
    const result = await apply(
      list(
        serviceAccount(NS, 'web'),
        allowListPolicy(NS, 'web', 'client'),
        deployment(NS, 'web', { serviceAccount: 'web' }),
      ),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    let pods: PodList = { items: [] };
    await waitFor(
      async () => {
        pods = await kubectlJson<PodList>(s.admin, ['get', 'pods', '-n', NS, '-l', 'app=web']);
        return pods.items.length === 1;
      },
      30_000,
      () => `no Pod for Deployment web: ${JSON.stringify(pods)}`,
    );
    const [created] = pods.items;
    expect(created?.spec.containers.map((c) => c.name).sort()).toEqual(['app', 'ztgate-proxy']);
    expect(created?.spec.initContainers?.map((c) => c.name)).toEqual(['ztgate-init']);
  });

  // The fix is a manifest to add: its kind and name are the data the developer acts on.
  const refusals: [string, () => Manifest[], string, string[]][] = [
    [
      'the default ServiceAccount',
      () => [deployment(NS, 'no-sa', { app: 'web' })],
      'dedicated-service-account',
      ['kind: ServiceAccount', 'name: no-sa'],
    ],
    [
      'no allow-list policy',
      () => [serviceAccount(NS, 'lonely'), deployment(NS, 'lonely', { serviceAccount: 'lonely' })],
      'allow-list-policy',
      ['kind: NetworkPolicy', 'app: lonely'],
    ],
    [
      "another workload's ServiceAccount",
      () => [deployment(NS, 'web-copy', { app: 'web', serviceAccount: 'web' })],
      'dedicated-service-account',
      ['kind: ServiceAccount', 'name: web-copy'],
    ],
    [
      'a NET_ADMIN container that could undo the traffic redirect',
      () => {
        const d = deployment(NS, 'netadmin', { app: 'netadmin', serviceAccount: 'netadmin' });
        const template = (d.spec as { template: { spec: { containers: Manifest[] } } }).template;
        template.spec.containers[0]!.securityContext = { capabilities: { add: ['NET_ADMIN'] } };
        return [serviceAccount(NS, 'netadmin'), allowListPolicy(NS, 'netadmin', 'client'), d];
      },
      'no-net-admin',
      ['spec.template.spec.containers[0].securityContext.capabilities.add', 'Remove NET_ADMIN'],
    ],
  ];
  it.each(refusals)(
    'refuses a Deployment with %s and kubectl prints the rule and the fix',
    async (_name, objects, rule, fix) => {
      const result = await apply(list(...objects()));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('admission webhook "workloads.ztgate.dev" denied the request');
      expect(result.stderr).toContain(`[${rule}]`);
      for (const fragment of fix) expect(result.stderr).toContain(fragment);
      const deployments = objects().filter((o) => o.kind === 'Deployment');
      for (const d of deployments) {
        const name = (d.metadata as { name: string }).name;
        expect((await kubectl(s.admin, ['get', 'deployment', name, '-n', NS])).code).toBe(1);
      }
    },
  );

  it('refuses an allow-all NetworkPolicy', async () => {
    const result = await apply(list(allowAllPolicy(NS, 'web')));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('admission webhook "policies.ztgate.dev" denied the request');
    expect(result.stderr).toContain('[no-allow-all-policy]');
  });

  it('refuses an allow-all Calico policy stored as crd.projectcalico.org (Calico without its API server)', async () => {
    await kubectlOk(s.admin, ['apply', '-f', '-'], list(calicoPolicyCrd()));
    await kubectlOk(s.admin, [
      'wait',
      '--for=condition=Established',
      'crd/networkpolicies.crd.projectcalico.org',
    ]);
    const allowAll = {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default.open', namespace: NS },
      spec: { selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Allow' }] },
    };
    // Even an admin: no policy may allow everything.
    const result = await kubectl(s.admin, ['apply', '-f', '-'], JSON.stringify(allowAll));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('admission webhook "policies.ztgate.dev" denied the request');
    expect(result.stderr).toContain('[no-allow-all-policy]');
  });

  it('admits in an audit-mode namespace and kubectl prints the warnings', async () => {
    const result = await apply(list(deployment(AUDIT_NS, 'legacy')));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Warning: ztgate audit mode');
    expect(result.stderr).toContain('[dedicated-service-account]');
    expect(result.stderr).toContain('[allow-list-policy]');
    expect((await kubectl(s.admin, ['get', 'deployment', 'legacy', '-n', AUDIT_NS])).code).toBe(0);
  });

  it('gives a new namespace ztgate-default-deny within seconds, and refuses its deletion by a non-admin', async () => {
    const started = Date.now();
    await s.createNamespace('fresh');
    expect(Date.now() - started).toBeLessThan(15_000);
    const policy = await kubectlJson<{ spec: unknown }>(s.admin, [
      'get',
      'networkpolicy',
      'ztgate-default-deny',
      '-n',
      'fresh',
    ]);
    expect(policy.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const result = await kubectl(s.user, ['delete', 'networkpolicy', 'ztgate-default-deny', '-n', 'fresh']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[default-deny-protected]');
    expect(
      (await kubectl(s.admin, ['get', 'networkpolicy', 'ztgate-default-deny', '-n', 'fresh'])).code,
    ).toBe(0);
  });

  it('refuses a non-admin labelling a namespace exempt or audit; admins may, and anyone may undo it', async () => {
    await s.createNamespace('labels');
    // Developers get what a namespace-admin role often grants: labelling namespaces.
    await kubectlOk(s.admin, [
      'create',
      'clusterrole',
      'namespace-labeller',
      '--verb=get,patch,update',
      '--resource=namespaces',
    ]);
    await kubectlOk(s.admin, [
      'create',
      'clusterrolebinding',
      'developers-label-namespaces',
      '--clusterrole=namespace-labeller',
      '--group=developers',
    ]);
    const byUser = (label: string) => kubectl(s.user, ['label', 'namespace', 'labels', label, '--overwrite']);
    for (const label of ['ztgate.dev/exempt=true', 'ztgate.dev/mode=audit']) {
      const refused = await byUser(label);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('admission webhook "namespaces.ztgate.dev" denied the request');
      expect(refused.stderr).toContain('[protected-namespace-labels]');
      expect(refused.stderr).toContain('kubectl label namespace labels');
    }
    expect((await byUser('team=shop')).code).toBe(0);
    await kubectlOk(s.admin, ['label', 'namespace', 'labels', 'ztgate.dev/mode=audit']);
    expect((await byUser('ztgate.dev/mode-')).code).toBe(0);
    const labels = await kubectlJson<{ metadata: { labels?: Record<string, string> } }>(s.admin, [
      'get',
      'namespace',
      'labels',
    ]);
    expect(labels.metadata.labels?.['ztgate.dev/mode']).toBeUndefined();
    expect(labels.metadata.labels?.['ztgate.dev/exempt']).toBeUndefined();
  });

  it('judges a server-side dry run and leaves no trace', async () => {
    const refused = await kubectl(
      s.user,
      ['apply', '--dry-run=server', '-f', '-'],
      list(deployment(NS, 'dry-bad', { app: 'web' })),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[dedicated-service-account]');
    // The ServiceAccount and the policy exist for real: a dry run persists nothing for later objects to see.
    await kubectlOk(
      s.user,
      ['apply', '-f', '-'],
      list(serviceAccount(NS, 'dry'), allowListPolicy(NS, 'dry', 'client')),
    );
    const admitted = await kubectl(
      s.user,
      ['apply', '--dry-run=server', '-f', '-'],
      list(deployment(NS, 'dry', { serviceAccount: 'dry' })),
    );
    expect(admitted.stderr).toBe('');
    expect(admitted.stdout).toContain('deployment.apps/dry created (server dry run)');
    expect((await kubectl(s.admin, ['get', 'deployment/dry', '-n', NS])).code).toBe(1);
    const pods = await kubectlJson<PodList>(s.admin, ['get', 'pods', '-n', NS, '-l', 'app=dry']);
    expect(pods.items).toEqual([]);
    await kubectlOk(s.admin, ['get', 'deployment', 'web', '-n', NS]);
  });
});
