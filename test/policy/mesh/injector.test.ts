import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { expectedInjector, judgeInjector } from '../../../src/policy/mesh/injector.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import {
  deactivatedIstioInjector,
  istioInjectorWebhooks,
  linkerdInjectorWebhooks,
  ztunnelDaemonSet,
} from '../../support/mesh-webhooks.js';

const mesh = (overrides: Partial<ZtgateConfig['mesh']>): ZtgateConfig => ({
  ...DEFAULT_CONFIG,
  mesh: { ...DEFAULT_CONFIG.mesh, ...overrides },
});
const ISTIO = DEFAULT_CONFIG;
const CANARY = mesh({ revision: 'canary' });
const LINKERD = mesh({ provider: 'linkerd' });
const AMBIENT = mesh({ provider: 'istio-ambient' });

/**
 * A revision tag as `istioctl tag set <tag> --revision <rev>` writes it: webhooks that select the
 * tag's name (the default tag also `istio-injection=enabled`), sent to the revision's istiod.
 */
function revisionTag(tag: string, revision: string): KubeObject {
  const selecting = istioInjectorWebhooks(tag === 'default' ? '' : tag) as { webhooks: object[] };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: `istio-revision-tag-${tag}`,
      labels: { 'istio.io/tag': tag, 'istio.io/rev': revision },
    },
    webhooks: selecting.webhooks,
  };
}
const webhooksFor = (config: ZtgateConfig): KubeObject =>
  istioInjectorWebhooks(config.mesh.revision) as KubeObject;

describe('expectedInjector: what installs each mesh', () => {
  it.each<[string, ZtgateConfig, unknown]>([
    [
      'Istio',
      ISTIO,
      {
        kind: 'MutatingWebhookConfiguration',
        names: ['istio-sidecar-injector', 'istio-revision-tag-default'],
      },
    ],
    ['an Istio revision', CANARY, { names: ['istio-sidecar-injector-canary', 'istio-revision-tag-canary'] }],
    [
      'Linkerd',
      LINKERD,
      { kind: 'MutatingWebhookConfiguration', names: ['linkerd-proxy-injector-webhook-config'] },
    ],
    ['ambient', AMBIENT, { kind: 'DaemonSet', namespace: 'istio-system', names: ['ztunnel'] }],
    [
      'ambient with its own control-plane namespace',
      mesh({ provider: 'istio-ambient', controlPlaneNamespace: 'mesh' }),
      { namespace: 'mesh' },
    ],
  ])('%s', (_name, config, expected) => {
    expect(expectedInjector(config)).toMatchObject(expected as object);
  });

  it('expects nothing under the builtin injector (ztgate injects)', () => {
    expect([expectedInjector(BUILTIN_CONFIG), judgeInjector(BUILTIN_CONFIG, [])]).toEqual([
      undefined,
      undefined,
    ]);
  });
});

describe('judgeInjector', () => {
  it.each<[string, ZtgateConfig, KubeObject[], string]>([
    ["Istio's default injector", ISTIO, [webhooksFor(ISTIO)], 'istio-sidecar-injector'],
    ["a revision's injector", CANARY, [webhooksFor(CANARY)], 'istio-sidecar-injector-canary'],
    [
      'the default tag after `istioctl tag set default` (the old injector deactivated beside it)',
      ISTIO,
      [deactivatedIstioInjector() as KubeObject, revisionTag('default', 'canary')],
      'istio-revision-tag-default',
    ],
    [
      'a revision tag that names the configured revision',
      CANARY,
      [revisionTag('canary', '1-24')],
      'istio-revision-tag-canary',
    ],
    [
      "Linkerd's injector",
      LINKERD,
      [linkerdInjectorWebhooks() as KubeObject],
      'linkerd-proxy-injector-webhook-config',
    ],
    ["ambient's ztunnel", AMBIENT, [ztunnelDaemonSet() as KubeObject], 'ztunnel'],
  ])('finds %s', (_name, config, found, name) => {
    expect(judgeInjector(config, found)).toMatchObject({ present: true, name });
  });

  it.each<[string, ZtgateConfig, KubeObject[], string]>([
    [
      'nothing installed',
      ISTIO,
      [],
      'the istio injector is not installed (no MutatingWebhookConfiguration istio-sidecar-injector or istio-revision-tag-default)',
    ],
    [
      'only the deactivated default injector (its selectors match nothing)',
      ISTIO,
      [deactivatedIstioInjector() as KubeObject],
      'the istio injector istio-sidecar-injector selects no pod of a namespace ztgate enrolled (istio-injection=enabled)',
    ],
    [
      'the default injector while ztgate enrols by revision (istio.io/rev=canary selects no default-revision webhook)',
      CANARY,
      [{ ...webhooksFor(ISTIO), metadata: { name: 'istio-sidecar-injector-canary' } }],
      'selects no pod of a namespace ztgate enrolled (istio.io/rev=canary)',
    ],
    [
      "Istio's injector under Linkerd",
      LINKERD,
      [webhooksFor(ISTIO)],
      'no MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config',
    ],
    [
      'a ztunnel in another namespace',
      AMBIENT,
      [ztunnelDaemonSet('kube-system') as KubeObject],
      'no DaemonSet ztunnel in namespace istio-system',
    ],
    [
      'an injector registered for services only',
      LINKERD,
      [
        {
          ...(linkerdInjectorWebhooks() as KubeObject),
          webhooks: [
            { name: 'x', rules: [{ apiGroups: [''], resources: ['services'], operations: ['CREATE'] }] },
          ],
        },
      ],
      'selects no pod',
    ],
  ])('reports %s', (_name, config, found, message) => {
    const status = judgeInjector(config, found);
    expect(status?.present).toBe(false);
    expect(status?.message).toContain(message);
    expect(status?.message).toContain('ztgate refuses them');
  });
});
