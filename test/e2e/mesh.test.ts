import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { buildMeshControlPlanePolicy } from '../../src/policy/desired/index.js';
import { runCli } from '../cli/run-cli.js';
import {
  istioInjectorWebhooks,
  linkerdInjectorWebhooks,
  ztunnelDaemonSet,
} from '../support/mesh-webhooks.js';
import { kubectl, kubectlJson, kubectlOk } from './support/kubectl.js';
import { startMeshInjector, type MeshInjector } from './support/mesh-injector.js';
import {
  allowListPolicy,
  istioSecurityCrds,
  list,
  policyReportCrds,
  serviceAccount,
  type Manifest,
} from './support/objects.js';
import { httpsGet, waitFor } from './support/processes.js';
import { startScenario, type Scenario } from './support/scenario.js';
import { labelExemptNamespaces } from './support/ztgate.js';

// ztgate with the meshes' real injector registrations through kube-apiserver 1.20: Istio's
// istio-sidecar-injector and Linkerd's linkerd-proxy-injector-webhook-config as their charts
// install them, pointed at a stand-in injector (support/mesh-injector.ts) that returns patches of
// the shape the real ones produce. No kubelet: pods are stored, never run, and the ReplicaSet
// controller's FailedCreate events show what admission refused. One control plane; ztgate is
// restarted with each provider's config.

const ISTIO = {}; // the defaults: Istio sidecars, STRICT PeerAuthentications
const LINKERD = { mesh: { provider: 'linkerd' } };
const AMBIENT = { mesh: { provider: 'istio-ambient' } };

interface PodList {
  items: {
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: {
      containers: { name: string; env?: { name: string; value?: string }[] }[];
      initContainers?: { name: string }[];
    };
  }[];
}
interface EventList {
  items: {
    reason: string;
    message: string;
    lastTimestamp?: string;
    involvedObject: { kind: string; name: string };
  }[];
}
interface NamespaceObject {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** A Deployment of one app container, with its own ServiceAccount, labels app=<name>. */
function deployment(
  namespace: string,
  name: string,
  pod: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    containers?: Manifest[];
  } = {},
): Manifest {
  const labels = { app: name, ...pod.labels };
  const app = { name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels, ...(pod.annotations === undefined ? {} : { annotations: pod.annotations }) },
        spec: { serviceAccountName: name, containers: pod.containers ?? [app] },
      },
    },
  };
}

/** A workload as a developer ships it: its ServiceAccount, its allow-list and the Deployment. */
const workload = (namespace: string, name: string, pod: Parameters<typeof deployment>[2] = {}): string =>
  list(
    serviceAccount(namespace, name),
    allowListPolicy(namespace, name, 'client'),
    deployment(namespace, name, pod),
  );

const asUid = (uid: number): Manifest[] => [
  { name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }], securityContext: { runAsUser: uid } },
];

