import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import type { EvaluationInput, KubeObject, UserInfo } from '../../../src/policy/types.js';
import { deployment, meshNamespace, namespace, peerAuthentication, viewOf } from '../helpers.js';

const developer: UserInfo = { username: 'dev', groups: ['developers'] };
const admin: UserInfo = { username: 'root', groups: ['system:masters'] };
const withProvider = (provider: ZtgateConfig['mesh']['provider']): ZtgateConfig => ({
  ...DEFAULT_CONFIG,
  mesh: { ...DEFAULT_CONFIG.mesh, provider },
});
const STRICT = { mtls: { mode: 'STRICT' } };
const web = { selector: { matchLabels: { app: 'web' } } };

function strictFindings(input: EvaluationInput, objects: KubeObject[], config = DEFAULT_CONFIG) {
  return evaluate(input, viewOf(objects), config)
    .violations.filter((v) => v.rule === 'strict-mtls')
    .map((v) => v.path);
}

const createWeb = (config = DEFAULT_CONFIG, objects: KubeObject[] = []) =>
  strictFindings(
    { operation: 'CREATE', object: deployment('web') },
    [meshNamespace('shop'), ...objects],
    config,
  );

describe('strict-mtls: workloads under Istio', () => {
  it.each([
    ['a STRICT namespace policy', [peerAuthentication('strict')]],
    ['a STRICT mesh-wide policy', [peerAuthentication('mesh', 'istio-system')]],
    [
      'a STRICT workload policy over a PERMISSIVE namespace',
      [
        peerAuthentication('ns', 'shop', { mtls: { mode: 'PERMISSIVE' } }),
        peerAuthentication('w', 'shop', { ...web, ...STRICT }),
      ],
    ],
    [
      'UNSET namespace policy under a STRICT mesh',
      [peerAuthentication('ns', 'shop', {}), peerAuthentication('mesh', 'istio-system')],
    ],
  ])('allows a workload under %s', (_name, objects) => {
    expect(createWeb(DEFAULT_CONFIG, objects)).toEqual([]);
  });

  it.each([
    ['no PeerAuthentication (Istio then accepts plaintext)', []],
    ['a PERMISSIVE mesh', [peerAuthentication('mesh', 'istio-system', { mtls: { mode: 'PERMISSIVE' } })]],
    ['UNSET at the top (PERMISSIVE)', [peerAuthentication('mesh', 'istio-system', {})]],
    [
      'a DISABLE workload policy',
      [peerAuthentication('strict'), peerAuthentication('w', 'shop', { ...web, mtls: { mode: 'DISABLE' } })],
    ],
    [
      'a PERMISSIVE port',
      [
        peerAuthentication('strict'),
        peerAuthentication('w', 'shop', {
          ...web,
          ...STRICT,
          portLevelMtls: { '8080': { mode: 'PERMISSIVE' } },
        }),
      ],
    ],
  ])('refuses a workload under %s, with the STRICT policy as fix and a live read', (_name, objects) => {
    expect(createWeb(DEFAULT_CONFIG, objects)).toEqual(['metadata.namespace']);
    const violation = evaluate(
      { operation: 'CREATE', object: deployment('web') },
      viewOf([meshNamespace('shop'), ...objects]),
      DEFAULT_CONFIG,
    ).violations.find((v) => v.rule === 'strict-mtls');
    // ztgate's namespace-wide STRICT settles it unless the namespace holds a weaker policy of its own
    // (the weakest at a level wins): only then is it no note for \`ztgate check\`.
    const ownWeaker = objects.some((object) => object.metadata?.namespace === 'shop');
    expect(violation?.missing).toEqual({
      kind: 'PeerAuthentication',
      namespace: 'shop',
      ...(ownWeaker ? {} : { providedByZtgate: true }),
    });
    expect(violation?.fix).toContain(
      'kind: PeerAuthentication\nmetadata:\n  name: ztgate-strict-mtls\n  namespace: shop',
    );
  });

  it('applies under ambient too (ztunnel enforces PeerAuthentication)', () => {
    expect(createWeb(withProvider('istio-ambient'))).toEqual(['metadata.namespace']);
  });

  it('judges nothing under the builtin provider', () => {
    expect(createWeb(withProvider('builtin'))).toEqual([]);
  });
});

