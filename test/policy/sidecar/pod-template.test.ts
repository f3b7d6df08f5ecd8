import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../../src/policy/config.js';
import { findPodTemplate, injectPodTemplate, isInjected } from '../../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { injectedPodProblems, sidecarConfig } from './helpers.js';

const config = sidecarConfig();
const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'i' }] } };

const workloads: [string, KubeObject, string][] = [
  [
    'Pod',
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', labels: { app: 'x' } }, spec: template.spec },
    '',
  ],
  [
    'Deployment',
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template } },
    '/spec/template',
  ],
  [
    'StatefulSet',
    { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'x' }, spec: { template } },
    '/spec/template',
  ],
  [
    'DaemonSet',
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x' }, spec: { template } },
    '/spec/template',
  ],
  [
    'ReplicaSet',
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'x' }, spec: { template } },
    '/spec/template',
  ],
  [
    'ReplicationController',
    { apiVersion: 'v1', kind: 'ReplicationController', spec: { template } },
    '/spec/template',
  ],
  [
    'Job',
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { template } },
    '/spec/template',
  ],
  [
    'CronJob',
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'x' },
      spec: { jobTemplate: { spec: { template } } },
    },
    '/spec/jobTemplate/spec/template',
  ],
];

function proxyEnv(object: KubeObject): Record<string, string | undefined> {
  const pod = findPodTemplate(object)?.pod ?? {};
  const containers =
    (pod['spec'] as { containers?: { name: string; env?: { name: string; value?: string }[] }[] })
      ?.containers ?? [];
  const proxy = containers.find((container) => container.name === config.containerName);
  return Object.fromEntries((proxy?.env ?? []).map((entry) => [entry.name, entry.value]));
}

describe('injectPodTemplate', () => {
  it.each(workloads)('injects the pod template of a %s', (_kind, object, pointer) => {
    const frozen = deepFreeze(structuredClone(object));
    expect(findPodTemplate(frozen)?.pointer).toBe(pointer);
    const injected = injectPodTemplate(frozen, config, 'shop');
    const pod = findPodTemplate(injected)?.pod ?? {};
    expect(injectedPodProblems(pod, config)).toEqual([]);
    expect(isInjected(pod, config)).toBe(true);
    // The input is untouched, and a second pass changes nothing.
    expect(frozen).toEqual(object);
    expect(injectPodTemplate(injected, config, 'shop')).toBe(injected);
  });

  it.each([
    ['Job', true],
    ['CronJob', true],
    ['Deployment', false],
  ])('tells the proxy of a %s to exit with the app: %s', (kind, expected) => {
    const object = workloads.find(([name]) => name === kind)?.[1] ?? {};
    expect(proxyEnv(injectPodTemplate(object, config, 'shop'))['ZTGATE_EXIT_ON_APP_EXIT']).toBe(
      expected ? 'true' : undefined,
    );
  });

  it.each([
    ['the object namespace wins', { namespace: 'own' }, 'spiffe://cluster.local/ns/own/sa/default'],
    ['the fallback fills in', {}, 'spiffe://cluster.local/ns/shop/sa/default'],
  ])('%s', (_name, metadata, expected) => {
    const object: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { template } };
    expect(proxyEnv(injectPodTemplate(object, config, 'shop'))['ZTGATE_SPIFFE_ID']).toBe(expected);
  });

  it.each([
    ['a ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', data: {} }],
    ['a Deployment without template', { apiVersion: 'apps/v1', kind: 'Deployment', spec: {} }],
    ['an object without kind', { spec: { template } }],
    [
      'a hostNetwork pod',
      { apiVersion: 'v1', kind: 'Pod', spec: { hostNetwork: true, containers: [{ name: 'a' }] } },
    ],
  ])('returns %s unchanged (same reference)', (_name, object) => {
    expect(injectPodTemplate(object, config, 'shop')).toBe(object);
  });
});
