import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { mtlsSidecarRule } from '../../../src/policy/rules/mtls-sidecar.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { toWorkload } from '../../../src/policy/workload.js';
import { EMPTY_VIEW } from '../rules/context.js';
import { istioInit, istioInjectedPod, istioIptablesArgs, istioProxy } from '../../support/mesh-pods.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests edit pods freely

/** The mtls-sidecar findings on a pod (CREATE; `beforeMutation` for ztgate check). */
function paths(object: KubeObject, config: ZtgateConfig = DEFAULT_CONFIG, beforeMutation = false): string[] {
  const workload = toWorkload(object);
  return mtlsSidecarRule
    .check({
      input: { operation: 'CREATE', object, beforeMutation },
      view: EMPTY_VIEW,
      config,
      workload,
      policy: undefined,
      oldPolicy: undefined,
    })
    .map((v) => v.path);
}

function edited(edit: (pod: Json) => void, options = {}): KubeObject {
  const pod = structuredClone(istioInjectedPod(options)) as Json;
  edit(pod);
  return pod as KubeObject;
}

const proxyOf = (pod: Json): Json => pod['spec']['containers'][0];
const initOf = (pod: Json): Json => pod['spec']['initContainers'][0];
const withArgs =
  (args: string[]) =>
  (pod: Json): void => {
    initOf(pod)['args'] = args;
  };
const replaceArg =
  (flag: string, value: string) =>
  (pod: Json): void => {
    const args = istioIptablesArgs();
    args[args.indexOf(flag) + 1] = value;
    initOf(pod)['args'] = args;
  };

describe('mtls-sidecar under Istio: injected pods pass', () => {
  it.each([
    ['classic', {}],
    ['native sidecar', { native: true }],
    ['CNI mode (istio-validation)', { cni: true }],
    ['native with CNI', { native: true, cni: true }],
  ])('%s', (_name, options) => {
    expect(paths(istioInjectedPod(options))).toEqual([]);
  });

  it.each([
    [
      'a mirror the admin listed',
      {
        ...DEFAULT_CONFIG,
        mesh: { ...DEFAULT_CONFIG.mesh, proxyImages: ['my.registry:5000/mirror/istio/proxyv2'] },
      },
      'my.registry:5000/mirror/istio/proxyv2:1.24',
    ],
    ['the GCR release by digest', DEFAULT_CONFIG, `gcr.io/istio-release/proxyv2@sha256:${'b'.repeat(64)}`],
  ])('with %s', (_name, config, image) => {
    const pod = edited((p) => {
      proxyOf(p)['image'] = image;
      initOf(p)['image'] = image;
    });
    expect(paths(pod, config)).toEqual([]);
  });

  it('with the resources and log level a user may override', () => {
    const pod = edited((p) => {
      proxyOf(p)['resources'] = { limits: { memory: '1Gi' } };
      proxyOf(p)['args'] = [
        'proxy',
        'sidecar',
        '--domain',
        '$(POD_NAMESPACE).svc.cluster.local',
        '--proxyLogLevel=debug',
        '--log_as_json',
      ];
    });
    expect(paths(pod)).toEqual([]);
  });

  it('with an approved exclusion in the redirect', () => {
    const config: ZtgateConfig = {
      ...DEFAULT_CONFIG,
      mesh: {
        ...DEFAULT_CONFIG.mesh,
        exceptions: [
          {
            namespace: 'shop',
            workload: 'web',
            annotations: { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '169.254.169.254/32' },
          },
        ],
      },
    };
    expect(paths(edited(replaceArg('-x', '169.254.169.254/32')), config)).toEqual([]);
    expect(paths(edited(replaceArg('-x', '10.0.0.0/8')), config)).toEqual(['spec.initContainers[0].args']);
  });
});

type Case = [string, (pod: Json) => unknown, string[]];

