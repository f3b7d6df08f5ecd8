import type { ZtgateConfig } from '../../policy/config.js';
import { expectedInjector } from '../../policy/mesh/injector.js';
import type { KubeObject } from '../../policy/types.js';
import { hasStatus, type KubeRest } from './kube-rest.js';

/**
 * Reads the configured mesh's injector objects by name (`ztgate audit` in cluster mode): the
 * MutatingWebhookConfigurations of Istio or Linkerd, ambient's ztunnel DaemonSet. Absent ones
 * are left out; none under the builtin injector. Never lists the kind: the names are known.
 */
export async function readMeshInjector(rest: KubeRest, config: ZtgateConfig): Promise<KubeObject[]> {
  const expectation = expectedInjector(config);
  if (expectation === undefined) return [];
  const base =
    expectation.kind === 'DaemonSet'
      ? `/apis/apps/v1/namespaces/${encodeURIComponent(expectation.namespace ?? '')}/daemonsets`
      : '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
  const found: KubeObject[] = [];
  for (const name of expectation.names) {
    try {
      const object = await rest.request<KubeObject>('GET', `${base}/${encodeURIComponent(name)}`);
      found.push({ ...object, apiVersion: expectation.apiVersion, kind: expectation.kind });
    } catch (error) {
      if (!hasStatus(error, 404)) throw error;
    }
  }
  return found;
}
