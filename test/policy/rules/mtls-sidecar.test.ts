import { describe, expect, it } from 'vitest';
import type { ZtgateConfig } from '../../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import { mtlsSidecarRule } from '../../../src/policy/rules/mtls-sidecar.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import { EMPTY_VIEW, workloadOf } from './context.js';
import { injectPodTemplate } from '../../../src/policy/sidecar/index.js';
import type { KubeObject, Workload } from '../../../src/policy/types.js';

const nativeConfig: ZtgateConfig = {
  ...BUILTIN_CONFIG,
  sidecar: { ...BUILTIN_CONFIG.sidecar, native: true },
};

/** The pod spec as ztgate's own mutation leaves it. */
function injectedSpec(spec: Record<string, unknown>, config: ZtgateConfig): Record<string, unknown> {
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w' }, spec };
  return injectPodTemplate(pod, config.sidecar, 'shop')['spec'] as Record<string, unknown>;
}

function check(subject: Workload, config: ZtgateConfig = BUILTIN_CONFIG): { rule: string; path: string }[] {
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
type PodSpec = { initContainers: unknown[]; containers: unknown[] };

describe('mtls-sidecar', () => {
  it('judges workloads on CREATE and UPDATE (Pods on CREATE only: an update cannot add containers)', () => {
    expect({ appliesTo: mtlsSidecarRule.appliesTo, operations: mtlsSidecarRule.operations }).toEqual({
      appliesTo: 'workload',
      operations: ['CREATE', 'UPDATE'],
    });
    const bare = workloadOf('Pod', 'shop', { containers: [app] });
    const context: RuleContext = {
      input: { operation: 'UPDATE', object: bare.object },
      view: EMPTY_VIEW,
      config: BUILTIN_CONFIG,
      workload: bare,
      policy: undefined,
      oldPolicy: undefined,
    };
    expect(mtlsSidecarRule.check(context)).toEqual([]);
  });

  it.each([
    [
      'an injected pod (classic)',
      workloadOf('Pod', 'shop', injectedSpec({ containers: [app] }, BUILTIN_CONFIG)),
      BUILTIN_CONFIG,
    ],
    [
      'an injected pod (native)',
      workloadOf('Pod', 'shop', injectedSpec({ containers: [app] }, nativeConfig)),
      nativeConfig,
    ],
    [
      'a Deployment (its pods pass through /mutate)',
      workloadOf('Deployment', 'shop', { containers: [app] }),
      BUILTIN_CONFIG,
    ],
    ['a pod in an exempt namespace', workloadOf('Pod', 'kube-system', { containers: [app] }), BUILTIN_CONFIG],
    [
      'a hostNetwork pod (no-host-network reports it)',
      workloadOf('Pod', 'shop', { hostNetwork: true, containers: [app] }),
      BUILTIN_CONFIG,
    ],
  ])('allows %s', (_name, subject, config) => {
    expect(check(subject, config)).toEqual([]);
  });

  it.each([
    [
      'a pod without ztgate containers (classic)',
      { containers: [app] },
      BUILTIN_CONFIG,
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
  ])('refuses %s', (_name, spec, config, expected) => {
    expect(check(workloadOf('Pod', 'shop', spec), config)).toEqual(expected);
  });

  /** An injected pod spec (classic: init first, proxy first) with one change applied. */
  function injectedWith(change: (spec: PodSpec) => void, config: ZtgateConfig = BUILTIN_CONFIG): Workload {
    const spec = structuredClone(
      injectedSpec({ serviceAccountName: 'web', containers: [app] }, config),
    ) as PodSpec;
    change(spec);
    return workloadOf('Pod', 'shop', spec);
  }
  const init = (spec: PodSpec) => spec.initContainers[0] as Record<string, unknown>;
  const proxy = (spec: PodSpec) => spec.containers[0] as Record<string, unknown>;

  it.each([
    ['the proxy stripped', (spec: PodSpec) => spec.containers.splice(0, 1), ['spec.containers']],
    [
      'the redirect init container stripped',
      (spec: PodSpec) => spec.initContainers.splice(0, 1),
      ['spec.initContainers'],
    ],
    [
      'capture exclusions written by the pod author',
      (spec: PodSpec) => (init(spec)['args'] as string[]).push('--exclude-outbound-cidrs=0.0.0.0/0'),
      ['spec.initContainers[0].args'],
    ],
    [
      'a command that skips the redirect',
      (spec: PodSpec) => (init(spec)['command'] = ['true']),
      ['spec.initContainers[0].command'],
    ],
    [
      'the proxy running another image',
      (spec: PodSpec) => (proxy(spec)['image'] = 'busybox'),
      ['spec.containers[0].image'],
    ],
    [
      'the proxy made privileged',
      (spec: PodSpec) => ((proxy(spec)['securityContext'] as Record<string, unknown>)['privileged'] = true),
      ['spec.containers[0].securityContext'],
    ],
    [
      'an extra env entry on the proxy',
      (spec: PodSpec) => (proxy(spec)['env'] as unknown[]).push({ name: 'ZTGATE_MTLS', value: 'off' }),
      ['spec.containers[0].env'],
    ],
    [
      'the identity of another ServiceAccount',
      (spec: PodSpec) => {
        const env = proxy(spec)['env'] as { name: string; value?: string }[];
        const identity = env.find((entry) => entry.name === 'ZTGATE_SPIFFE_ID');
        if (identity) identity.value = 'spiffe://cluster.local/ns/shop/sa/payments';
      },
      ['spec.containers[0].env'],
    ],
    [
      'an env entry that is no object',
      (spec: PodSpec) => (proxy(spec)['env'] as unknown[]).push('ZTGATE_MTLS=off'),
      ['spec.containers[0].env'],
    ],
    [
      'a second identity entry',
      (spec: PodSpec) =>
        (proxy(spec)['env'] as unknown[]).push({
          name: 'ZTGATE_SPIFFE_ID',
          value: 'spiffe://cluster.local/ns/shop/sa/default',
        }),
      ['spec.containers[0].env'],
    ],
    [
      "one of ztgate's own env entries removed",
      (spec: PodSpec) => {
        const env = proxy(spec)['env'] as { name: string }[];
        const own = env.findIndex((entry) => entry.name !== 'ZTGATE_SPIFFE_ID');
        env.splice(own, 1);
      },
      ['spec.containers[0].env'],
    ],
    [
      "one of ztgate's own env values changed",
      (spec: PodSpec) => {
        const env = proxy(spec)['env'] as { name: string; value?: string }[];
        const own = env.find((entry) => entry.name !== 'ZTGATE_SPIFFE_ID');
        if (own) own.value = 'changed';
      },
      ['spec.containers[0].env'],
    ],
    [
      'an extra field on the init container securityContext',
      (spec: PodSpec) => ((init(spec)['securityContext'] as Record<string, unknown>)['privileged'] = true),
      ['spec.initContainers[0].securityContext'],
    ],
    [
      'the token mounted writable',
      (spec: PodSpec) => {
        const mounts = proxy(spec)['volumeMounts'] as { readOnly?: boolean }[];
        if (mounts[0]) mounts[0].readOnly = false;
      },
      ['spec.containers[0].volumeMounts'],
    ],
  ])('refuses a pod with %s', (_name, change, paths) => {
    expect(check(injectedWith(change)).map(({ path }) => path)).toEqual(paths);
  });

  it('refuses the API token path mounted writable into the proxy (only the read-only default is tolerated)', () => {
    const subject = injectedWith((spec) =>
      (proxy(spec)['volumeMounts'] as unknown[]).push({
        name: 'token',
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      }),
    );
    expect(check(subject).map(({ path }) => path)).toEqual(['spec.containers[0].volumeMounts']);
  });

  it('refuses a self-written ztgate-proxy, naming its image among the forged fields', () => {
    const subject = injectedWith((spec) => (spec.containers[0] = { name: 'ztgate-proxy', image: 'busybox' }));
    expect(check(subject).map(({ path }) => path)).toContain('spec.containers[0].image');
  });

  it('allows an injected pod after the API server defaulted it', () => {
    const subject = injectedWith((spec) => {
      for (const container of [...spec.initContainers, ...spec.containers] as Record<string, unknown>[]) {
        container['terminationMessagePath'] = '/dev/termination-log';
        container['terminationMessagePolicy'] = 'File';
        container['imagePullPolicy'] = 'IfNotPresent';
        const context = container['securityContext'] as Record<string, unknown> | undefined;
        if (context) context['procMount'] = 'Default';
        // The ServiceAccount admission plugin mounts the API token into every container.
        const mounts = (container['volumeMounts'] as unknown[] | undefined) ?? [];
        container['volumeMounts'] = [
          ...mounts,
          {
            name: 'kube-api-access',
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
          },
        ];
      }
    });
    expect(check(subject)).toEqual([]);
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
      config: BUILTIN_CONFIG,
      workload: workloadOf('Pod', 'shop', { containers: [app] }),
      policy: undefined,
      oldPolicy: undefined,
    };
    const [first] = mtlsSidecarRule.check(context);
    expect(first?.message).toContain('"ztgate-proxy"');
    expect(first?.value).toEqual(['app']);
  });
});
