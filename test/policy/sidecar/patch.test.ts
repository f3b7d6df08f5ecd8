import jsonpatch from 'jsonpatch';
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../../src/policy/config.js';
import {
  buildSidecarPatch,
  INJECTED_ANNOTATION,
  isInjected,
  spiffeIdFor,
  STATUS_ANNOTATION,
} from '../../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { sidecarConfig } from './helpers.js';

type Json = Record<string, unknown>;
const config = sidecarConfig();

function pod(spec: Json, metadata: Json = { name: 'p' }): KubeObject {
  return deepFreeze({ apiVersion: 'v1', kind: 'Pod', metadata, spec });
}

const app = { name: 'app', image: 'registry.example/app:1' };

function inject(
  input: KubeObject,
  options: { namespace?: string; job?: boolean; native?: boolean } = {},
): Json {
  const settings = sidecarConfig({ native: options.native ?? false });
  const ops = buildSidecarPatch(input, settings, {
    namespace: options.namespace ?? 'shop',
    job: options.job,
  });
  return jsonpatch.apply_patch(input, ops) as Json;
}

function proxyOf(injected: Json): Json {
  const spec = injected['spec'] as { containers?: Json[]; initContainers?: Json[] };
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  return all.find((container) => container['name'] === config.containerName) ?? {};
}

function envOf(container: Json): Record<string, unknown> {
  const env = (container['env'] ?? []) as { name: string; value?: string; valueFrom?: unknown }[];
  return Object.fromEntries(env.map((entry) => [entry.name, entry.value ?? entry.valueFrom]));
}

describe('isInjected', () => {
  it.each([
    ['the proxy as a container', pod({ containers: [{ name: 'ztgate-proxy' }, app] }), true],
    [
      'the proxy as a native init container',
      pod({ initContainers: [{ name: 'ztgate-proxy' }], containers: [app] }),
      true,
    ],
    ['no proxy', pod({ containers: [app] }), false],
    [
      'the annotation alone (a pod cannot opt out by writing it)',
      pod({ containers: [app] }, { name: 'p', annotations: { [INJECTED_ANNOTATION]: 'true' } }),
      false,
    ],
    [
      'only the redirect init container',
      pod({ initContainers: [{ name: 'ztgate-init' }], containers: [app] }),
      false,
    ],
    ['no spec', { apiVersion: 'v1', kind: 'Pod' }, false],
  ])('%s → %s', (_name, input, expected) => {
    expect(isInjected(input, config)).toBe(expected);
  });
});

describe('buildSidecarPatch returns an empty patch', () => {
  it.each([
    ['an injected pod', pod({ containers: [{ name: 'ztgate-proxy' }, app] })],
    ['a hostNetwork pod', pod({ hostNetwork: true, containers: [app] })],
    ['a pod without containers', pod({})],
    ['a pod with an empty containers array', pod({ containers: [] })],
    ['an object without spec', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }],
  ])('for %s', (_name, input) => {
    expect(buildSidecarPatch(input, config, { namespace: 'shop' })).toEqual([]);
  });

  it('ignores opt-out labels and annotations', () => {
    const input = pod(
      { containers: [app] },
      {
        name: 'p',
        labels: { 'sidecar.istio.io/inject': 'false' },
        annotations: { 'ztgate.dev/inject': 'false' },
      },
    );
    expect(isInjected(inject(input), config)).toBe(true);
  });
});

describe('identity', () => {
  it.each([
    [
      'serviceAccountName',
      { serviceAccountName: 'web', containers: [app] },
      'spiffe://cluster.local/ns/shop/sa/web',
    ],
    [
      'the deprecated serviceAccount',
      { serviceAccount: 'old', containers: [app] },
      'spiffe://cluster.local/ns/shop/sa/old',
    ],
    [
      'serviceAccountName over serviceAccount',
      { serviceAccountName: 'a', serviceAccount: 'b' },
      'spiffe://cluster.local/ns/shop/sa/a',
    ],
    [
      'an empty serviceAccountName',
      { serviceAccountName: '', containers: [app] },
      'spiffe://cluster.local/ns/shop/sa/default',
    ],
    ['no ServiceAccount', { containers: [app] }, 'spiffe://cluster.local/ns/shop/sa/default'],
  ])('%s', (_name, spec, expected) => {
    expect(spiffeIdFor(pod(spec), config, 'shop')).toBe(expected);
  });

  it('puts the SPIFFE ID of the trust domain and namespace in the proxy env', () => {
    const input = pod({ serviceAccountName: 'api', containers: [app] });
    const ops = buildSidecarPatch(input, sidecarConfig({ trustDomain: 'corp.example' }), {
      namespace: 'pay',
    });
    const proxy = proxyOf(jsonpatch.apply_patch(input, ops) as Json);
    expect(envOf(proxy)['ZTGATE_SPIFFE_ID']).toBe('spiffe://corp.example/ns/pay/sa/api');
    expect(envOf(proxy)['POD_NAMESPACE']).toEqual({
      fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
    });
  });
});

