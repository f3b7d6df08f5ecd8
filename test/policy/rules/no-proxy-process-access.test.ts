/**
 * no-proxy-process-access. The facts: a debug container with `targetContainerName` joins that
 * container's PID namespace (kubectl debug --target); /proc/<pid>/root and /proc/<pid>/environ
 * need only ptrace read access, which the same uid has, and root takes any uid with CAP_SETUID,
 * which containerd grants by default; attaching needs the same uid where
 * kernel.yama.ptrace_scope is 0, or CAP_SYS_PTRACE. shareProcessNamespace puts every container
 * of the pod in one PID namespace.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/policy/types.js';
import { app, appWith, findings, violations, workload } from './hardening.js';

type Row = readonly [string, KubeObject, readonly (readonly [string, string])[]];

const debug = (target: string, securityContext: Record<string, unknown> = {}) =>
  workload({
    containers: [
      app,
      {
        name: 'istio-proxy',
        image: 'docker.io/istio/proxyv2:1.24.0',
        securityContext: { runAsUser: 1337, runAsGroup: 1337 },
      },
    ],
    ephemeralContainers: [
      { name: 'debugger-x7k2', image: 'busybox', targetContainerName: target, securityContext },
    ],
  });

describe('no-proxy-process-access', () => {
  it.each<Row>([
    // kubectl debug's everyday use: the app's own process namespace.
    ['a debug container targeting the app', debug('app'), []],
    [
      'a debug container without a target',
      workload({ containers: [app], ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] }),
      [],
    ],
    [
      'shareProcessNamespace without ptrace rights (a config reloader sending SIGHUP)',
      workload({
        shareProcessNamespace: true,
        containers: [app, appWith({ capabilities: { add: ['KILL'] } }, { name: 'reloader' })],
      }),
      [],
    ],
  ])('admits %s', (_name, object, expected) => {
    expect(findings(object)).toEqual(expected);
  });

  it.each<Row>([
    [
      'kubectl debug --target=istio-proxy',
      debug('istio-proxy'),
      [['no-proxy-process-access', 'spec.ephemeralContainers[0].targetContainerName']],
    ],
    [
      'kubectl debug --profile=general --target=istio-proxy (SYS_PTRACE)',
      debug('istio-proxy', { capabilities: { add: ['SYS_PTRACE'] } }),
      [
        ['no-extra-capabilities', 'spec.ephemeralContainers[0].securityContext.capabilities.add'],
        ['no-proxy-process-access', 'spec.ephemeralContainers[0].targetContainerName'],
      ],
    ],
    [
      "a debug container targeting ztgate's proxy",
      debug('ztgate-proxy'),
      [['no-proxy-process-access', 'spec.ephemeralContainers[0].targetContainerName']],
    ],
    [
      'shareProcessNamespace with SYS_PTRACE in an app container',
      workload(
        { shareProcessNamespace: true, containers: [appWith({ capabilities: { add: ['SYS_PTRACE'] } })] },
        'Deployment',
      ),
      [
        ['no-extra-capabilities', 'spec.template.spec.containers[0].securityContext.capabilities.add'],
        ['no-proxy-process-access', 'spec.template.spec.shareProcessNamespace'],
      ],
    ],
    [
      'shareProcessNamespace with a privileged init container',
      workload({
        shareProcessNamespace: true,
        initContainers: [{ name: 'setup', image: 'i', securityContext: { privileged: true } }],
        containers: [app],
      }),
      [
        ['no-net-admin', 'spec.initContainers[0].securityContext.privileged'],
        ['no-proxy-process-access', 'spec.shareProcessNamespace'],
      ],
    ],
  ])('refuses %s', (_name, object, expected) => {
    expect(findings(object)).toEqual(expected);
  });

  it('tells the developer to target the app container', () => {
    const [violation] = violations(debug('istio-proxy'));
    expect(violation?.message).toContain('targets the mesh container "istio-proxy"');
    expect(violation?.fix).toContain('--target=<app container>');
  });
});
