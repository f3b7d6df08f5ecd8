import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlJson, kubectlOk } from './support/kubectl.js';
import { allowListPolicy, deployment, list, serviceAccount, type Manifest } from './support/objects.js';
import { waitFor } from './support/processes.js';
import { BUILTIN_CONFIG_OVERRIDES, BUILTIN_CONFIG_YAML } from '../support/builtin-config.js';
import { startScenario, type Scenario } from './support/scenario.js';
import { REPO_DIR, ztgateCommand } from './support/ztgate.js';
import { execFile } from 'node:child_process';

// Issue 12 §1 and §7 through a real kube-apiserver and kube-controller-manager: a Pod that names
// another workload's controller to borrow its ServiceAccount is refused, while the pods the
// controller manager itself creates (Deployment → ReplicaSet → Pod, StatefulSet → Pod, Job → Pod)
// are admitted; and `ztgate check`, fed the state kubectl reads back, gives the cluster's verdict
// on the same YAML kubectl applies (YAML 1.1 scalars, merge keys, Namespaces of the change).
const NS = 'owners';

interface Meta {
  metadata: {
    name: string;
    uid: string;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
}
interface Items<T> {
  items: T[];
}

/** Runs `ztgate check` and returns its exit code and JSON verdicts. */
/** The config check runs with: the scenario's (the builtin injector with test images). */
let checkConfig = '';

function check(
  args: readonly string[],
): Promise<{ code: number; results: { name: string; allowed: boolean; rules: string[] }[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...ztgateCommand(), 'check', ...args, '--config', checkConfig, '-o', 'json'],
      { cwd: REPO_DIR },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        if (code === 2 || code === -1) return reject(new Error(`check exited ${code}: ${stderr}`));
        const parsed = JSON.parse(stdout) as {
          results: { name: string; allowed: boolean; violations: { rule: string }[] }[];
        };
        resolve({
          code,
          results: parsed.results.map((r) => ({
            name: r.name,
            allowed: r.allowed,
            rules: r.violations.map((v) => v.rule),
          })),
        });
      },
    );
  });
}

function forgedPod(name: string, owner: Record<string, unknown>[]): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'api' }, ownerReferences: owner },
    spec: {
      serviceAccountName: 'api',
      containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }],
    },
  };
}

