import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { mtlsSidecarRule } from '../../../src/policy/rules/mtls-sidecar.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import { EMPTY_VIEW, workloadOf } from './context.js';
import { injectPodTemplate } from '../../../src/policy/sidecar/index.js';
import type { KubeObject, Workload } from '../../../src/policy/types.js';

const nativeConfig: ZtgateConfig = {
  ...DEFAULT_CONFIG,
  sidecar: { ...DEFAULT_CONFIG.sidecar, native: true },
};

/** The pod spec as ztgate's own mutation leaves it. */
function injectedSpec(spec: Record<string, unknown>, config: ZtgateConfig): Record<string, unknown> {
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w' }, spec };
  return injectPodTemplate(pod, config.sidecar, 'shop')['spec'] as Record<string, unknown>;
}

function check(subject: Workload, config: ZtgateConfig = DEFAULT_CONFIG): { rule: string; path: string }[] {
  const context: RuleContext = {
    input: { operation: 'CREATE', object: subject.object },
    view: EMPTY_VIEW,
    config,
    workload: subject,
    policy: undefined,
    oldPolicy: undefined,
  };
  return mtlsSidecarRule.check(context).map(({ rule, path }) => ({ rule, path }));
}

const app = { name: 'app', image: 'i' };
const proxyImage = DEFAULT_CONFIG.sidecar.image;
const initImage = DEFAULT_CONFIG.sidecar.initImage;

describe('mtls-sidecar', () => {
  it('judges workloads on CREATE only', () => {
    expect({ appliesTo: mtlsSidecarRule.appliesTo, operations: mtlsSidecarRule.operations }).toEqual({
      appliesTo: 'workload',
      operations: ['CREATE'],
    });
  });

  it.each([
    [
      'an injected pod (classic)',
      workloadOf('Pod', 'shop', injectedSpec({ containers: [app] }, DEFAULT_CONFIG)),
      DEFAULT_CONFIG,
    ],
    [
      'an injected pod (native)',
      workloadOf('Pod', 'shop', injectedSpec({ containers: [app] }, nativeConfig)),
      nativeConfig,
    ],
    [
      'a Deployment (its pods pass through /mutate)',
      workloadOf('Deployment', 'shop', { containers: [app] }),
      DEFAULT_CONFIG,
    ],
    ['a pod in an exempt namespace', workloadOf('Pod', 'kube-system', { containers: [app] }), DEFAULT_CONFIG],
    [
      'a hostNetwork pod (no-host-network reports it)',
      workloadOf('Pod', 'shop', { hostNetwork: true, containers: [app] }),
      DEFAULT_CONFIG,
    ],
  ])('allows %s', (_name, subject, config) => {
    expect(check(subject, config)).toEqual([]);
  });

  it.each([
    [
      'a pod without ztgate containers (classic)',
      { containers: [app] },
      DEFAULT_CONFIG,
      [
        { rule: 'mtls-sidecar', path: 'spec.containers' },
        { rule: 'mtls-sidecar', path: 'spec.initContainers' },
      ],
    ],
    [
      'a pod without ztgate containers (native)',
      { containers: [app] },
      nativeConfig,
      [
        { rule: 'mtls-sidecar', path: 'spec.initContainers' },
        { rule: 'mtls-sidecar', path: 'spec.initContainers' },
      ],
    ],
    [
      'a pod whose proxy was stripped',
      { initContainers: [{ name: 'ztgate-init', image: initImage }], containers: [app] },
      DEFAULT_CONFIG,
      [{ rule: 'mtls-sidecar', path: 'spec.containers' }],
    ],
    [
      'a pod whose redirect init container was stripped',
      { containers: [{ name: 'ztgate-proxy', image: proxyImage }, app] },
      DEFAULT_CONFIG,
      [{ rule: 'mtls-sidecar', path: 'spec.initContainers' }],
    ],
    [
      'a pod that names its own container ztgate-proxy (an opt-out attempt)',
      {
        initContainers: [{ name: 'ztgate-init', image: initImage }],
        containers: [app, { name: 'ztgate-proxy', image: 'busybox' }],
      },
      DEFAULT_CONFIG,
      [{ rule: 'mtls-sidecar', path: 'spec.containers[1].image' }],
    ],
    [
      'a pod whose redirect init container runs another image',
      {
        initContainers: [{ name: 'ztgate-init', image: 'alpine' }],
        containers: [{ name: 'ztgate-proxy', image: proxyImage }, app],
      },
      DEFAULT_CONFIG,
      [{ rule: 'mtls-sidecar', path: 'spec.initContainers[0].image' }],
    ],
  ])('refuses %s', (_name, spec, config, expected) => {
    expect(check(workloadOf('Pod', 'shop', spec), config)).toEqual(expected);
  });

  it('refuses a pod that only carries the injected annotation', () => {
    const subject = {
      ...workloadOf('Pod', 'shop', { containers: [app] }),
      podAnnotations: { 'ztgate.dev/injected': 'true' },
    };
    expect(check(subject).map(({ path }) => path)).toEqual(['spec.containers', 'spec.initContainers']);
  });

  it('names the missing container in the message', () => {
    const context: RuleContext = {
      input: { operation: 'CREATE', object: undefined },
      view: EMPTY_VIEW,
      config: DEFAULT_CONFIG,
      workload: workloadOf('Pod', 'shop', { containers: [app] }),
      policy: undefined,
      oldPolicy: undefined,
    };
    const [first] = mtlsSidecarRule.check(context);
    expect(first?.message).toContain('"ztgate-proxy"');
    expect(first?.value).toEqual(['app']);
  });
});
