import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import { noNetAdminRule } from '../../../src/policy/rules/no-net-admin.js';
import type { RuleContext } from '../../../src/policy/rules/rule.js';
import { injectPodTemplate } from '../../../src/policy/sidecar/index.js';
import type { Workload } from '../../../src/policy/types.js';
import { EMPTY_VIEW, workloadOf } from './context.js';

function contextOf(subject: Workload): RuleContext {
  return {
    input: { operation: 'CREATE', object: subject.object },
    view: EMPTY_VIEW,
    config: DEFAULT_CONFIG,
    workload: subject,
    policy: undefined,
    oldPolicy: undefined,
  };
}

function check(subject: Workload): { path: string; value: unknown }[] {
  return noNetAdminRule.check(contextOf(subject)).map(({ path, value }) => ({ path, value }));
}

const app = { name: 'app', image: 'i' };
const withCaps = (add: unknown[], extra: Record<string, unknown> = {}) => ({
  ...app,
  securityContext: { capabilities: { add }, ...extra },
});

describe('no-net-admin: allowed', () => {
  const injected = injectPodTemplate(
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w' }, spec: { containers: [app] } },
    DEFAULT_CONFIG.sidecar,
    'shop',
  )['spec'] as Record<string, unknown>;
  it.each([
    ['a plain container', workloadOf('Pod', 'shop', { containers: [app] })],
    [
      'harmless capabilities',
      workloadOf('Deployment', 'shop', { containers: [withCaps(['NET_BIND_SERVICE', 'CHOWN'])] }),
    ],
    [
      'privileged: false',
      workloadOf('Pod', 'shop', { containers: [{ ...app, securityContext: { privileged: false } }] }),
    ],
    [
      "ztgate's own init container (NET_ADMIN, NET_RAW) in an injected pod",
      workloadOf('Pod', 'shop', injected),
    ],
    // Istio's injection template: istio-init adds exactly NET_ADMIN and NET_RAW to run istio-iptables.
    [
      "Istio's istio-init with its two capabilities",
      workloadOf('Pod', 'shop', {
        initContainers: [
          {
            ...withCaps(['NET_ADMIN', 'NET_RAW']),
            name: 'istio-init',
            image: 'docker.io/istio/proxyv2:1.24.0',
          },
        ],
        containers: [app],
      }),
    ],
    [
      'NET_ADMIN in an exempt namespace',
      workloadOf('Pod', 'kube-system', { containers: [withCaps(['NET_ADMIN'])] }),
    ],
    [
      'a malformed securityContext',
      workloadOf('Pod', 'shop', { containers: [{ ...app, securityContext: 'x' }] }),
    ],
  ])('%s', (_name, subject) => {
    expect(check(subject)).toEqual([]);
  });
});

describe('no-net-admin: denied', () => {
  it.each([
    [
      'NET_ADMIN in an app container',
      workloadOf('Pod', 'shop', { containers: [app, withCaps(['NET_ADMIN'])] }),
      [{ path: 'spec.containers[1].securityContext.capabilities.add', value: ['NET_ADMIN'] }],
    ],
    [
      'CAP_NET_RAW in lower case, in a Deployment init container',
      workloadOf('Deployment', 'shop', {
        initContainers: [withCaps(['cap_net_raw', 'CHOWN'])],
        containers: [app],
      }),
      [
        {
          path: 'spec.template.spec.initContainers[0].securityContext.capabilities.add',
          value: ['cap_net_raw'],
        },
      ],
    ],
    [
      'ALL in a CronJob',
      workloadOf('CronJob', 'shop', { containers: [withCaps(['ALL'])] }),
      [
        {
          path: 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities.add',
          value: ['ALL'],
        },
      ],
    ],
    [
      'a privileged container that also adds NET_ADMIN',
      workloadOf('Pod', 'shop', { containers: [withCaps(['NET_ADMIN'], { privileged: true })] }),
      [
        { path: 'spec.containers[0].securityContext.privileged', value: true },
        { path: 'spec.containers[0].securityContext.capabilities.add', value: ['NET_ADMIN'] },
      ],
    ],
    [
      'NET_ADMIN in an ephemeral container',
      workloadOf('Pod', 'shop', { containers: [app], ephemeralContainers: [withCaps(['NET_ADMIN'])] }),
      [{ path: 'spec.ephemeralContainers[0].securityContext.capabilities.add', value: ['NET_ADMIN'] }],
    ],
    // Only its two capabilities: ALL or privileged is more than any mesh's redirect needs.
    [
      'istio-init adding ALL',
      workloadOf('Pod', 'shop', {
        initContainers: [{ ...withCaps(['ALL']), name: 'istio-init' }],
        containers: [app],
      }),
      [{ path: 'spec.initContainers[0].securityContext.capabilities.add', value: ['ALL'] }],
    ],
    [
      'a privileged ztgate-init',
      workloadOf('Pod', 'shop', {
        initContainers: [
          { ...withCaps(['NET_ADMIN', 'NET_RAW'], { privileged: true }), name: 'ztgate-init' },
        ],
        containers: [app],
      }),
      // Under the default (istio) provider a ztgate-init counts only when it is exactly ztgate's:
      // this one is not, so its two capabilities are an app container's.
      [
        { path: 'spec.initContainers[0].securityContext.privileged', value: true },
        { path: 'spec.initContainers[0].securityContext.capabilities.add', value: ['NET_ADMIN', 'NET_RAW'] },
      ],
    ],
    [
      "an app container borrowing ztgate-init's name outside initContainers",
      workloadOf('Pod', 'shop', { containers: [{ ...withCaps(['NET_ADMIN']), name: 'ztgate-init' }] }),
      [{ path: 'spec.containers[0].securityContext.capabilities.add', value: ['NET_ADMIN'] }],
    ],
  ])('%s', (_name, subject, expected) => {
    expect(check(subject)).toEqual(expected);
  });

  it('names the container, says why, and says what to remove', () => {
    const subject = workloadOf('Pod', 'shop', { containers: [withCaps(['NET_ADMIN'])] });
    const [violation] = noNetAdminRule.check(contextOf(subject));
    expect(violation?.message).toContain('container "app"');
    expect(violation?.message).toContain('around the mTLS proxy');
    expect(violation?.fix).toContain('Remove NET_ADMIN, NET_RAW and ALL from `capabilities.add`');
    expect(violation?.fix).toContain('exemptNamespaces');
  });
});

describe('no-net-admin through the engine', () => {
  it('judges a `kubectl debug` ephemeral container (a Pod UPDATE through pods/ephemeralcontainers)', () => {
    const before = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'w', namespace: 'shop' },
      spec: { containers: [app] },
    };
    const after = {
      ...before,
      spec: { ...before.spec, ephemeralContainers: [{ ...withCaps(['NET_ADMIN']), name: 'debugger' }] },
    };
    const decision = evaluate(
      { operation: 'UPDATE', object: after, oldObject: before, namespace: 'shop' },
      EMPTY_VIEW,
      DEFAULT_CONFIG,
    );
    expect(decision.allowed).toBe(false);
    expect(decision.violations.filter((v) => v.rule === 'no-net-admin').map((v) => v.path)).toEqual([
      'spec.ephemeralContainers[0].securityContext.capabilities.add',
    ]);
  });
});