describe('owner claims and offline verdicts against kube-apiserver', () => {
  let s: Scenario;
  let dir: string;
  let deploymentUid = '';
  let replicaSet = { name: '', uid: '' };

  const apply = (manifest: string) => kubectl(s.user, ['apply', '-f', '-'], manifest);
  const pods = (selector: string) =>
    kubectlJson<Items<Meta>>(s.admin, ['get', 'pods', '-n', NS, '-l', selector]);

  beforeAll(async () => {
    s = await startScenario(BUILTIN_CONFIG_OVERRIDES);
    await s.createNamespace(NS);
    dir = mkdtempSync(join(s.cp.dir, 'ownership-'));
    checkConfig = join(dir, 'builtin.yaml');
    writeFileSync(checkConfig, BUILTIN_CONFIG_YAML);
    const result = await apply(
      list(
        serviceAccount(NS, 'api'),
        allowListPolicy(NS, 'api', 'client'),
        deployment(NS, 'api', { serviceAccount: 'api' }),
      ),
    );
    expect(result.stderr).toBe('');
    await waitFor(
      async () => (await pods('app=api')).items.length === 1,
      30_000,
      () => 'no Pod for Deployment api',
    );
    deploymentUid = (await kubectlJson<Meta>(s.admin, ['get', 'deployment', 'api', '-n', NS])).metadata.uid;
    const [rs] = (await kubectlJson<Items<Meta>>(s.admin, ['get', 'replicasets', '-n', NS, '-l', 'app=api']))
      .items;
    replicaSet = { name: rs?.metadata.name ?? '', uid: rs?.metadata.uid ?? '' };
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("admits the pod the Deployment's own ReplicaSet created (controller manager → ReplicaSet → Pod)", async () => {
    const [created] = (await pods('app=api')).items;
    const owner = created?.metadata.ownerReferences?.[0];
    expect(owner).toMatchObject({
      kind: 'ReplicaSet',
      name: replicaSet.name,
      uid: replicaSet.uid,
      controller: true,
    });
  });

  it("admits a StatefulSet's and a Job's pods, created by their controllers", async () => {
    const statefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: {
        serviceName: 'db',
        replicas: 1,
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            serviceAccountName: 'db',
            containers: [{ name: 'db', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }],
          },
        },
      },
    };
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: NS },
      spec: {
        template: {
          metadata: { labels: { app: 'once' } },
          spec: {
            serviceAccountName: 'once',
            restartPolicy: 'Never',
            containers: [{ name: 'once', image: 'busybox:1.36', ports: [{ containerPort: 8080 }] }],
          },
        },
      },
    };
    const result = await apply(
      list(
        serviceAccount(NS, 'db'),
        allowListPolicy(NS, 'db', 'client'),
        statefulSet,
        serviceAccount(NS, 'once'),
        allowListPolicy(NS, 'once', 'client'),
        job,
      ),
    );
    expect(result.stderr).toBe('');
    for (const app of ['db', 'once']) {
      await waitFor(
        async () => (await pods(`app=${app}`)).items.length === 1,
        30_000,
        () => `no Pod for ${app}`,
      );
    }
  });

  it.each([
    // The Deployment controller creates ReplicaSets; only the ReplicaSet controller creates Pods.
    [
      'the Deployment, with its real uid',
      () => [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: deploymentUid, controller: true },
      ],
      'a Deployment never owns Pods',
    ],
    // The garbage collector finds owners by uid: a made-up one names no existing object.
    [
      'the real ReplicaSet with a made-up uid',
      () => [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: replicaSet.name,
          uid: '00000000-0000-0000-0000-000000000000',
          controller: true,
        },
      ],
      'garbage collector',
    ],
    [
      'a ReplicaSet that does not exist',
      () => [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'api-0000000000',
          uid: '00000000-0000-0000-0000-000000000001',
          controller: true,
        },
      ],
      'does not exist',
    ],
  ])('refuses a Pod that claims %s to run as its ServiceAccount', async (_name, owners, why) => {
    const result = await apply(JSON.stringify(forgedPod('borrower', owners())));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('admission webhook "workloads.ztgate.dev" denied the request');
    expect(result.stderr).toContain('[dedicated-service-account]');
    expect(result.stderr).toContain(why);
    expect(result.stderr).toContain('Remove metadata.ownerReferences[0]');
    expect((await kubectl(s.admin, ['get', 'pod', 'borrower', '-n', NS])).code).toBe(1);
  });

  it('refuses two controller references as invalid-object at the mutating webhook, before anything is injected', async () => {
    const owners = [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: replicaSet.name,
        uid: replicaSet.uid,
        controller: true,
      },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: deploymentUid, controller: true },
    ];
    const result = await apply(JSON.stringify(forgedPod('two-owners', owners)));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('admission webhook "inject.ztgate.dev" denied the request');
    expect(result.stderr).toContain(
      '[invalid-object] metadata.ownerReferences: only one owner reference may set controller: true',
    );
  });

  describe('check, fed the state kubectl reads back, agrees with the cluster', () => {
    let state: string;
    beforeAll(async () => {
      state = mkdtempSync(join(dir, 'state-'));
      const namespace = await kubectlOk(s.admin, ['get', 'namespace', NS, '-o', 'yaml']);
      const objects = await kubectlOk(s.admin, [
        'get',
        'serviceaccounts,networkpolicies,deployments,replicasets,statefulsets,jobs,pods',
        '-n',
        NS,
        '-o',
        'yaml',
      ]);
      writeFileSync(join(state, 'namespace.yaml'), namespace);
      writeFileSync(join(state, 'objects.yaml'), objects);
      // Developers may label namespaces here, as the webhook suite grants: the webhook, not RBAC, says no.
      await kubectlOk(s.admin, [
        'create',
        'clusterrole',
        'ownership-namespaces',
        '--verb=get,list,patch,update',
        '--resource=namespaces',
      ]);
      await kubectlOk(s.admin, [
        'create',
        'clusterrolebinding',
        'ownership-namespaces',
        '--clusterrole=ownership-namespaces',
        '--group=developers',
      ]);
    });

    /** Applies `yaml` as the developer and checks it with the state; returns both verdicts. */
    async function both(name: string, yaml: string, kubectlFlags: readonly string[] = []) {
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, yaml);
      const applied = await kubectl(s.user, ['apply', ...kubectlFlags, '-f', path]);
      const checked = await check(['-f', path, '--state', state]);
      return { applied, checked };
    }

    // The anchor a merge key reuses sits in a top-level field of its own, which kubectl's
    // client-side schema check would reject: that case runs with --validate=false (the API server
    // of 1.20 drops unknown fields), so the object is exactly what go-yaml decoded.
    const anchor = 'base: &root {privileged: true}\n';
    const web = (name: string, podSpec: string, container = '', head = '') => `apiVersion: v1
kind: ServiceAccount
metadata: {name: ${name}, namespace: ${NS}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}-allow, namespace: ${NS}}
spec:
  podSelector: {matchLabels: {app: ${name}}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{protocol: TCP, port: 8080}]}]
---
${head}apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      serviceAccountName: ${name}
${podSpec}
      containers:
        - name: app
          image: nginx:1.27
          ports: [{containerPort: 8080}]
${container}`;

    it.each([
      ['hostNetwork: yes', 'yes-net', '      hostNetwork: yes', '', '', 'no-host-network'],
      ['privileged: on', 'on-priv', '', '          securityContext: {privileged: on}', '', 'no-net-admin'],
      [
        'a merge key over privileged: false',
        'merged-priv',
        '',
        '          securityContext:\n            privileged: false\n            <<: *root',
        anchor,
        'no-net-admin',
      ],
    ])('%s: refused by the webhook, DENIED by check', async (_case, name, podSpec, container, head, rule) => {
      const flags = head === '' ? [] : ['--validate=false'];
      const { applied, checked } = await both(name, web(name, podSpec, container, head), flags);
      expect(applied.code).toBe(1);
      expect(applied.stderr).toContain(`[${rule}]`);
      expect(checked.code).toBe(1);
      expect(checked.results.find((r) => r.name === name)).toEqual({ name, allowed: false, rules: [rule] });
    });

    it('hostNetwork: no — admitted by the cluster, ALLOWED by check', async () => {
      const { applied, checked } = await both('no-net', web('no-net', '      hostNetwork: no'));
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      expect(checked).toEqual({
        code: 0,
        results: [
          { name: 'no-net-allow', allowed: true, rules: [] },
          { name: 'no-net', allowed: true, rules: [] },
        ],
      });
    });

    it('hostNetwork: "true" (a string) — refused by the API server, invalid-object in check', async () => {
      const { applied, checked } = await both('str-net', web('str-net', '      hostNetwork: "true"'));
      expect(applied.code).toBe(1);
      expect((await kubectl(s.admin, ['get', 'deployment', 'str-net', '-n', NS])).code).toBe(1);
      expect(checked.results.find((r) => r.name === 'str-net')).toEqual({
        name: 'str-net',
        allowed: false,
        rules: ['invalid-object'],
      });
    });

    it("a forged pod is DENIED by check as by the cluster; the ReplicaSet's real pod is ALLOWED", async () => {
      const owners = [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: deploymentUid, controller: true },
      ];
      const { applied, checked } = await both('forged', JSON.stringify(forgedPod('borrower-2', owners)));
      expect(applied.code).toBe(1);
      expect(checked.results).toEqual([
        { name: 'borrower-2', allowed: false, rules: ['dedicated-service-account'] },
      ]);
      const [real] = (await pods('app=api')).items;
      const path = join(dir, 'real-pod.json');
      writeFileSync(
        path,
        await kubectlOk(s.admin, ['get', 'pod', real?.metadata.name ?? '', '-n', NS, '-o', 'json']),
      );
      expect(await check(['-f', path, '--state', state])).toEqual({
        code: 0,
        results: [{ name: real?.metadata.name, allowed: true, rules: [] }],
      });
    });

    it('a Namespace switching itself to audit in the same change: refused by the webhook and by check, and its pod is judged enforced', async () => {
      const yaml = `apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
  labels: {ztgate.dev/mode: audit}
---
apiVersion: v1
kind: Pod
metadata: {name: no-identity, namespace: ${NS}, labels: {app: no-identity}}
spec:
  containers: [{name: app, image: nginx:1.27}]
`;
      const { applied, checked } = await both('audit-ns', yaml);
      expect(applied.code).toBe(1);
      expect(applied.stderr).toContain('admission webhook "namespaces.ztgate.dev" denied the request');
      expect(applied.stderr).toContain('admission webhook "workloads.ztgate.dev" denied the request');
      expect(checked.code).toBe(1);
      expect(checked.results.map((r) => ({ name: r.name, allowed: r.allowed }))).toEqual([
        { name: NS, allowed: false },
        { name: 'no-identity', allowed: false },
      ]);
      expect(checked.results[0]?.rules).toEqual(['protected-namespace-labels']);
    });
  });
});
