import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { istioInjectedPod, linkerdInjectedPod } from '../../support/mesh-pods.js';
import { defaultDeny, namespace, peerAuthentication, policy, serviceAccount, viewOf } from '../helpers.js';

const linkerd: ZtgateConfig = { ...DEFAULT_CONFIG, mesh: { ...DEFAULT_CONFIG.mesh, provider: 'linkerd' } };

/** A namespace ready for the pod: enrolled, STRICT, default deny, its ServiceAccount and allow-list. */
function readyView(config: ZtgateConfig) {
  const ns = namespace('shop', config.mesh.provider === 'istio' ? { 'istio-injection': 'enabled' } : {});
  const annotations: Record<string, string> =
    config.mesh.provider === 'linkerd'
      ? { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/default-inbound-policy': 'all-authenticated' }
      : {};
  return viewOf(
    [
      { ...ns, metadata: { ...ns.metadata, annotations } },
      serviceAccount('web'),
      peerAuthentication('strict'),
    ],
    [defaultDeny(), policy({ name: 'web-allow', matchLabels: { app: 'web' } })],
  );
}

// Every rule at once, on pods exactly as the injectors leave them: the mesh's own containers
// (NET_ADMIN in the redirect, uid 1337 in istio-validation, the proxy's ports) are not refused.
describe('pods the meshes injected pass every rule', () => {
  it.each<[string, KubeObject, ZtgateConfig]>([
    ['Istio classic', istioInjectedPod(), DEFAULT_CONFIG],
    ['Istio native sidecar', istioInjectedPod({ native: true }), DEFAULT_CONFIG],
    ['Istio with its CNI plugin', istioInjectedPod({ cni: true }), DEFAULT_CONFIG],
    ['Linkerd classic', linkerdInjectedPod(), linkerd],
    ['Linkerd native sidecar', linkerdInjectedPod({ native: true }), linkerd],
    ['Linkerd with its CNI plugin', linkerdInjectedPod({ cni: true }), linkerd],
  ])('%s', (_name, pod, config) => {
    const decision = evaluate({ operation: 'CREATE', object: pod }, readyView(config), config);
    expect(decision.violations.map((v) => `${v.rule} ${v.path}: ${v.message}`)).toEqual([]);
  });
});