describe('mtls-sidecar under Istio: what is refused', () => {
  it.each<Case>([
    ['no proxy', (p: Json) => p['spec']['containers'].shift(), ['spec.containers']],
    ['no redirect', (p: Json) => (p['spec']['initContainers'] = []), ['spec.initContainers']],
    // The name alone proves nothing: a user-declared istio-proxy's fields win over the template.
    [
      'a fake proxy image',
      (p: Json) => (proxyOf(p)['image'] = 'docker.io/attacker/proxyv2:1.24.0'),
      ['spec.containers[0].image'],
    ],
    [
      'a look-alike image name',
      (p: Json) => (proxyOf(p)['image'] = 'evil.io/proxyv2-fake:1'),
      ['spec.containers[0].image'],
    ],
    [
      'a proxy command',
      (p: Json) => (proxyOf(p)['command'] = ['sleep', 'infinity']),
      ['spec.containers[0].command'],
    ],
    [
      'a proxy that is no sidecar',
      (p: Json) => (proxyOf(p)['args'] = ['proxy', 'router']),
      ['spec.containers[0].args'],
    ],
    [
      'an unknown agent flag',
      (p: Json) => proxyOf(p)['args'].push('--templateFile=/tmp/x'),
      ['spec.containers[0].args'],
    ],
    // Istio moves the redirect's exempt uid to the uid a user-declared proxy sets.
    [
      'the proxy on another uid',
      (p: Json) => (proxyOf(p)['securityContext']['runAsUser'] = 1000),
      ['spec.containers[0].securityContext.runAsUser'],
    ],
    [
      'the proxy as root',
      (p: Json) => (proxyOf(p)['securityContext']['runAsUser'] = 0),
      ['spec.containers[0].securityContext.runAsUser'],
    ],
    [
      'a privileged proxy',
      (p: Json) => (proxyOf(p)['securityContext']['privileged'] = true),
      ['spec.containers[0].securityContext.privileged'],
    ],
    [
      'a proxy with NET_ADMIN',
      (p: Json) => (proxyOf(p)['securityContext']['capabilities']['add'] = ['NET_ADMIN']),
      ['spec.containers[0].securityContext.capabilities.add'],
    ],
    [
      'a bootstrap override env',
      (p: Json) => proxyOf(p)['env'].push({ name: 'ISTIO_BOOTSTRAP_OVERRIDE', value: '/x.json' }),
      ['spec.containers[0].env'],
    ],
    [
      'envFrom on the proxy',
      (p: Json) => (proxyOf(p)['envFrom'] = [{ configMapRef: { name: 'x' } }]),
      ['spec.containers[0].envFrom'],
    ],
    [
      'another control plane in PROXY_CONFIG',
      (p: Json) =>
        (proxyOf(p)['env'].find((e: Json) => e['name'] === 'PROXY_CONFIG')['value'] =
          '{"discoveryAddress":"evil.example:15012"}'),
      ['spec.containers[0].env'],
    ],
    [
      'interception NONE in PROXY_CONFIG',
      (p: Json) =>
        (proxyOf(p)['env'].find((e: Json) => e['name'] === 'PROXY_CONFIG')['value'] =
          '{"interceptionMode":"NONE"}'),
      ['spec.containers[0].env'],
    ],
    [
      'a PROXY_CONFIG that is no JSON',
      (p: Json) => (proxyOf(p)['env'].find((e: Json) => e['name'] === 'PROXY_CONFIG')['value'] = 'x: 1'),
      ['spec.containers[0].env'],
    ],
    [
      'a custom bootstrap mounted',
      (p: Json) => proxyOf(p)['volumeMounts'].push({ name: 'b', mountPath: '/etc/istio/custom-bootstrap' }),
      ['spec.containers[0].volumeMounts'],
    ],
    [
      'a native proxy without restartPolicy',
      (p: Json) => delete p['spec']['initContainers'][1]['restartPolicy'],
      ['spec.initContainers[1].restartPolicy'],
    ],
    // The redirect: every flag judged by value.
    [
      'a redirect image elsewhere',
      (p: Json) => (initOf(p)['image'] = 'busybox'),
      ['spec.initContainers[0].image'],
    ],
    [
      'a redirect command',
      (p: Json) => (initOf(p)['command'] = ['sh', '-c', 'true']),
      ['spec.initContainers[0].command'],
    ],
    ['no istio-iptables', withArgs(['sleep', '1']), ['spec.initContainers[0].args']],
    ['outbound capture narrowed (-i)', replaceArg('-i', '10.0.0.0/8'), ['spec.initContainers[0].args']],
    ['outbound ranges excluded (-x)', replaceArg('-x', '0.0.0.0/0'), ['spec.initContainers[0].args']],
    ['inbound capture narrowed (-b)', replaceArg('-b', '8080'), ['spec.initContainers[0].args']],
    [
      'the app port excluded inbound (-d)',
      replaceArg('-d', '15090,15021,15020,8080'),
      ['spec.initContainers[0].args'],
    ],
    ['another exempt uid (-u)', replaceArg('-u', '1000'), ['spec.initContainers[0].args']],
    ['interception NONE (-m)', replaceArg('-m', 'NONE'), ['spec.initContainers[0].args']],
    [
      'outbound ports excluded (-o)',
      withArgs([...istioIptablesArgs(), '-o', '443']),
      ['spec.initContainers[0].args'],
    ],
    [
      'interfaces excluded (-c)',
      withArgs([...istioIptablesArgs(), '-c', 'eth1']),
      ['spec.initContainers[0].args'],
    ],
    ['a dry run', withArgs([...istioIptablesArgs(), '--dry-run']), ['spec.initContainers[0].args']],
    [
      'istio-init that applies no rules',
      withArgs(istioIptablesArgs(['--skip-rule-apply'])),
      ['spec.initContainers[0].args'],
    ],
    ['a flag given twice', withArgs([...istioIptablesArgs(), '-b', '8080']), ['spec.initContainers[0].args']],
    [
      'a capture flag missing',
      withArgs(istioIptablesArgs().filter((a, i, all) => a !== '-b' && all[i - 1] !== '-b')),
      ['spec.initContainers[0].args'],
    ],
    // istio-iptables reads its settings from env too (BindEnv).
    [
      'DRY_RUN in the redirect env',
      (p: Json) => (initOf(p)['env'] = [{ name: 'DRY_RUN', value: 'true' }]),
      ['spec.initContainers[0].env'],
    ],
    [
      'an excluded range by env',
      (p: Json) => (initOf(p)['env'] = [{ name: 'ISTIO_SERVICE_EXCLUDE_CIDR', value: '0.0.0.0/0' }]),
      ['spec.initContainers[0].env'],
    ],
    [
      'envFrom on the redirect',
      (p: Json) => (initOf(p)['envFrom'] = [{ secretRef: { name: 'x' } }]),
      ['spec.initContainers[0].envFrom'],
    ],
    [
      'a redirect with SYS_ADMIN',
      (p: Json) => initOf(p)['securityContext']['capabilities']['add'].push('SYS_ADMIN'),
      ['spec.initContainers[0].securityContext.capabilities.add'],
    ],
    [
      'an app init container before the redirect',
      (p: Json) => p['spec']['initContainers'].unshift({ name: 'fetch', image: 'curl' }),
      ['spec.initContainers[1].name'],
    ],
    [
      'the redirect as an app container',
      (p: Json) => p['spec']['containers'].push(p['spec']['initContainers'].shift()),
      ['spec.containers[2].name'],
    ],
  ])('%s', (_name, edit, expected) => {
    const options = _name.startsWith('a native') ? { native: true } : {};
    expect(paths(edited(edit, options))).toEqual(expected);
  });

  it('istio-validation must validate (with the CNI the validation container is the proof)', () => {
    const pod = edited((p) => (initOf(p)['args'] = istioIptablesArgs(['--run-validation'])), { cni: true });
    expect(paths(pod)).toEqual(['spec.initContainers[0].args']);
  });

  it('says what was refused in the message', () => {
    const object = edited((p) => (proxyOf(p)['image'] = 'docker.io/attacker/proxyv2:1'));
    const [violation] = mtlsSidecarRule.check({
      input: { operation: 'CREATE', object },
      view: EMPTY_VIEW,
      config: DEFAULT_CONFIG,
      workload: toWorkload(object),
      policy: undefined,
      oldPolicy: undefined,
    });
    expect(violation?.message).toContain(
      'container "istio-proxy" runs image "docker.io/attacker/proxyv2:1", which is not in mesh.proxyImages',
    );
    expect(violation?.value).toBe('docker.io/attacker/proxyv2:1');
  });

  // An admin whose injector pulls from a private mirror (Istio's global.hub) fixes it in one read:
  // the fix is the mesh.proxyImages list to paste, the defaults kept, the mirror's repository added
  // once for the proxy and istio-init (both run proxyv2).
  it('offers the mirror entry for mesh.proxyImages, and that config admits the pod', () => {
    const mirror = 'my.registry:5000/mirror/istio/proxyv2:1.24.0';
    const object = edited((p) => {
      proxyOf(p)['image'] = mirror;
      initOf(p)['image'] = mirror;
    });
    const check = (config: ZtgateConfig) =>
      mtlsSidecarRule.check({
        input: { operation: 'CREATE', object },
        view: EMPTY_VIEW,
        config,
        workload: toWorkload(object),
        policy: undefined,
        oldPolicy: undefined,
      });
    const violations = check(DEFAULT_CONFIG);
    expect(violations.map((v) => v.path)).toEqual([
      'spec.containers[0].image',
      'spec.initContainers[0].image',
    ]);
    const fix = violations[0]?.fix ?? '';
    expect(violations[1]?.fix).toBe(fix);
    expect(fix).toContain('mesh.proxyImages');
    const pasted = parse(fix) as { mesh: { proxyImages: string[] } };
    expect(pasted.mesh.proxyImages).toEqual([
      'docker.io/istio/proxyv2',
      'gcr.io/istio-release/proxyv2',
      'my.registry:5000/mirror/istio/proxyv2',
    ]);
    expect(check({ ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, ...pasted.mesh } })).toEqual([]);
  });
});

