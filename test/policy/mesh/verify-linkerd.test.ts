import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { mtlsSidecarRule } from '../../../src/policy/rules/mtls-sidecar.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { toWorkload } from '../../../src/policy/workload.js';
import { EMPTY_VIEW } from '../rules/context.js';
import { linkerdInitArgs, linkerdInjectedPod, linkerdProxy } from '../../support/mesh-pods.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests edit pods freely

const linkerd: ZtgateConfig = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'linkerd' } };

function paths(object: KubeObject, config: ZtgateConfig = linkerd, beforeMutation = false): string[] {
  return mtlsSidecarRule
    .check({
      input: { operation: 'CREATE', object, beforeMutation },
      view: EMPTY_VIEW,
      config,
      workload: toWorkload(object),
      policy: undefined,
      oldPolicy: undefined,
    })
    .map((v) => v.path);
}

function edited(edit: (pod: Json) => void, options = {}): KubeObject {
  const pod = structuredClone(linkerdInjectedPod(options)) as Json;
  edit(pod);
  return pod as KubeObject;
}

const proxyOf = (pod: Json): Json => pod['spec']['containers'][0];
const initOf = (pod: Json): Json => pod['spec']['initContainers'][0];
const setFlag =
  (flag: string, value: string) =>
  (pod: Json): void => {
    const args = linkerdInitArgs();
    const at = args.indexOf(flag);
    if (at === -1) args.push(flag, value);
    else args[at + 1] = value;
    initOf(pod)['args'] = args;
  };

describe('mtls-sidecar under Linkerd: injected pods pass', () => {
  it.each([
    ['classic', {}],
    ['native sidecar', { native: true }],
    ['CNI mode (linkerd-network-validator)', { cni: true }],
  ])('%s', (_name, options) => {
    expect(paths(linkerdInjectedPod(options))).toEqual([]);
  });

  it.each([
    [
      'the older proxy-init image and entrypoint',
      (p: Json) => {
        initOf(p)['image'] = 'cr.l5d.io/linkerd/proxy-init:v2.4.1';
        delete initOf(p)['command'];
      },
    ],
    [
      'iptables-legacy',
      (p: Json) => {
        initOf(p)['args'] = linkerdInitArgs().map((a) => a.replace('-nft', '-legacy'));
      },
    ],
    ['IPv6 off and a log level', (p: Json) => initOf(p)['args'].push('--ipv6=false', '--log-level', 'debug')],
    ['the proxy gid set install-wide to the proxy uid', setFlag('--proxy-gid', '2102')],
    ['a deny default policy', (p: Json) => (p['spec']['containers'][0] = linkerdProxy(false, 'deny'))],
  ])('with %s', (_name, edit) => {
    expect(paths(edited(edit))).toEqual([]);
  });

  it('with an approved skipped port', () => {
    const config: ZtgateConfig = {
      ...linkerd,
      mesh: {
        ...linkerd.mesh,
        exceptions: [
          { namespace: 'shop', workload: '', annotations: { 'config.linkerd.io/skip-outbound-ports': '25' } },
        ],
      },
    };
    expect(paths(edited(setFlag('--outbound-ports-to-ignore', '4567,4568,25')), config)).toEqual([]);
    expect(paths(edited(setFlag('--outbound-ports-to-ignore', '4567,4568,25,443')), config)).toEqual([
      'spec.initContainers[0].args',
    ]);
  });
});

type Case = [string, (pod: Json) => unknown, string[]];