describe('containers', () => {
  it('hardens the proxy and grants the init container only NET_ADMIN and NET_RAW', () => {
    const injected = inject(pod({ securityContext: { runAsNonRoot: true }, containers: [app] }));
    const spec = injected['spec'] as { initContainers: Json[]; containers: Json[] };
    expect(spec.containers.map((container) => container['name'])).toEqual(['ztgate-proxy', 'app']);
    expect(spec.initContainers[0]?.['securityContext']).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(proxyOf(injected)['securityContext']).toEqual({
      runAsUser: 1337,
      runAsGroup: 1337,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // The pod-level setting stays: only the init container overrides it.
    expect((injected['spec'] as Json)['securityContext']).toEqual({ runAsNonRoot: true });
  });

  it.each([
    ['classic', false, { postStart: true, restartPolicy: undefined }],
    ['native', true, { postStart: false, restartPolicy: 'Always' }],
  ])('orders start-up in %s mode', (_name, native, expected) => {
    const proxy = proxyOf(inject(pod({ containers: [app] }), { native }));
    expect({ postStart: proxy['lifecycle'] !== undefined, restartPolicy: proxy['restartPolicy'] }).toEqual(
      expected,
    );
  });

  it('mounts the token and trust bundle read-only from ztgate volumes', () => {
    const injected = inject(pod({ containers: [app] }));
    // The ServiceAccount admission plugin adds the API token only to containers with no mount at
    // /var/run/secrets/kubernetes.io/serviceaccount ("existing mounts at the default mount path
    // prevent mounting of the API token"): an empty read-only directory there keeps the token out
    // of the proxy and the redirect, and leaves the plugin nothing to change when the API server
    // runs it again after ztgate's patch, so the webhook is not reinvoked.
    const noApiToken = {
      name: 'ztgate-workdir',
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      subPath: 'no-api-token',
      readOnly: true,
    };
    expect(proxyOf(injected)['volumeMounts']).toEqual([
      { name: 'ztgate-token', mountPath: '/var/run/secrets/ztgate/tokens', readOnly: true },
      { name: 'ztgate-trust-bundle', mountPath: '/var/run/secrets/ztgate/trust', readOnly: true },
      { name: 'ztgate-workdir', mountPath: '/var/lib/ztgate' },
      noApiToken,
    ]);
    const init = (injected['spec'] as { initContainers: Json[] }).initContainers[0];
    expect(init?.['volumeMounts']).toEqual([noApiToken]);
    const volumes = (injected['spec'] as { volumes: Json[] }).volumes;
    expect(volumes[0]).toEqual({
      name: 'ztgate-token',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { audience: 'ztgate-mtls', expirationSeconds: 3600, path: 'token' } },
        ],
      },
    });
    expect(volumes[1]).toEqual({ name: 'ztgate-trust-bundle', configMap: { name: 'ztgate-trust-bundle' } });
  });
});

