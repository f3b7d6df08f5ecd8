import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { kubectl, kubectlJson, kubectlOk } from './support/kubectl.js';
import { waitFor } from './support/processes.js';
import { customResourceDefinition } from './support/objects.js';

// Proves the harness itself: the API server takes CRD writes (the reflect2 fault), RBAC tells
// the admin from the developer, and the controller manager turns Deployments into Pods.
describe('e2e control plane', () => {
  let cp: ControlPlane;
  const admin = () => ({ kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig });
  const user = () => ({ kubectl: cp.kubectl, kubeconfig: cp.userKubeconfig });

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it('serves the admin and refuses the non-admin cluster-wide reads', async () => {
    const namespaces = await kubectlJson<{ items: { metadata: { name: string } }[] }>(admin(), [
      'get',
      'namespaces',
    ]);
    expect(namespaces.items.map((ns) => ns.metadata.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public']),
    );
    const denied = await kubectl(user(), ['get', 'namespaces']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('forbidden');
    expect(denied.stderr).toContain('"developer"');
  });

  it('survives a CRD write and serves the new kind', async () => {
    const crd = customResourceDefinition('e2e.ztgate.dev', 'Widget', 'widgets');
    await kubectlOk(admin(), ['apply', '-f', '-'], JSON.stringify(crd));
    await kubectlOk(admin(), [
      'wait',
      '--for=condition=Established',
      'crd/widgets.e2e.ztgate.dev',
      '--timeout=30s',
    ]);
    const widget = {
      apiVersion: 'e2e.ztgate.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'default' },
      spec: { a: { b: 1 } },
    };
    await kubectlOk(admin(), ['apply', '-f', '-'], JSON.stringify(widget));
    const got = await kubectlJson<{ spec: unknown }>(admin(), ['get', 'widget', 'w', '-n', 'default']);
    expect(got.spec).toEqual({ a: { b: 1 } });
  });

  it('lets the non-admin edit a namespace it is bound to, and makes Pods from Deployments', async () => {
    await kubectlOk(admin(), ['create', 'namespace', 'cp-smoke']);
    await kubectlOk(admin(), [
      'create',
      'rolebinding',
      'dev-edit',
      '--clusterrole=edit',
      '--group=developers',
      '-n',
      'cp-smoke',
    ]);
    await kubectlOk(user(), ['create', 'deployment', 'web', '--image=nginx', '-n', 'cp-smoke']);
    await waitFor(
      async () => {
        const pods = await kubectlJson<{ items: unknown[] }>(admin(), ['get', 'pods', '-n', 'cp-smoke']);
        return pods.items.length === 1;
      },
      30_000,
      () => 'no Pod created for the Deployment',
    );
  });
});
