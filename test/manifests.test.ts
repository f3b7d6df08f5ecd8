import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch, { type PatchOperation } from 'jsonpatch';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../src/adapters/config/load-config.js';
import {
  BUILTIN_DIR,
  MANIFESTS_DIR,
  readManifest,
  type ManifestObject,
  type WebhookConfiguration,
  type WebhookSpec,
} from './e2e/support/manifests.js';

// The kustomize base is what an admin applies: these tests pin the security-relevant settings.
const yamlFiles = readdirSync(MANIFESTS_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const GENERATED = ['tls-secret.yaml']; // written by `ztgate certs --manifests manifests/`, git-ignored
const committed = yamlFiles.filter((f) => !GENERATED.includes(f));
const all = committed.flatMap((file) => readManifest(file));
const kustomization = readManifest('kustomization.yaml')[0] as unknown as { resources: string[] };

function find<T extends ManifestObject>(kind: string, name?: string): T {
  const found = all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ''}`);
  return found as T;
}

const configMap = find<ManifestObject & { data: Record<string, string> }>('ConfigMap', 'ztgate-config');
const config = parseConfig(configMap.data['config.yaml'] ?? '', 'manifests/configmap.yaml');
const mutating = find<WebhookConfiguration>('MutatingWebhookConfiguration');
const validating = find<WebhookConfiguration>('ValidatingWebhookConfiguration');
const webhooks: [string, WebhookSpec][] = [...mutating.webhooks, ...validating.webhooks].map((w) => [
  w.name,
  w,
]);

/** Evaluates a webhook's namespaceSelector (matchExpressions only) against namespace labels. */
function selects(webhook: WebhookSpec, labels: Record<string, string>): boolean {
  return (webhook.namespaceSelector?.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'NotIn') return value === undefined || !(e.values ?? []).includes(value);
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'Exists') return value !== undefined;
    if (e.operator === 'DoesNotExist') return value === undefined;
    throw new Error(`operator ${e.operator}`);
  });
}

function covers(webhook: WebhookSpec, group: string, resource: string, operation: string): boolean {
  return webhook.rules.some(
    (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.operations.includes(operation),
  );
}

describe('manifests/ kustomize base', () => {
  it('lists every manifest file, and only those, in kustomization.yaml', () => {
    expect([...kustomization.resources].sort()).toEqual([...new Set([...yamlFiles, ...GENERATED])].sort());
  });

  it.each(committed)('%s parses into objects with apiVersion, kind and name', (file) => {
    const objects = readManifest(file);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect([typeof o.apiVersion, typeof o.kind, typeof o.metadata.name]).toEqual([
        'string',
        'string',
        'string',
      ]);
    }
  });

  it('puts every namespaced object in ztgate-system, the namespace the config names', () => {
    const clusterScoped = [
      'Namespace',
      'ClusterRole',
      'ClusterRoleBinding',
      'PriorityClass',
      'MutatingWebhookConfiguration',
      'ValidatingWebhookConfiguration',
    ];
    const namespaces = new Set(
      all.filter((o) => !clusterScoped.includes(o.kind)).map((o) => o.metadata.namespace),
    );
    expect([...namespaces]).toEqual([config.namespace]);
    expect(find('Namespace').metadata.name).toBe(config.namespace);
  });

  it('ships a ConfigMap the config loader accepts', () => {
    expect([config.mode, config.namespace, config.defaultDeny.create]).toEqual([
      'enforce',
      'ztgate-system',
      true,
    ]);
    expect(config.exemptNamespaces).toEqual([
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'ztgate-system',
    ]);
  });
});

describe('webhooks.yaml', () => {
  it.each(webhooks)(
    '%s: v1 reviews, no side effects, fails closed, quick, equivalent matching',
    (_name, w) => {
      expect({
        admissionReviewVersions: w.admissionReviewVersions,
        sideEffects: w.sideEffects,
        failurePolicy: w.failurePolicy,
        matchPolicy: w.matchPolicy,
        // '' as committed; `ztgate certs --manifests manifests/` fills in the base64 CA.
        caBundle:
          w.clientConfig.caBundle === ''
            ? ''
            : Buffer.from(w.clientConfig.caBundle ?? '', 'base64')
                .toString('utf8')
                .split('\n')[0],
        service: w.clientConfig.service?.name,
        namespace: w.clientConfig.service?.namespace,
        port: w.clientConfig.service?.port,
      }).toEqual({
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        caBundle: '',
        service: find('Service').metadata.name,
        namespace: 'ztgate-system',
        port: 443,
      });
      expect(w.timeoutSeconds).toBeLessThanOrEqual(5);
    },
  );

  const namespaceCases: [string, Record<string, string>, boolean][] = [
    ...config.exemptNamespaces.map((ns): [string, Record<string, string>, boolean] => [
      `${ns} (1.21+ name label)`,
      { 'kubernetes.io/metadata.name': ns },
      false,
    ]),
    ['kube-system on 1.20, labelled exempt', { 'ztgate.dev/exempt': 'true' }, false],
    ['shop (enforced)', { 'kubernetes.io/metadata.name': 'shop' }, true],
    ['shop on 1.20 (no labels)', {}, true],
    [
      'shop labelled ztgate.dev/exempt=false',
      { 'kubernetes.io/metadata.name': 'shop', 'ztgate.dev/exempt': 'false' },
      true,
    ],
  ];
  const namespaceWebhook = 'namespaces.ztgate.dev';
  it.each(
    webhooks
      .filter(([name]) => name !== namespaceWebhook)
      .flatMap(([name, w]) =>
        namespaceCases.map(([ns, labels, judged]) => [name, ns, w, labels, judged] as const),
      ),
  )('%s judges %s: %s', (_name, _ns, w, labels, judged) => {
    expect(selects(w, labels)).toBe(judged);
  });

  // For a Namespace, the selector is matched against the object's own labels: the label guard
  // must still see a namespace that labels itself exempt.
  it.each([
    ...config.exemptNamespaces.map((ns): [string, Record<string, string>, boolean] => [
      `${ns} (1.21+ name label)`,
      { 'kubernetes.io/metadata.name': ns },
      false,
    ]),
    [
      'shop labelling itself exempt',
      { 'kubernetes.io/metadata.name': 'shop', 'ztgate.dev/exempt': 'true' },
      true,
    ],
    ['shop on 1.20 labelling itself exempt', { 'ztgate.dev/exempt': 'true' }, true],
    ['shop', { 'kubernetes.io/metadata.name': 'shop' }, true],
  ])('namespaces.ztgate.dev judges %s: %s', (_ns, labels, judged) => {
    const [, w] = webhooks.find(([name]) => name === namespaceWebhook) ?? [];
    expect(w === undefined ? undefined : selects(w, labels)).toBe(judged);
  });

  it('mutates only Namespace CREATE on /mutate (the enrolment), never re-invoked', () => {
    expect(mutating.webhooks.map((w) => w.name)).toEqual(['enrol.ztgate.dev']);
    const [w] = mutating.webhooks;
    expect([w?.clientConfig.service?.path, w?.reinvocationPolicy]).toEqual(['/mutate', 'Never']);
    expect(w?.rules).toEqual([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['namespaces'],
        scope: 'Cluster',
      },
    ]);
  });

  it('adds the Pod webhook in manifests-builtin/ only: a copy of the enrolment webhook, re-invoked if needed', () => {
    const overlay = readManifest('kustomization.yaml', BUILTIN_DIR)[0] as unknown as {
      bases: string[];
      patchesJson6902: { target: Record<string, string>; path: string }[];
    };
    expect(overlay.bases).toEqual(['../manifests']);
    const [patch] = overlay.patchesJson6902;
    expect(patch?.target).toEqual({
      group: 'admissionregistration.k8s.io',
      version: 'v1',
      kind: 'MutatingWebhookConfiguration',
      name: mutating.metadata.name,
    });
    const ops = parse(readFileSync(join(BUILTIN_DIR, patch?.path ?? ''), 'utf8')) as PatchOperation[];
    const patched = jsonpatch.apply_patch(mutating, ops);
    const [enrol, inject] = patched.webhooks;
    expect(patched.webhooks.map((w) => w.name)).toEqual(['enrol.ztgate.dev', 'inject.ztgate.dev']);
    expect(inject?.rules).toEqual([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ]);
    expect(inject?.reinvocationPolicy).toBe('IfNeeded');
    // Everything else (service, caBundle, policies, selectors) is the enrolment webhook's.
    const rest = (w: WebhookSpec | undefined) => {
      const { name: _n, rules: _r, reinvocationPolicy: _p, ...others } = w ?? ({} as WebhookSpec);
      return others;
    };
    expect(rest(inject)).toEqual(rest(enrol));
  });

  const validateCases: [string, string, string, boolean][] = [
    ['', 'pods', 'CREATE', true],
    ['', 'pods', 'UPDATE', true],
    ['', 'pods', 'DELETE', false],
    ['', 'replicationcontrollers', 'UPDATE', true],
    ['', 'pods/ephemeralcontainers', 'UPDATE', true],
    ['apps', 'deployments', 'CREATE', true],
    ['apps', 'deployments', 'UPDATE', true],
    ['apps', 'deployments', 'DELETE', false],
    ['apps', 'replicasets', 'CREATE', true],
    ['apps', 'statefulsets', 'UPDATE', true],
    ['apps', 'daemonsets', 'CREATE', true],
    ['batch', 'jobs', 'CREATE', true],
    ['batch', 'cronjobs', 'UPDATE', true],
    ['networking.k8s.io', 'networkpolicies', 'CREATE', true],
    ['networking.k8s.io', 'networkpolicies', 'UPDATE', true],
    ['networking.k8s.io', 'networkpolicies', 'DELETE', true],
    ['projectcalico.org', 'networkpolicies', 'DELETE', true],
    ['projectcalico.org', 'globalnetworkpolicies', 'UPDATE', true],
    ['crd.projectcalico.org', 'networkpolicies', 'CREATE', true],
    ['crd.projectcalico.org', 'globalnetworkpolicies', 'DELETE', true],
    ['cilium.io', 'ciliumnetworkpolicies', 'CREATE', true],
    ['cilium.io', 'ciliumclusterwidenetworkpolicies', 'DELETE', true],
    ['security.istio.io', 'authorizationpolicies', 'UPDATE', true],
    ['security.istio.io', 'peerauthentications', 'CREATE', true],
    ['security.istio.io', 'peerauthentications', 'UPDATE', true],
    ['security.istio.io', 'peerauthentications', 'DELETE', true],
    ['networking.istio.io', 'destinationrules', 'CREATE', true],
    ['networking.istio.io', 'destinationrules', 'UPDATE', true],
    ['networking.istio.io', 'virtualservices', 'CREATE', false],
    ['', 'secrets', 'CREATE', false],
    ['', 'namespaces', 'CREATE', true],
    ['', 'namespaces', 'UPDATE', true],
    ['', 'namespaces', 'DELETE', false],
  ];
  it.each(validateCases)('validates %s/%s %s: %s', (group, resource, operation, expected) => {
    expect(validating.webhooks.some((w) => covers(w, group, resource, operation))).toBe(expected);
  });

  it('sends every validation to /validate', () => {
    expect(validating.webhooks.map((w) => w.clientConfig.service?.path)).toEqual([
      '/validate',
      '/validate',
      '/validate',
    ]);
  });
});

type Container = {
  name: string;
  args: string[];
  env: { name: string; value?: string }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  readinessProbe: { httpGet: { path: string; port: string; scheme: string } };
  livenessProbe: { httpGet: { path: string; port: string; scheme: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
};
type PodSpec = {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  priorityClassName: string;
  topologySpreadConstraints: {
    maxSkew: number;
    topologyKey: string;
    whenUnsatisfiable: string;
    labelSelector: { matchLabels: Record<string, string> };
  }[];
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[];
};
const deployment = find<
  ManifestObject & {
    spec: {
      replicas: number;
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    };
  }
>('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0] as Container;

describe('deployment.yaml, service.yaml, pdb.yaml', () => {
  it('runs two replicas under the ztgate ServiceAccount, one per node where there are two nodes', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe(find('ServiceAccount').metadata.name);
    expect(pod.containers).toHaveLength(1);
    // Hard on hosts (a one-node cluster is one domain, skew 0: both replicas still run), soft on zones.
    expect(
      pod.topologySpreadConstraints.map((c) => [
        c.topologyKey,
        c.maxSkew,
        c.whenUnsatisfiable,
        c.labelSelector,
      ]),
    ).toEqual([
      ['kubernetes.io/hostname', 1, 'DoNotSchedule', { matchLabels: deployment.spec.selector.matchLabels }],
      [
        'topology.kubernetes.io/zone',
        1,
        'ScheduleAnyway',
        { matchLabels: deployment.spec.selector.matchLabels },
      ],
    ]);
    expect(pod).not.toHaveProperty('affinity');
  });

  it('lets a SIGTERM drain finish inside the grace period (drain, in-flight requests, lease release)', () => {
    const grace = (pod as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30;
    const { drainDelaySeconds, requestTimeoutSeconds } = config.server;
    // serve-lifecycle.ts: the drain, then in-flight requests up to the request timeout + 2 s, then 3 s to stop.
    expect(drainDelaySeconds + requestTimeoutSeconds + 2 + 3).toBeLessThan(grace);
    // A webhook call never needs longer than the API server waits (timeoutSeconds ≤ 30).
    for (const [, webhook] of webhooks) {
      expect(requestTimeoutSeconds).toBeGreaterThanOrEqual(webhook['timeoutSeconds'] as number);
    }
  });

  it('runs at its own priority: above every workload, below the system classes', () => {
    const priority = find<
      ManifestObject & { value: number; globalDefault: boolean; preemptionPolicy: string }
    >('PriorityClass');
    expect(pod.priorityClassName).toBe(priority.metadata.name);
    // 1e9 is the highest value a user-defined class may take; system-cluster-critical is 2e9.
    expect([priority.value, priority.globalDefault, priority.preemptionPolicy]).toEqual([
      1_000_000_000,
      false,
      'PreemptLowerPriority',
    ]);
  });

  it('meets the restricted Pod Security Standard', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('probes /healthz and /readyz over HTTPS on the serving port', () => {
    expect([container.livenessProbe.httpGet, container.readinessProbe.httpGet]).toEqual([
      { path: '/healthz', port: 'https', scheme: 'HTTPS' },
      { path: '/readyz', port: 'https', scheme: 'HTTPS' },
    ]);
    expect(container.ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
  });

  it('sets the requests and limits the README sizing table gives for its defaults row', () => {
    const readme = readFileSync(join(MANIFESTS_DIR, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('<!-- sizing-recommendations'));
    const row = table.split('\n').find((line) => line.startsWith('|') && line.includes('(defaults)'));
    const [, , memoryRequest, memoryLimit, cpuRequest, cpuLimit, heapCap] = (row ?? '')
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    expect(container.resources).toEqual({
      requests: { cpu: cpuRequest, memory: memoryRequest },
      limits: { cpu: cpuLimit, memory: memoryLimit },
    });
    const nodeOptions = container.env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    expect(nodeOptions.split(' ')).toContain(heapCap?.replaceAll('`', ''));
  });

  it('caps the Node heap at three quarters of the memory limit, in every row of the sizing table', () => {
    // Without a cap V8 sizes the heap from the node's memory and lets garbage grow past the
    // container's limit before collecting: the kernel kills the webhook, and pod creation stops.
    const readme = readFileSync(join(MANIFESTS_DIR, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('<!-- sizing-recommendations'));
    const rows = table
      .split('\n')
      .filter((line) => line.startsWith('|') && /\d+(Mi|Gi) \|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const mebibytes = (quantity: string): number =>
      Number.parseInt(quantity, 10) * (quantity.endsWith('Gi') ? 1024 : 1);
    expect(rows.length).toBe(4);
    for (const row of rows) {
      const limit = mebibytes(row[4] ?? '');
      expect(row[7]).toBe(`--max-old-space-size=${(limit * 3) / 4}`);
    }
  });

  it('sets requests and limits for cpu and memory', () => {
    expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
  });

  it('mounts the config and the ztgate-tls Secret where its arguments point', () => {
    const arg = (flag: string): string | undefined => container.args[container.args.indexOf(flag) + 1];
    const mountOf = (volume: string) => container.volumeMounts.find((m) => m.name === volume);
    const tlsVolume = pod.volumes.find((v) => v.secret?.secretName === 'ztgate-tls');
    const configVolume = pod.volumes.find((v) => v.configMap?.name === configMap.metadata.name);
    expect(arg('--config')).toBe('/etc/ztgate/config.yaml');
    expect(mountOf(configVolume?.name ?? '')).toEqual({
      name: 'config',
      mountPath: '/etc/ztgate/config.yaml',
      subPath: 'config.yaml',
      readOnly: true,
    });
    expect([arg('--tls-cert'), arg('--tls-key')]).toEqual([
      `${mountOf(tlsVolume?.name ?? '')?.mountPath}/tls.crt`,
      `${mountOf(tlsVolume?.name ?? '')?.mountPath}/tls.key`,
    ]);
    expect(arg('--port')).toBe('8443');
  });

  it('routes Service port 443 to the https container port and selects the pods', () => {
    const service = find<ManifestObject & { spec: { selector: Record<string, string>; ports: unknown[] } }>(
      'Service',
    );
    expect(service.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
  });

  it('keeps one replica through voluntary disruptions', () => {
    const pdb = find<
      ManifestObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }
    >('PodDisruptionBudget');
    expect(pdb.spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: deployment.spec.selector.matchLabels },
    });
  });
});