describe('volume names', () => {
  it.each([
    [[], ['ztgate-token', 'ztgate-trust-bundle', 'ztgate-workdir']],
    [['ztgate-token'], ['ztgate-token-1', 'ztgate-trust-bundle', 'ztgate-workdir']],
    [
      ['ztgate-token', 'ztgate-token-1', 'ztgate-workdir'],
      ['ztgate-token-2', 'ztgate-trust-bundle', 'ztgate-workdir-1'],
    ],
    [
      ['ztgate-trust-bundle', 'data'],
      ['ztgate-token', 'ztgate-trust-bundle-1', 'ztgate-workdir'],
    ],
  ])('pod volumes %j → ztgate volumes %j', (taken, expected) => {
    const volumes = taken.map((name) => ({ name, emptyDir: {} }));
    const injected = inject(pod({ containers: [app], volumes }));
    const names = (injected['spec'] as { volumes: Json[] }).volumes.map((volume) => volume['name']);
    expect(names).toEqual([...taken, ...expected]);
    const mounts = proxyOf(injected)['volumeMounts'] as Json[];
    // The workdir twice: the proxy's scratch dir and the empty directory over the API token's path.
    expect(mounts.map((mount) => mount['name'])).toEqual([...expected, expected[2]]);
    const status = JSON.parse(
      String((injected['metadata'] as Json & { annotations: Json }).annotations[STATUS_ANNOTATION]),
    );
    expect(status.volumes).toEqual(expected);
  });
});

describe('jobs', () => {
  const job = { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u', controller: true };
  it.each([
    ['restartPolicy Never', { restartPolicy: 'Never' }, {}, false, {}, 'true'],
    ['restartPolicy OnFailure', { restartPolicy: 'OnFailure' }, {}, false, {}, 'true'],
    ['a Job owner', {}, { ownerReferences: [job] }, false, {}, 'true'],
    ['a Job template (context.job)', {}, {}, false, { job: true }, 'true'],
    ['restartPolicy Always', { restartPolicy: 'Always' }, {}, false, {}, undefined],
    ['native mode (the kubelet stops native sidecars)', { restartPolicy: 'Never' }, {}, true, {}, undefined],
  ])('%s → ZTGATE_EXIT_ON_APP_EXIT=%s', (_name, spec, metadata, native, options, expected) => {
    const input = pod({ ...spec, containers: [app] }, { name: 'p', ...metadata });
    const proxy = proxyOf(inject(input, { native, ...options }));
    expect(envOf(proxy)['ZTGATE_EXIT_ON_APP_EXIT']).toBe(expected);
  });
});

describe('probes', () => {
  it('records the original probes for the proxy and rewrites them to its health port', () => {
    const web = {
      name: 'web',
      ports: [{ name: 'http', containerPort: 8080 }],
      livenessProbe: { httpGet: { path: '/live', port: 'http' }, timeoutSeconds: 4, periodSeconds: 7 },
      readinessProbe: { tcpSocket: { port: 8080 } },
      startupProbe: { exec: { command: ['true'] } },
    };
    const injected = inject(pod({ containers: [web] }));
    const spec = injected['spec'] as { containers: Json[] };
    expect(spec.containers[1]?.['livenessProbe']).toEqual({
      httpGet: { path: '/app-health/web/livez', port: 15021, scheme: 'HTTP' },
      timeoutSeconds: 4,
      periodSeconds: 7,
    });
    expect(spec.containers[1]?.['readinessProbe']).toEqual({
      httpGet: { path: '/app-health/web/readyz', port: 15021, scheme: 'HTTP' },
    });
    expect(spec.containers[1]?.['startupProbe']).toEqual({ exec: { command: ['true'] } });
    expect(JSON.parse(String(envOf(proxyOf(injected))['ZTGATE_APP_PROBES']))).toEqual({
      '/app-health/web/livez': { httpGet: { path: '/live', port: 8080 }, timeoutSeconds: 4 },
      '/app-health/web/readyz': { tcpSocket: { port: 8080 } },
    });
    // The health port is never captured, so the kubelet reaches the proxy in plaintext.
    const init = (injected['spec'] as { initContainers: Json[] }).initContainers[0] ?? {};
    expect(init['args']).toContain('--exclude-inbound-ports=15021');
  });

  // Kubernetes >= 1.28 probes restartable init containers (the app's native sidecars) like containers.
  it.each([
    ['classic', false, 2],
    ['native', true, 3],
  ] as const)(
    "rewrites the probes of the app's restartable init containers (%s mode), not of ordinary ones",
    (_mode, native, index) => {
      const migrate = { name: 'migrate', image: 'm' };
      const cache = {
        name: 'cache',
        restartPolicy: 'Always',
        ports: [{ name: 'redis', containerPort: 6379 }],
        readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 3 },
      };
      const injected = inject(pod({ initContainers: [migrate, cache], containers: [app] }), { native });
      const init = (injected['spec'] as { initContainers: Json[] }).initContainers;
      expect(init.map((container) => container['name'])).toEqual(
        native ? ['ztgate-init', 'ztgate-proxy', 'migrate', 'cache'] : ['ztgate-init', 'migrate', 'cache'],
      );
      expect(init[index]?.['readinessProbe']).toEqual({
        httpGet: { path: '/app-health/cache/readyz', port: 15021, scheme: 'HTTP' },
        periodSeconds: 3,
      });
      expect(init[index - 1]).toEqual(migrate);
      expect(JSON.parse(String(envOf(proxyOf(injected))['ZTGATE_APP_PROBES']))).toEqual({
        '/app-health/cache/readyz': { tcpSocket: { port: 6379 } },
      });
    },
  );

  it.each([
    ['an unknown named port', { httpGet: { path: '/', port: 'nope' } }],
    ['another host', { httpGet: { host: 'example.com', path: '/', port: 80 } }],
    ['an exec probe', { exec: { command: ['true'] } }],
  ])('leaves a probe with %s alone', (_name, probe) => {
    const injected = inject(pod({ containers: [{ name: 'web', readinessProbe: probe }] }));
    expect((injected['spec'] as { containers: Json[] }).containers[1]?.['readinessProbe']).toEqual(probe);
    expect(envOf(proxyOf(injected))['ZTGATE_APP_PROBES']).toBeUndefined();
  });
});

