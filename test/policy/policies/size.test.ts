import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import { MAX_ITEMS, MAX_RULES, policySizeErrors } from '../../../src/policy/policies/size.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { namespace, viewOf } from '../helpers.js';

// Every rule of a policy is read and judged on the request's path, and no API sets a limit:
// 20,000 ingress rules held ztgate's event loop 120 ms (npm run fuzz). Past the bounds a policy is
// refused as invalid-object before it is read; no real policy comes near them.

const rule = { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] };
const k8s = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'big', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'api' } }, ...spec },
});
const rules = (count: number) => Array.from({ length: count }, () => rule);

describe('policySizeErrors', () => {
  it.each<[string, KubeObject, string[]]>([
    ['1,000 ingress rules (the bound)', k8s({ ingress: rules(MAX_RULES) }), []],
    ['1,001 ingress rules', k8s({ ingress: rules(MAX_RULES + 1) }), ['spec.ingress']],
    ['1,001 egress rules', k8s({ egress: rules(MAX_RULES + 1) }), ['spec.egress']],
    [
      'a Calico policy with a 5,000-address blocklist (real ones do this)',
      {
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: { name: 'blocklist' },
        spec: {
          selector: 'all()',
          egress: [
            {
              action: 'Deny',
              destination: { nets: Array.from({ length: 5_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`) },
            },
          ],
        },
      },
      [],
    ],
    [
      'one rule with 20,001 peers',
      k8s({
        ingress: [
          { from: Array.from({ length: MAX_ITEMS + 1 }, () => ({ ipBlock: { cidr: '10.0.0.1/32' } })) },
        ],
      }),
      ['spec'],
    ],
    [
      'a Cilium policy with a deny list of 1,001 rules in its second rule set',
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: { name: 'big', namespace: 'shop' },
        specs: [{ endpointSelector: {} }, { endpointSelector: {}, ingressDeny: rules(MAX_RULES + 1) }],
      },
      ['specs[1].ingressDeny'],
    ],
    [
      'an Istio AuthorizationPolicy with 1,001 rules',
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'big', namespace: 'shop' },
        spec: { action: 'ALLOW', rules: Array.from({ length: MAX_RULES + 1 }, () => ({ from: [] })) },
      },
      ['spec.rules'],
    ],
  ])('%s', (_name, object, paths) => {
    expect(policySizeErrors(object).map((error) => error.path)).toEqual(paths);
  });

  it('a 20,000-rule allow-all is refused as invalid-object alone, without reading its rules', () => {
    const everyone = { from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] };
    const object = k8s({ ingress: Array.from({ length: 20_000 }, () => everyone) });
    const decision = evaluate(
      { operation: 'CREATE', object, user: { username: 'dev', groups: [] } },
      viewOf([namespace('shop')]),
      DEFAULT_CONFIG,
    );
    expect(decision.allowed).toBe(false);
    // Read rule by rule it would have carried a no-allow-all-policy finding per rule.
    expect(decision.violations.map((v) => `${v.rule} ${v.path}`)).toEqual(['invalid-object spec.ingress']);
    expect(decision.violations[0]?.message).toContain('20000 rules; ztgate judges at most 1000');
  });
});