describe('mtls-sidecar under Linkerd: what is refused', () => {
  it.each<Case>([
    ['no proxy', (p: Json) => p['spec']['containers'].shift(), ['spec.containers']],
    ['no redirect', (p: Json) => (p['spec']['initContainers'] = []), ['spec.initContainers']],
    [
      'a fake proxy image',
      (p: Json) => (proxyOf(p)['image'] = 'ghcr.io/attacker/proxy:1'),
      ['spec.containers[0].image'],
    ],
    [
      'a proxy command',
      (p: Json) => (proxyOf(p)['command'] = ['sh', '-c', 'sleep 1d']),
      ['spec.containers[0].command'],
    ],
    ['proxy arguments', (p: Json) => (proxyOf(p)['args'] = ['--x']), ['spec.containers[0].args']],
    [
      'the proxy on another uid',
      (p: Json) => (proxyOf(p)['securityContext']['runAsUser'] = 1000),
      ['spec.containers[0].securityContext.runAsUser'],
    ],
    [
      'a weak default policy in the proxy',
      (p: Json) => (p['spec']['containers'][0] = linkerdProxy(false, 'all-unauthenticated')),
      ['spec.containers[0].env'],
    ],
    [
      'identity disabled',
      (p: Json) => proxyOf(p)['env'].push({ name: 'LINKERD2_PROXY_IDENTITY_DISABLED', value: 'x' }),
      ['spec.containers[0].env'],
    ],
    [
      'a redirect command elsewhere',
      (p: Json) => (initOf(p)['command'] = ['/bin/true']),
      ['spec.initContainers[0].command'],
    ],
    ['another exempt uid', setFlag('--proxy-uid', '1000'), ['spec.initContainers[0].args']],
    ['another exempt gid', setFlag('--proxy-gid', '1000'), ['spec.initContainers[0].args']],
    [
      'the app port skipped inbound',
      setFlag('--inbound-ports-to-ignore', '4190,4191,8080'),
      ['spec.initContainers[0].args'],
    ],
    [
      'outbound 443 skipped',
      setFlag('--outbound-ports-to-ignore', '4567,4568,443'),
      ['spec.initContainers[0].args'],
    ],
    ['subnets skipped', setFlag('--subnets-to-ignore', '0.0.0.0/0'), ['spec.initContainers[0].args']],
    [
      'a firewall binary that installs nothing',
      setFlag('--firewall-bin-path', '/bin/true'),
      ['spec.initContainers[0].args'],
    ],
    ['a simulated run', (p: Json) => initOf(p)['args'].push('--simulate'), ['spec.initContainers[0].args']],
    [
      'the proxy uid missing',
      (p: Json) => (initOf(p)['args'] = linkerdInitArgs().slice(0, 8)),
      ['spec.initContainers[0].args'],
    ],
    [
      'an app init container first',
      (p: Json) => p['spec']['initContainers'].unshift({ name: 'migrate', image: 'db' }),
      ['spec.initContainers[1].name'],
    ],
  ])('%s', (_name, edit, expected) => {
    expect(paths(edited(edit))).toEqual(expected);
  });

  it.each([
    // A loopback target would reach the validator's own listener without any redirect.
    ['a loopback connect address', (p: Json) => (initOf(p)['args'][5] = '127.0.0.1:4140')],
    ['another listen port', (p: Json) => (initOf(p)['args'][7] = '[::]:9999')],
    ['another command', (p: Json) => (initOf(p)['command'] = ['/bin/true'])],
  ])('the CNI validator with %s', (_name, edit) => {
    expect(paths(edited(edit, { cni: true })).length).toBeGreaterThan(0);
  });
});

// Linkerd's proxy and proxy-init are two repositories: a mirror needs both, in one fix.
describe('mtls-sidecar under Linkerd: a private mirror', () => {
  it('offers both repositories for mesh.proxyImages, and that config admits the pod', () => {
    const object = edited((p) => {
      proxyOf(p)['image'] = 'registry.corp.example/l5d/proxy:edge-24.11.8';
      initOf(p)['image'] = 'registry.corp.example/l5d/proxy-init:v2.4.1';
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
    const violations = check(linkerd);
    expect(violations.map((v) => [v.path, v.value])).toEqual([
      ['spec.containers[0].image', 'registry.corp.example/l5d/proxy:edge-24.11.8'],
      ['spec.initContainers[0].image', 'registry.corp.example/l5d/proxy-init:v2.4.1'],
    ]);
    const pasted = parse(violations[0]?.fix ?? '') as { mesh: { proxyImages: string[] } };
    expect(violations[1]?.fix).toBe(violations[0]?.fix);
    expect(pasted.mesh.proxyImages).toEqual([
      'cr.l5d.io/linkerd/proxy',
      'cr.l5d.io/linkerd/proxy-init',
      'registry.corp.example/l5d/proxy',
      'registry.corp.example/l5d/proxy-init',
    ]);
    expect(check({ ...linkerd, mesh: { ...linkerd.mesh, ...pasted.mesh } })).toEqual([]);
  });
});

describe('mtls-sidecar under Linkerd, before injection', () => {
  const withContainers = (containers: Json[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { containers: [...containers, { name: 'app', image: 'app:1' }] },
  });

  it('expects the injector to add the proxy', () => {
    expect(paths(withContainers([]), linkerd, true)).toEqual([]);
  });

  // Linkerd's injector skips a pod that already has a proxy: a declared one stays as written.
  it('judges a declared linkerd-proxy as final, its missing redirect included', () => {
    expect(
      paths(
        withContainers([{ name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy:edge-24.11.8' }]),
        linkerd,
        true,
      ),
    ).toEqual([
      'spec.initContainers',
      'spec.containers[0].securityContext.runAsUser',
      'spec.containers[0].env',
    ]);
  });

  it("refuses Istio's proxy name, which makes Linkerd skip the pod", () => {
    expect(paths(withContainers([{ name: 'istio-proxy', image: 'x' }]), linkerd, true)).toEqual([
      'spec.containers[0].name',
    ]);
  });
});