describe('strict-mtls: workloads under Linkerd', () => {
  const linkerd = withProvider('linkerd');
  const ns = (policy?: string): KubeObject => {
    const object = namespace('shop');
    const annotations: Record<string, string> = { 'linkerd.io/inject': 'enabled' };
    if (policy !== undefined) annotations['config.linkerd.io/default-inbound-policy'] = policy;
    return { ...object, metadata: { ...object.metadata, annotations } };
  };
  const judge = (policy?: string) =>
    strictFindings({ operation: 'CREATE', object: deployment('web') }, [ns(policy)], linkerd);

  it.each(['all-authenticated', 'cluster-authenticated', 'deny'])('allows a namespace with %s', (policy) => {
    expect(judge(policy)).toEqual([]);
  });

  it.each([['all-unauthenticated'], ['cluster-unauthenticated'], ['audit'], [undefined]])(
    'refuses a namespace with %s',
    (policy) => {
      expect(judge(policy)).toEqual(['metadata.namespace']);
    },
  );

  it('refuses removing the annotation from a namespace (a weaker value is mesh-opt-out)', () => {
    const input: EvaluationInput = {
      operation: 'UPDATE',
      object: ns(),
      oldObject: ns('deny'),
      user: developer,
    };
    expect(strictFindings(input, [], linkerd)).toEqual([
      'metadata.annotations.config.linkerd.io/default-inbound-policy',
    ]);
    expect(strictFindings({ ...input, user: admin }, [], linkerd)).toEqual([]);
  });
});

const paIn = (name: string, ns: string, spec: Record<string, unknown>) => peerAuthentication(name, ns, spec);
const create = (object: KubeObject, objects: KubeObject[] = [], user = developer) =>
  strictFindings({ operation: 'CREATE', object, user }, objects);

describe('strict-mtls: PeerAuthentications', () => {
  it.each([
    ['STRICT', paIn('p', 'shop', STRICT), []],
    [
      'STRICT with STRICT ports',
      paIn('p', 'shop', { ...web, ...STRICT, portLevelMtls: { '80': { mode: 'STRICT' }, '81': {} } }),
      [],
    ],
    ['UNSET under a STRICT mesh', paIn('p', 'shop', {}), [paIn('mesh', 'istio-system', STRICT)]],
    [
      'a workload UNSET under a STRICT namespace',
      paIn('w', 'shop', { ...web }),
      [paIn('ns', 'shop', STRICT)],
    ],
    ['anything in an exempt namespace', paIn('p', 'ztgate-system', { mtls: { mode: 'DISABLE' } }), []],
  ])('allows %s', (_name, object, objects) => {
    expect(create(object, objects)).toEqual([]);
  });

  it.each([
    ['PERMISSIVE', paIn('p', 'shop', { mtls: { mode: 'PERMISSIVE' } }), [], ['spec.mtls.mode']],
    ['DISABLE', paIn('p', 'shop', { mtls: { mode: 'DISABLE' } }), [], ['spec.mtls.mode']],
    [
      'a PERMISSIVE port',
      paIn('p', 'shop', { ...web, ...STRICT, portLevelMtls: { '8080': { mode: 'PERMISSIVE' } } }),
      [],
      ['spec.portLevelMtls.8080.mode'],
    ],
    [
      'a DISABLE port',
      paIn('p', 'shop', { ...web, ...STRICT, portLevelMtls: { '8080': { mode: 'DISABLE' } } }),
      [],
      ['spec.portLevelMtls.8080.mode'],
    ],
    ['UNSET with nothing above', paIn('p', 'shop', {}), [], ['spec.mtls.mode']],
    [
      'UNSET under a PERMISSIVE mesh',
      paIn('p', 'shop', {}),
      [paIn('mesh', 'istio-system', { mtls: { mode: 'PERMISSIVE' } })],
      ['spec.mtls.mode'],
    ],
    [
      'a workload UNSET under a PERMISSIVE namespace',
      paIn('w', 'shop', { ...web }),
      [paIn('ns', 'shop', { mtls: { mode: 'PERMISSIVE' } })],
      ['spec.mtls.mode'],
    ],
    // The mesh-wide level has nothing above: UNSET there is PERMISSIVE.
    ['a mesh-wide UNSET', paIn('mesh', 'istio-system', {}), [], ['spec.mtls.mode']],
    ['a mode Istio does not know', paIn('p', 'shop', { mtls: { mode: 'strict' } }), [], ['spec.mtls.mode']],
  ])('refuses %s', (_name, object, objects, expected) => {
    expect(create(object, objects)).toEqual(expected);
  });

  it('judges the root namespace even when it is exempt (its policies apply mesh-wide)', () => {
    const config: ZtgateConfig = {
      ...DEFAULT_CONFIG,
      exemptNamespaces: [...DEFAULT_CONFIG.exemptNamespaces, 'istio-system'],
    };
    const object = paIn('mesh', 'istio-system', { mtls: { mode: 'PERMISSIVE' } });
    expect(strictFindings({ operation: 'CREATE', object, user: developer }, [], config)).toEqual([
      'spec.mtls.mode',
    ]);
  });

  describe('deleting or editing a STRICT policy', () => {
    const del = (object: KubeObject, objects: KubeObject[], user = developer) =>
      strictFindings({ operation: 'DELETE', object: undefined, oldObject: object, user }, objects);
    const nsStrict = paIn('strict', 'shop', STRICT);
    const meshStrict = paIn('mesh', 'istio-system', STRICT);

    it.each([
      ["a namespace's only STRICT policy", nsStrict, [meshNamespace('shop'), nsStrict]],
      ['the mesh-wide one, where a namespace relies on it', meshStrict, [meshNamespace('shop'), meshStrict]],
      [
        'a workload STRICT policy over a PERMISSIVE namespace',
        paIn('w', 'shop', { ...web, ...STRICT }),
        [paIn('ns', 'shop', { mtls: { mode: 'PERMISSIVE' } }), paIn('w', 'shop', { ...web, ...STRICT })],
      ],
    ])('refuses deleting %s', (_name, object, objects) => {
      expect(del(object, objects)).toEqual(['metadata.name']);
    });

    it.each([
      ['by an admin', nsStrict, [nsStrict], admin],
      ['a namespace policy under a STRICT mesh', nsStrict, [nsStrict, meshStrict], developer],
      [
        'the mesh-wide one where every namespace has its own',
        meshStrict,
        [meshNamespace('shop'), meshStrict, nsStrict],
        developer,
      ],
      [
        'the mesh-wide one with only audit namespaces',
        meshStrict,
        [namespace('shop', { 'ztgate.dev/mode': 'audit' }), meshStrict],
        developer,
      ],
    ])('allows deleting %s', (_name, object, objects, user) => {
      expect(del(object, objects, user)).toEqual([]);
    });

    it("refuses narrowing a namespace's STRICT policy to one workload", () => {
      const narrowed = paIn('strict', 'shop', { ...web, ...STRICT });
      const input: EvaluationInput = {
        operation: 'UPDATE',
        object: narrowed,
        oldObject: nsStrict,
        user: developer,
      };
      expect(strictFindings(input, [meshNamespace('shop'), nsStrict])).toEqual(['metadata.name']);
    });
  });
});

