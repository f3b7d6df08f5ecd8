import { describe, expect, it } from 'vitest';
import { podMesh } from '../../../src/policy/rules/mesh-containers.js';
import { containersOf } from '../../../src/policy/rules/pod-security/read.js';
import { toWorkload } from '../../../src/policy/workload.js';
import { configWith } from './hardening.js';

// One pod with Istio's proxy container: the mesh's own under `istio`, a workload container under
// `builtin` (ztgate's injector names its proxy ztgate-proxy).
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    serviceAccountName: 'web',
    containers: [
      { name: 'app', image: 'registry.example/web:1' },
      { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.0' },
    ],
  },
};

describe('the per-decision memos of mesh-containers and pod-security/read (last-memo.ts)', () => {
  const istio = configWith('istio');
  const builtin = configWith('builtin');
  const workload = toWorkload(pod);
  if (workload === undefined) throw new Error('not a workload');

  it("gives the same workload each config's mesh roles, asked in turn, never the other's", () => {
    const roles = (config: typeof istio) => containersOf(workload, config).map((entry) => entry.meshRole);
    const proxyRole = (config: typeof istio) => podMesh(workload, config).role('containers', 'istio-proxy');
    expect([roles(istio), roles(builtin), roles(istio), roles(builtin)]).toEqual([
      [undefined, 'proxy'],
      [undefined, undefined],
      [undefined, 'proxy'],
      [undefined, undefined],
    ]);
    expect([proxyRole(builtin), proxyRole(istio), proxyRole(builtin)]).toEqual([
      undefined,
      'proxy',
      undefined,
    ]);
  });

  it('lists each container with its fields and path as read (no field lost in the copy)', () => {
    expect(
      containersOf(workload, istio).map(({ list, index, name, path, securityContext, container }) => ({
        list,
        index,
        name,
        path,
        securityContext,
        image: container['image'],
      })),
    ).toEqual([
      {
        list: 'containers',
        index: 0,
        name: 'app',
        path: 'spec.containers[0]',
        securityContext: undefined,
        image: 'registry.example/web:1',
      },
      {
        list: 'containers',
        index: 1,
        name: 'istio-proxy',
        path: 'spec.containers[1]',
        securityContext: undefined,
        image: 'docker.io/istio/proxyv2:1.22.0',
      },
    ]);
  });
});
