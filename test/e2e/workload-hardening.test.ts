import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { injectPodTemplate } from '../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../src/policy/types.js';
import { kubectl, kubectlJson } from './support/kubectl.js';
import { allowListPolicy, deployment, list, serviceAccount, type Manifest } from './support/objects.js';
import { waitFor } from './support/processes.js';
import { startScenario, type Scenario } from './support/scenario.js';

// No way around the gate (issue 12 §2, §4, §6): a workload that would run as the proxy's
// identity, leave its sandbox, or arrive pre-injected but misplaced is refused by the real API
// server's webhook call; the hardened look-alike is admitted and its pods get the sidecar.
const NS = 'hardening';

// ztgate's own injector with test images (ztgate ships no proxy), as the other builtin suites run it.
const BUILTIN = {
  mesh: { provider: 'builtin' },
  sidecar: {
    image: 'registry.example/ztgate-test/proxy:1.0',
    initImage: 'registry.example/ztgate-test/proxy-init:1.0',
  },
} as const;
const SIDECAR = { ...DEFAULT_CONFIG.sidecar, ...BUILTIN.sidecar };

type PodSpec = Record<string, unknown> & { containers: Manifest[] };

/** A compliant Deployment (own ServiceAccount, allow-list) whose pod spec `change` edits. */
function workload(name: string, change: (spec: PodSpec) => void): Manifest[] {
  const d = deployment(NS, name, { serviceAccount: name });
  const spec = (d.spec as { template: { spec: PodSpec } }).template.spec;
  change(spec);
  return [serviceAccount(NS, name), allowListPolicy(NS, name, 'client'), d];
}

interface PodList {
  items: { spec: { containers: { name: string }[]; initContainers?: { name: string }[] } }[];
}

describe('workload hardening against kube-apiserver', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario(BUILTIN);
    await s.createNamespace(NS);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const apply = (objects: readonly Manifest[]) => kubectl(s.user, ['apply', '-f', '-'], list(...objects));

  const refusals: [string, Manifest[], string[]][] = [
    [
      // hostPID + SYS_ADMIN: `nsenter -t 1 -n` enters the node's network namespace.
      'hostPID with SYS_ADMIN',
      workload('nsenter', (spec) => {
        spec['hostPID'] = true;
        spec.containers[0]!['securityContext'] = { capabilities: { add: ['SYS_ADMIN'] } };
      }),
      ['[no-host-namespaces] spec.template.spec.hostPID', '[no-extra-capabilities]'],
    ],
    [
      // The runtime's socket starts containers that never pass the API server.
      'a hostPath to the containerd socket',
      workload('runtime-socket', (spec) => {
        spec['volumes'] = [
          { name: 'sock', hostPath: { path: '/run/containerd/containerd.sock', type: 'Socket' } },
        ];
        spec.containers[0]!['volumeMounts'] = [
          { name: 'sock', mountPath: '/run/containerd/containerd.sock' },
        ];
      }),
      ['[no-host-path] spec.template.spec.volumes[0].hostPath', 'hands over the node', 'exemptNamespaces'],
    ],
    [
      // istio-iptables / ztgate-init RETURN early for the proxy's uid: this pod's traffic would skip the proxy.
      "the proxy's uid, inherited from the pod securityContext",
      workload('as-proxy', (spec) => {
        spec['securityContext'] = { runAsUser: 1337 };
      }),
      ['[no-proxy-identity] spec.template.spec.securityContext.runAsUser', 'IST0144'],
    ],
    [
      // 15021 is left out of inbound capture so the kubelet can reach the proxy's health endpoint.
      "an app port on the proxy's health port",
      workload('health-squatter', (spec) => {
        spec.containers[0]!['ports'] = [{ containerPort: 15021 }];
      }),
      ['[no-proxy-ports] spec.template.spec.containers[0].ports[0].containerPort'],
    ],
  ];

  it.each(refusals)(
    'refuses a Deployment with %s and names rule, path and fix',
    async (_name, objects, fragments) => {
      const result = await apply(objects);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('admission webhook "workloads.ztgate.dev" denied the request');
      for (const fragment of fragments) expect(result.stderr).toContain(fragment);
      const name = (objects[2]!.metadata as { name: string }).name;
      expect((await kubectl(s.admin, ['get', 'deployment', name, '-n', NS])).code).toBe(1);
    },
  );

  it('admits the hardened look-alike, and the pods the controller manager makes pass and carry the sidecar', async () => {
    const objects = workload('hardened', (spec) => {
      spec['securityContext'] = {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1337,
        seccompProfile: { type: 'RuntimeDefault' },
        sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }],
      };
      spec.containers[0]!['securityContext'] = {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      };
      spec.containers[0]!['volumeMounts'] = [{ name: 'scratch', mountPath: '/tmp' }];
      spec['volumes'] = [{ name: 'scratch', emptyDir: {} }];
    });
    const template = (objects[2]!.spec as { template: { metadata: Manifest } }).template;
    template.metadata['annotations'] = {
      'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default',
    };
    const result = await apply(objects);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    let pods: PodList = { items: [] };
    await waitFor(
      async () => {
        pods = await kubectlJson<PodList>(s.admin, ['get', 'pods', '-n', NS, '-l', 'app=hardened']);
        return pods.items.length === 1;
      },
      30_000,
      () => `no Pod for Deployment hardened: ${JSON.stringify(pods)}`,
    );
    expect(pods.items[0]?.spec.initContainers?.map((c) => c.name)).toEqual(['ztgate-init']);
  });

  it('refuses a pre-injected Pod whose app init container runs before the redirect', async () => {
    const bare: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'early-bird', namespace: NS, labels: { app: 'early-bird' } },
      spec: { serviceAccountName: 'early-bird', containers: [{ name: 'app', image: 'nginx:1.27' }] },
    };
    // What `ztgate inject` prints, then an init container slipped in front of ztgate-init.
    const injected = structuredClone(injectPodTemplate(bare, SIDECAR, NS)) as Manifest;
    const spec = injected['spec'] as { initContainers: Manifest[] };
    spec.initContainers.unshift({
      name: 'fetch',
      image: 'curlimages/curl:8.8.0',
      args: ['https://example.com'],
    });
    const result = await apply([
      serviceAccount(NS, 'early-bird'),
      allowListPolicy(NS, 'early-bird', 'client'),
      injected,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[mtls-sidecar] spec.initContainers[1]');
    expect(result.stderr).toContain('runs before the redirect exists');
    expect((await kubectl(s.admin, ['get', 'pod', 'early-bird', '-n', NS])).code).toBe(1);
  });
});