describe('ztgate with the meshes through kube-apiserver', () => {
  let s: Scenario;
  let injector: MeshInjector;
  let ca: string;

  beforeAll(async () => {
    s = await startScenario(ISTIO);
    ca = readFileSync(s.cert.caFile, 'utf8');
    // The meshes' control planes run outside ztgate's judgement (README: exempt them).
    await labelExemptNamespaces(s.cp, ['istio-system', 'linkerd']);
    await kubectlOk(s.admin, ['apply', '-f', '-'], list(...istioSecurityCrds(), ...policyReportCrds()));
    // Developers may relabel namespaces and write Istio's security objects: ztgate, not RBAC,
    // keeps the mesh's mark and STRICT mTLS.
    await kubectlOk(s.admin, ['apply', '-f', '-'], list(...developerGrants(s.cp.user.group)));
    injector = await startMeshInjector(s.cert, {
      server: s.cp.server,
      caFile: s.cp.caFile,
      token: s.cp.adminToken,
    });
  });
  afterAll(async () => {
    await injector?.stop();
    await s?.stop();
  });

  const metrics = async (): Promise<string> => (await httpsGet(`${s.ztgate?.url}/metrics`, ca)).body;
  const waitForMetric = (line: string) =>
    waitFor(
      async () => (await metrics()).split('\n').includes(line),
      20_000,
      () => `no "${line}" on /metrics`,
    );
  const namespace = (name: string) => kubectlJson<NamespaceObject>(s.admin, ['get', 'namespace', name]);
  const podsOf = async (ns: string, app: string) =>
    (await kubectlJson<PodList>(s.admin, ['get', 'pods', '-n', ns, '-l', `app=${app}`])).items;
  const waitForPod = async (ns: string, app: string) => {
    let refusals = new Map<string, string>();
    await waitFor(
      async () => {
        refusals = await failedCreates(ns, [app]);
        return (await podsOf(ns, app)).length === 1;
      },
      30_000,
      () => `no Pod for Deployment ${ns}/${app}: ${refusals.get(app) ?? 'no FailedCreate'}`,
    );
    const [pod] = await podsOf(ns, app);
    return pod!;
  };
  const exists = async (kind: string, ns: string, name: string) =>
    (await kubectl(s.admin, ['get', kind, name, '-n', ns])).code === 0;
  const waitForEnforcement = (ns: string, objects: [string, string][]) =>
    waitFor(
      async () => (await Promise.all(objects.map(([kind, name]) => exists(kind, ns, name)))).every(Boolean),
      20_000,
      () => `ztgate did not create ${objects.map(([kind, name]) => `${kind}/${name}`).join(', ')} in ${ns}`,
    );
  /** Each ReplicaSet's latest FailedCreate message since `since` (ms), by the Deployment it belongs to. */
  const failedCreates = async (
    ns: string,
    deployments: readonly string[],
    since = 0,
  ): Promise<Map<string, string>> => {
    const events = await kubectlJson<EventList>(s.admin, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'reason=FailedCreate',
    ]);
    const found = new Map<string, { message: string; at: number }>();
    for (const event of events.items) {
      const owner = deployments.find((name) => event.involvedObject.name.startsWith(`${name}-`));
      // Event times have a one-second grain.
      const at = Date.parse(event.lastTimestamp ?? '') || 0;
      if (event.involvedObject.kind !== 'ReplicaSet' || owner === undefined || at < since - 1000) continue;
      if ((found.get(owner)?.at ?? -1) <= at) found.set(owner, { message: event.message, at });
    }
    return new Map([...found].map(([owner, { message }]) => [owner, message]));
  };
  /**
   * Workloads admitted while `ns` was in audit mode (pods created, warnings only), then the
   * namespace enforced and the pods deleted: each ReplicaSet's new pod is judged, and refused.
   */
  const refusedOnceEnforced = async (
    ns: string,
    cases: readonly [string, Parameters<typeof deployment>[2]][],
    enforcing: [string, string][],
  ): Promise<Map<string, string>> => {
    await s.createNamespace(ns, { labels: { 'ztgate.dev/mode': 'audit' } });
    for (const [name, pod] of cases) {
      const result = await kubectl(s.user, ['apply', '-f', '-'], workload(ns, name, pod));
      expect(result.code, result.stderr).toBe(0);
    }
    for (const [name] of cases) await waitForPod(ns, name);
    await kubectlOk(s.admin, ['label', 'namespace', ns, 'ztgate.dev/mode-']);
    await waitForEnforcement(ns, enforcing);
    await kubectlOk(s.admin, ['delete', 'pods', '--all', '-n', ns, '--wait=false']);
    const names = cases.map(([name]) => name).filter((name) => name !== 'good');
    let found = new Map<string, string>();
    await waitFor(
      async () => (found = await failedCreates(ns, names)).size === names.length,
      30_000,
      () => `FailedCreate for ${[...found.keys()].join(', ')} of ${names.join(', ')} in ${ns}`,
    );
    return found;
  };

  describe('Istio (sidecars)', () => {
    it("reports a missing injector: the leader's warning, ztgate_mesh_injector_present 0, a finding in ztgate audit", async () => {
      await waitForMetric('ztgate_mesh_injector_present{provider="istio"} 0');
      const warning =
        'the istio injector is not installed (no MutatingWebhookConfiguration istio-sidecar-injector';
      await waitFor(
        async () => s.ztgate?.logLines().some((line) => String(line['msg']).startsWith(warning)) === true,
        10_000,
        () => `no warning "${warning}…" in the log`,
      );
      const audit = await runCli('audit', ['--kubeconfig', s.cp.adminKubeconfig, '-o', 'json']);
      const findings = (JSON.parse(audit.stdout) as { findings: { category: string; resource: object }[] })
        .findings;
      expect(findings.filter((finding) => finding.category === 'mesh-injector-missing')).toEqual([
        expect.objectContaining({
          resource: {
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'MutatingWebhookConfiguration',
            name: 'istio-sidecar-injector',
          },
        }),
      ]);
      // Installing Istio's injector clears it within a second: ztgate watches the registration by name.
      const webhooks = istioInjectorWebhooks('', {
        url: `${injector.url}/inject`,
        caBundle: injector.caBundle,
      });
      await kubectlOk(s.admin, ['apply', '-f', '-'], JSON.stringify(webhooks));
      await waitForMetric('ztgate_mesh_injector_present{provider="istio"} 1');
    });

    it('meshes the pods of a Deployment applied into a fresh namespace, with nobody labelling anything', async () => {
      await s.createNamespace('shop');
      expect((await namespace('shop')).metadata.labels?.['istio-injection']).toBe('enabled');
      await waitForEnforcement('shop', [
        ['networkpolicy', 'ztgate-allow-mesh'],
        ['peerauthentication', 'ztgate-strict-mtls'],
      ]);
      const result = await kubectl(s.user, ['apply', '-f', '-'], workload('shop', 'web'));
      expect(result.stderr).toBe('');
      const pod = await waitForPod('shop', 'web');
      expect(pod.spec.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
      expect(pod.spec.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
      expect(pod.metadata.annotations?.['sidecar.istio.io/status']).toContain('"containers":["istio-proxy"]');
      expect(injector.calls.istio).toBeGreaterThan(0);
    });

    it('keeps the mesh working under the default deny and requires STRICT mTLS there', async () => {
      const policy = await kubectlJson<{ spec: unknown }>(s.admin, [
        'get',
        'networkpolicy',
        'ztgate-allow-mesh',
        '-n',
        'shop',
      ]);
      // What the core builds (test/controllers/mesh.test.ts pins its content): egress to istiod on 15012.
      expect(policy.spec).toEqual(buildMeshControlPlanePolicy(DEFAULT_CONFIG, 'shop')?.spec);
      const strict = await kubectlJson<{ spec: unknown }>(s.admin, [
        'get',
        'peerauthentications.security.istio.io',
        'ztgate-strict-mtls',
        '-n',
        'shop',
      ]);
      expect(strict.spec).toEqual({ mtls: { mode: 'STRICT' } });
    });

    it('refuses a PERMISSIVE PeerAuthentication', async () => {
      const permissive = {
        apiVersion: 'security.istio.io/v1beta1',
        kind: 'PeerAuthentication',
        metadata: { name: 'web-permissive', namespace: 'shop' },
        spec: { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'PERMISSIVE' } },
      };
      const result = await kubectl(s.user, ['apply', '-f', '-'], JSON.stringify(permissive));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('admission webhook "policies.ztgate.dev" denied the request');
      expect(result.stderr).toContain('PERMISSIVE');
    });

    it("refuses removing or weakening a namespace's enrolment mark, naming mesh-enrolment", async () => {
      for (const args of [['istio-injection-'], ['--overwrite', 'istio-injection=disabled']]) {
        const result = await kubectl(s.user, ['label', 'namespace', 'shop', ...args]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('admission webhook "namespaces.ztgate.dev" denied the request');
        expect(result.stderr).toContain('[mesh-enrolment]');
      }
      expect((await namespace('shop')).metadata.labels?.['istio-injection']).toBe('enabled');
    });

    it('refuses an opt-out at once when a Deployment is applied into an enforced namespace', async () => {
      const result = await kubectl(
        s.user,
        ['apply', '-f', '-'],
        workload('shop', 'sneaky', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('admission webhook "workloads.ztgate.dev" denied the request');
      expect(result.stderr).toContain('[mesh-opt-out]');
    });

    it('refuses the pods of workloads admitted in audit mode once the namespace is enforced: FailedCreate names the rule', async () => {
      const refused = await refusedOnceEnforced(
        'legacy',
        [
          ['good', {}],
          ['optout-label', { labels: { 'sidecar.istio.io/inject': 'false' } }],
          ['optout-annotation', { annotations: { 'sidecar.istio.io/inject': 'false' } }],
          ['bypass', { annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080' } }],
          [
            'fake-proxy',
            {
              containers: [
                { name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] },
                { name: 'istio-proxy', image: 'docker.io/attacker/proxyv2:1.24.0' },
              ],
            },
          ],
          ['uid-1337', { containers: asUid(1337) }],
        ],
        [
          ['networkpolicy', 'ztgate-default-deny'],
          ['peerauthentication', 'ztgate-strict-mtls'],
        ],
      );
      expect((await namespace('legacy')).metadata.labels?.['istio-injection']).toBe('enabled');
      const expected: [string, string | RegExp][] = [
        ['optout-label', '[mesh-opt-out]'],
        ['optout-annotation', '[mesh-opt-out]'],
        ['bypass', '[mesh-opt-out]'],
        ['fake-proxy', '[mtls-sidecar]'],
        // Whichever rule judges it: the app's own runAsUser, the uid istio-iptables exempts.
        ['uid-1337', /\[[a-z-]+\] spec\.containers\[\d+\]\.securityContext\.runAsUser/],
      ];
      for (const [name, rule] of expected) {
        expect(refused.get(name), name).toContain(
          'admission webhook "workloads.ztgate.dev" denied the request',
        );
        if (typeof rule === 'string') expect(refused.get(name), name).toContain(rule);
        else expect(refused.get(name), name).toMatch(rule);
      }
      // The control: the compliant workload's new pod is meshed and admitted.
      const good = await waitForPod('legacy', 'good');
      expect(good.spec.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
    });

    it('refuses the pods of a namespace an admin took out of the mesh, naming mesh-enrolment', async () => {
      // An admin may opt a namespace out; ztgate never overwrites it, and refuses its new pods.
      const since = Date.now();
      await kubectlOk(s.admin, ['label', '--overwrite', 'namespace', 'shop', 'istio-injection=disabled']);
      await kubectlOk(s.admin, ['delete', 'pods', '--all', '-n', 'shop', '--wait=false']);
      let refused = new Map<string, string>();
      await waitFor(
        async () => (refused = await failedCreates('shop', ['web'], since)).has('web'),
        30_000,
        () => 'no FailedCreate for web in shop',
      );
      expect(refused.get('web')).toContain('[mesh-enrolment]');
      expect((await namespace('shop')).metadata.labels?.['istio-injection']).toBe('disabled');
    });

    it('reports the namespace out of the mesh in its PolicyReport (the background audit), and clears it once it is back', async () => {
      interface Report {
        results?: { rule: string; result: string; resources: { kind: string; name: string }[] }[];
      }
      let last: string[] = [];
      const enrolment = async (): Promise<string[]> => {
        last = await read();
        return last;
      };
      const read = async (): Promise<string[]> => {
        const found = await kubectl(s.admin, [
          'get',
          'policyreport',
          'ztgate-audit',
          '-n',
          'shop',
          '-o',
          'json',
        ]);
        if (found.code !== 0) return ['(no report)'];
        return ((JSON.parse(found.stdout) as Report).results ?? [])
          .filter((r) => r.rule === 'mesh-enrolment' || r.rule === 'strict-mtls')
          .map((r) => `${r.resources[0]?.kind}/${r.resources[0]?.name} ${r.rule} ${r.result}`);
      };
      // The report CRDs arrived after ztgate started: its discovery finds them within 30 s.
      await waitFor(
        async () => (await enrolment()).includes('Namespace/shop mesh-enrolment fail'),
        45_000,
        () => `shop's report: ${JSON.stringify(last)}`,
      );
      // shop keeps ztgate's STRICT PeerAuthentication: only the enrolment is reported, on the
      // Namespace and on the workloads admission would now refuse for it.
      expect(last.filter((line) => line.startsWith('Namespace/'))).toEqual([
        'Namespace/shop mesh-enrolment fail',
      ]);
      expect(last.filter((line) => !line.includes(' mesh-enrolment '))).toEqual([]);
      await kubectlOk(s.admin, ['label', '--overwrite', 'namespace', 'shop', 'istio-injection=enabled']);
      const since = Date.now();
      await waitFor(
        async () => (await enrolment()).length === 0,
        10_000,
        () => `shop's report after re-enrolment: ${JSON.stringify(last)}`,
      );
      process.stdout.write(
        `background audit: shop's enrolment finding cleared ${Date.now() - since} ms after re-enrolment\n`,
      );
    });
  });

  describe('Linkerd', () => {
    beforeAll(async () => {
      const webhooks = linkerdInjectorWebhooks({ url: `${injector.url}/`, caBundle: injector.caBundle });
      await kubectlOk(s.admin, ['apply', '-f', '-'], JSON.stringify(webhooks));
      await s.restartZtgate(LINKERD);
    });

    it('finds the injector and meshes a fresh namespace: the inject annotation, a default inbound policy that requires mTLS', async () => {
      await waitForMetric('ztgate_mesh_injector_present{provider="linkerd"} 1');
      await s.createNamespace('l5d-shop');
      expect((await namespace('l5d-shop')).metadata.annotations).toMatchObject({
        'linkerd.io/inject': 'enabled',
        'config.linkerd.io/default-inbound-policy': 'all-authenticated',
      });
      await waitForEnforcement('l5d-shop', [['networkpolicy', 'ztgate-allow-mesh']]);
      const result = await kubectl(s.user, ['apply', '-f', '-'], workload('l5d-shop', 'web'));
      expect(result.stderr).toBe('');
      const pod = await waitForPod('l5d-shop', 'web');
      expect(pod.spec.containers.map((c) => c.name)).toEqual(['linkerd-proxy', 'app']);
      expect(pod.spec.initContainers?.map((c) => c.name)).toEqual(['linkerd-init']);
      // Linkerd copies the namespace's policy onto the pod and its proxy.
      expect(pod.metadata.annotations?.['config.linkerd.io/default-inbound-policy']).toBe(
        'all-authenticated',
      );
      const env = pod.spec.containers[0]?.env?.find(
        (e) => e.name === 'LINKERD2_PROXY_INBOUND_DEFAULT_POLICY',
      );
      expect(env?.value).toBe('all-authenticated');
      expect(await exists('peerauthentications.security.istio.io', 'l5d-shop', 'ztgate-strict-mtls')).toBe(
        false,
      );
    });

    it('lets the proxies reach identity, destination and policy under the default deny', async () => {
      const policy = await kubectlJson<{ spec: { egress: { ports: { port: number }[] }[] } }>(s.admin, [
        'get',
        'networkpolicy',
        'ztgate-allow-mesh',
        '-n',
        'l5d-shop',
      ]);
      expect(policy.spec.egress.map((rule) => rule.ports.map((port) => port.port))).toEqual([
        [8080],
        [8086, 8090],
      ]);
    });

    it("refuses removing the namespace's inject annotation or weakening its inbound policy", async () => {
      for (const args of [
        ['linkerd.io/inject-'],
        ['--overwrite', 'config.linkerd.io/default-inbound-policy=all-unauthenticated'],
      ]) {
        const result = await kubectl(s.user, ['annotate', 'namespace', 'l5d-shop', ...args]);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stderr).toContain('admission webhook "namespaces.ztgate.dev" denied the request');
      }
    });

    it('refuses the pods of workloads admitted in audit mode once the namespace is enforced: FailedCreate names the rule', async () => {
      const refused = await refusedOnceEnforced(
        'l5d-legacy',
        [
          ['good', {}],
          ['optout', { annotations: { 'linkerd.io/inject': 'disabled' } }],
          ['bypass', { annotations: { 'config.linkerd.io/skip-outbound-ports': '3306' } }],
          [
            'fake-proxy',
            {
              containers: [
                { name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] },
                {
                  name: 'linkerd-proxy',
                  image: 'ghcr.io/attacker/proxy:1.0',
                  securityContext: { runAsUser: 2102 },
                },
              ],
            },
          ],
          ['uid-2102', { containers: asUid(2102) }],
        ],
        [['networkpolicy', 'ztgate-default-deny']],
      );
      const expected: [string, string | RegExp][] = [
        ['optout', '[mesh-opt-out]'],
        ['bypass', '[mesh-opt-out]'],
        ['fake-proxy', '[mtls-sidecar]'],
        ['uid-2102', /\[[a-z-]+\] spec\.containers\[\d+\]\.securityContext\.runAsUser/],
      ];
      for (const [name, rule] of expected) {
        if (typeof rule === 'string') expect(refused.get(name), name).toContain(rule);
        else expect(refused.get(name), name).toMatch(rule);
      }
      const good = await waitForPod('l5d-legacy', 'good');
      expect(good.spec.containers.map((c) => c.name)).toEqual(['linkerd-proxy', 'app']);
    });
  });

  describe('Istio ambient', () => {
    beforeAll(async () => {
      await s.restartZtgate(AMBIENT);
    });

    it('finds ztunnel, enrols a fresh namespace with istio.io/dataplane-mode=ambient and refuses an opt-out label', async () => {
      await waitForMetric('ztgate_mesh_injector_present{provider="istio-ambient"} 0');
      await kubectlOk(s.admin, ['apply', '-f', '-'], JSON.stringify(ztunnelDaemonSet()));
      await waitForMetric('ztgate_mesh_injector_present{provider="istio-ambient"} 1');
      await s.createNamespace('ambient');
      expect((await namespace('ambient')).metadata.labels?.['istio.io/dataplane-mode']).toBe('ambient');
      await waitForEnforcement('ambient', [
        ['networkpolicy', 'ztgate-allow-mesh'],
        ['peerauthentication', 'ztgate-strict-mtls'],
      ]);
      const good = await kubectl(s.user, ['apply', '-f', '-'], workload('ambient', 'web'));
      expect(good.stderr).toBe('');
      // No proxy in the pod: ztunnel on the node carries mTLS.
      const pod = await waitForPod('ambient', 'web');
      expect(pod.spec.containers.map((c) => c.name)).toEqual(['app']);
      const optout = await kubectl(
        s.user,
        ['apply', '-f', '-'],
        workload('ambient', 'outside', { labels: { 'istio.io/dataplane-mode': 'none' } }),
      );
      expect(optout.code).toBe(1);
      expect(optout.stderr).toContain('[mesh-opt-out]');
    });
  });
});

/**
 * What platform teams often grant developers: labelling and annotating namespaces, and writing
 * Istio's security and traffic objects (the built-in `edit` role covers no custom resources).
 */
function developerGrants(group: string): Manifest[] {
  const rules = [
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'patch', 'update'] },
    {
      apiGroups: ['security.istio.io', 'networking.istio.io'],
      resources: ['peerauthentications', 'destinationrules'],
      verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'],
    },
  ];
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'developer-extras' },
      rules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'developer-extras' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'developer-extras' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
    },
  ];
}