describe('mtls-sidecar under Istio, before injection (ztgate check, pod templates)', () => {
  const bare: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  };
  const declaring = (container: Json): KubeObject => ({
    ...bare,
    spec: { containers: [container, { name: 'app', image: 'app:1' }] },
  });

  it('expects the injector to add the proxy', () => {
    expect(paths(bare, DEFAULT_CONFIG, true)).toEqual([]);
  });

  it.each([
    [
      'resources only (merged over the template)',
      { name: 'istio-proxy', resources: { limits: { cpu: '1' } } },
    ],
    ['image auto', { name: 'istio-proxy', image: 'auto' }],
    ['the real image', { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0' }],
  ])('allows a declared istio-proxy with %s', (_name, container) => {
    expect(paths(declaring(container), DEFAULT_CONFIG, true)).toEqual([]);
  });

  it.each([
    [
      'a fake image',
      { name: 'istio-proxy', image: 'docker.io/attacker/proxyv2:1' },
      'spec.containers[0].image',
    ],
    ['a command', { name: 'istio-proxy', command: ['sh'] }, 'spec.containers[0].command'],
    [
      'uid 0',
      { name: 'istio-proxy', securityContext: { runAsUser: 0 } },
      'spec.containers[0].securityContext.runAsUser',
    ],
  ])('refuses a declared istio-proxy with %s', (_name, container, path) => {
    expect(paths(declaring(container), DEFAULT_CONFIG, true)).toEqual([path]);
  });

  it('refuses a declared istio-init that skips the redirect, also on a Deployment (UPDATE too)', () => {
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            initContainers: [{ ...istioInit(), args: ['istio-iptables', '--dry-run'] }],
            containers: [istioProxy(), { name: 'app' }],
          },
        },
      },
    };
    const workload = toWorkload(deployment);
    const found = mtlsSidecarRule
      .check({
        input: { operation: 'UPDATE', object: deployment },
        view: EMPTY_VIEW,
        config: DEFAULT_CONFIG,
        workload,
        policy: undefined,
        oldPolicy: undefined,
      })
      .map((v) => v.path);
    expect(found).toEqual(['spec.initContainers[0].args']);
  });
});

describe('mtls-sidecar under Istio ambient', () => {
  it('verifies no container: ztunnel carries mTLS, istio-cni redirects after scheduling', () => {
    const ambient: ZtgateConfig = {
      ...DEFAULT_CONFIG,
      mesh: { ...DEFAULT_CONFIG.mesh, provider: 'istio-ambient' },
    };
    const bare: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
    };
    expect(paths(bare, ambient)).toEqual([]);
  });
});