describe('annotations and metadata', () => {
  it('adds to existing annotations with escaped keys and ignores managedFields', () => {
    const input = pod(
      { containers: [app] },
      { name: 'p', annotations: { 'a/b~c': 'x' }, managedFields: [{ manager: 'kubectl', fieldsV1: {} }] },
    );
    const ops = buildSidecarPatch(input, config, { namespace: 'shop' });
    expect(ops.slice(0, 2).map((op) => op.path)).toEqual([
      '/metadata/annotations/ztgate.dev~1injected',
      '/metadata/annotations/ztgate.dev~1status',
    ]);
    expect(ops.some((op) => op.path.includes('managedFields'))).toBe(false);
    const injected = jsonpatch.apply_patch(input, ops) as KubeObject;
    expect(injected.metadata?.annotations?.['a/b~c']).toBe('x');
    expect(JSON.parse(injected.metadata?.annotations?.[STATUS_ANNOTATION] ?? '')).toEqual({
      containers: ['ztgate-proxy'],
      initContainers: ['ztgate-init'],
      volumes: ['ztgate-token', 'ztgate-trust-bundle', 'ztgate-workdir'],
      rewrittenProbes: [],
    });
  });

  it('creates metadata when a template has none', () => {
    const ops = buildSidecarPatch({ spec: { containers: [app] } }, config, { namespace: 'shop' });
    expect(ops[0]).toEqual({
      op: 'add',
      path: '/metadata',
      value: { annotations: { [INJECTED_ANNOTATION]: 'true', [STATUS_ANNOTATION]: expect.any(String) } },
    });
  });

  it('lists native-mode containers as init containers in the status', () => {
    const injected = inject(pod({ containers: [app] }), { native: true }) as KubeObject;
    expect(JSON.parse(injected.metadata?.annotations?.[STATUS_ANNOTATION] ?? '')).toMatchObject({
      containers: [],
      initContainers: ['ztgate-init', 'ztgate-proxy'],
    });
  });
});

describe('probe rewriting', () => {
  it('keeps the timing fields, replaces the handler, and drops a __proto__ key instead of setting a prototype', () => {
    const probe = JSON.parse(
      '{"tcpSocket":{"port":8080},"periodSeconds":5,"__proto__":{"polluted":true},"failureThreshold":3}',
    ) as Json;
    const input = pod({ containers: [{ ...app, readinessProbe: probe }] });
    const ops = buildSidecarPatch(input, config, { namespace: 'shop' });
    const replaced = ops.find((op) => op.path === '/spec/containers/0/readinessProbe');
    const value = (replaced as { value: Json } | undefined)?.value ?? {};
    expect(Object.keys(value)).toEqual(['httpGet', 'periodSeconds', 'failureThreshold']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    expect(value['httpGet']).toEqual({
      path: '/app-health/app/readyz',
      port: config.ports.health,
      scheme: 'HTTP',
    });
  });
});