describe('strict-mtls: DestinationRules', () => {
  const dr = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'db', namespace: 'shop' },
    spec: { host: 'db.shop.svc.cluster.local', ...spec },
  });

  it.each([
    ['no TLS setting (auto mTLS)', dr({})],
    ['ISTIO_MUTUAL', dr({ trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })],
    ['load balancing only', dr({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } })],
  ])('allows %s', (_name, object) => {
    expect(create(object)).toEqual([]);
  });

  it.each([
    [
      'DISABLE at the top',
      dr({ trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      ['spec.trafficPolicy.tls.mode'],
    ],
    [
      'DISABLE on a port',
      dr({ trafficPolicy: { portLevelSettings: [{ port: { number: 5432 }, tls: { mode: 'DISABLE' } }] } }),
      ['spec.trafficPolicy.portLevelSettings[0].tls.mode'],
    ],
    [
      'DISABLE in a subset',
      dr({ subsets: [{ name: 'v1', labels: { v: '1' }, trafficPolicy: { tls: { mode: 'DISABLE' } } }] }),
      ['spec.subsets[0].trafficPolicy.tls.mode'],
    ],
    [
      'DISABLE on a subset port',
      dr({ subsets: [{ name: 'v1', trafficPolicy: { portLevelSettings: [{ tls: { mode: 'DISABLE' } }] } }] }),
      ['spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.mode'],
    ],
    ['an unknown mode', dr({ trafficPolicy: { tls: { mode: 'disable' } } }), ['spec.trafficPolicy.tls.mode']],
  ])('refuses %s', (_name, object, expected) => {
    expect(create(object)).toEqual(expected);
  });

  it('v1alpha3 is read too', () => {
    const object = {
      ...dr({ trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      apiVersion: 'networking.istio.io/v1alpha3',
    };
    expect(create(object)).toEqual(['spec.trafficPolicy.tls.mode']);
  });

  it('judges nothing under Linkerd', () => {
    const object = dr({ trafficPolicy: { tls: { mode: 'DISABLE' } } });
    expect(strictFindings({ operation: 'CREATE', object }, [], withProvider('linkerd'))).toEqual([]);
  });
});
