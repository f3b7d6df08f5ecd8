import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import {
  containerFlag,
  effectiveId,
  listContainers,
  podFlag,
  podSpecTypeErrors,
} from '../../../src/policy/pod-spec/typed.js';
import { deployment, viewOf } from '../helpers.js';

const app = (securityContext?: unknown) => ({
  name: 'app',
  image: 'app:1',
  ...(securityContext === undefined ? {} : { securityContext }),
});

// The API server decodes a pod spec into Go types (bool, *int64, []Capability): a value of
// another JSON type fails decoding ("cannot unmarshal string into Go struct field ... of type
// bool"), and pod validation refuses ids outside 0..2147483647 (IsValidUserID, IsValidGroupID).
describe('podSpecTypeErrors: what the API server would refuse is reported with its path', () => {
  it.each([
    {
      name: 'hostNetwork: "true"',
      spec: { hostNetwork: 'true', containers: [app()] },
      paths: ['spec.hostNetwork'],
    },
    { name: 'hostPID: 1', spec: { hostPID: 1, containers: [app()] }, paths: ['spec.hostPID'] },
    { name: 'hostIPC: "yes"', spec: { hostIPC: 'yes', containers: [app()] }, paths: ['spec.hostIPC'] },
    {
      name: 'shareProcessNamespace: []',
      spec: { shareProcessNamespace: [], containers: [app()] },
      paths: ['spec.shareProcessNamespace'],
    },
    {
      name: 'pod runAsUser: "1337"',
      spec: { securityContext: { runAsUser: '1337' }, containers: [app()] },
      paths: ['spec.securityContext.runAsUser'],
    },
    {
      name: 'pod runAsGroup: 1337.5',
      spec: { securityContext: { runAsGroup: 1337.5 }, containers: [app()] },
      paths: ['spec.securityContext.runAsGroup'],
    },
    {
      name: 'runAsUser: -1',
      spec: { containers: [app({ runAsUser: -1 })] },
      paths: ['spec.containers[0].securityContext.runAsUser'],
    },
    {
      name: 'runAsUser: 2^31',
      spec: { containers: [app({ runAsUser: 2 ** 31 })] },
      paths: ['spec.containers[0].securityContext.runAsUser'],
    },
    {
      name: 'privileged: "true"',
      spec: { containers: [app({ privileged: 'true' })] },
      paths: ['spec.containers[0].securityContext.privileged'],
    },
    {
      name: 'allowPrivilegeEscalation: "false" in an init container',
      spec: { initContainers: [app({ allowPrivilegeEscalation: 'false' })], containers: [app()] },
      paths: ['spec.initContainers[0].securityContext.allowPrivilegeEscalation'],
    },
    {
      name: 'capabilities.add as one string',
      spec: { containers: [app({ capabilities: { add: 'NET_ADMIN' } })] },
      paths: ['spec.containers[0].securityContext.capabilities.add'],
    },
    {
      name: 'a capability that is not a string',
      spec: { ephemeralContainers: [app({ capabilities: { drop: [7] } })], containers: [app()] },
      paths: ['spec.ephemeralContainers[0].securityContext.capabilities.drop[0]'],
    },
    {
      name: 'securityContext: "privileged"',
      spec: { containers: [app('privileged')] },
      paths: ['spec.containers[0].securityContext'],
    },
    { name: 'containers: "nope"', spec: { containers: 'nope' }, paths: ['spec.containers'] },
    { name: 'a null container', spec: { containers: [null] }, paths: ['spec.containers[0]'] },
  ])('$name', ({ spec, paths }) => {
    expect(podSpecTypeErrors(spec, '').map((error) => error.path)).toEqual(paths);
  });

  it.each([
    {
      name: 'booleans and ids of the right type',
      spec: {
        hostNetwork: false,
        hostPID: false,
        securityContext: { runAsUser: 1000, runAsGroup: 0 },
        containers: [
          app({
            privileged: false,
            runAsUser: 2147483647,
            capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
          }),
        ],
      },
    },
    {
      name: 'null where Go leaves the zero value',
      spec: { hostNetwork: null, containers: [app({ privileged: null, runAsUser: null })] },
    },
    { name: 'nothing set', spec: { containers: [app()] } },
  ])('no error: $name', ({ spec }) => {
    expect(podSpecTypeErrors(spec, 'spec.template')).toEqual([]);
  });

  it('paths start at the pod template', () => {
    expect(podSpecTypeErrors({ hostNetwork: 'true' }, 'spec.jobTemplate.spec.template')).toEqual([
      {
        path: 'spec.jobTemplate.spec.template.spec.hostNetwork',
        message: 'hostNetwork is a string ("true"), not a boolean',
      },
    ]);
  });

  it('makes a workload invalid-object through the engine, never allowed as "not set"', () => {
    const object = deployment('web', { sa: 'web' });
    const template = (object['spec'] as { template: { spec: Record<string, unknown> } }).template;
    template.spec['hostNetwork'] = 'true';
    const decision = evaluate({ operation: 'CREATE', object, namespace: 'shop' }, viewOf([]), DEFAULT_CONFIG);
    expect(decision.allowed).toBe(false);
    expect(decision.violations.map((v) => `${v.rule} ${v.path}`)).toEqual([
      'invalid-object spec.template.spec.hostNetwork',
    ]);
  });
});

describe('the readers the rules share', () => {
  const spec = {
    hostNetwork: true,
    hostPID: false,
    securityContext: { runAsUser: 1000, runAsGroup: 3000 },
    initContainers: [{ name: 'init', securityContext: { runAsUser: 1337 } }],
    containers: [
      { name: 'app', securityContext: { privileged: true } },
      'junk',
      { securityContext: { runAsGroup: 1337 } },
    ],
  };

  it('podFlag is true only for a real true', () => {
    expect([
      podFlag(spec, 'hostNetwork'),
      podFlag(spec, 'hostPID'),
      podFlag({ hostNetwork: 'true' }, 'hostNetwork'),
    ]).toEqual([true, false, false]);
  });

  it('listContainers walks every list with paths, skipping what is not an object', () => {
    expect(listContainers(spec).map((entry) => `${entry.path} ${entry.name}`)).toEqual([
      'spec.initContainers[0] init',
      'spec.containers[0] app',
      'spec.containers[2] #2',
    ]);
  });

  it("effectiveId takes the container's id, else the pod's (Kubernetes' precedence)", () => {
    const [init, main, unnamed] = listContainers(spec);
    if (init === undefined || main === undefined || unnamed === undefined) throw new Error('containers');
    expect([
      effectiveId(spec, init, 'runAsUser'),
      effectiveId(spec, main, 'runAsUser'),
      effectiveId(spec, unnamed, 'runAsGroup'),
      effectiveId(spec, main, 'runAsGroup'),
    ]).toEqual([1337, 1000, 1337, 3000]);
    expect([containerFlag(main, 'privileged'), containerFlag(init, 'privileged')]).toEqual([true, false]);
  });
});
