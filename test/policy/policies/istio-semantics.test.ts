import { describe, expect, it } from 'vitest';
import { matchesGlob, principalCoversTrustDomain } from '../../../src/policy/policies/istio-patterns.js';
import { policyFrom } from './helpers.js';

// Allow-all in disguise, Istio AuthorizationPolicy. Facts (Istio AuthorizationPolicy reference,
// pilot/pkg/security/authz): a rule matches when from, to and when all match; an absent field
// matches anything; principals are <trust-domain>/ns/<ns>/sa/<sa>, matched exactly, by prefix
// (`abc*`), suffix (`*abc`) or presence (`*`); ipBlocks/remoteIpBlocks and source.ip/remote.ip
// take addresses or CIDRs; `to` and other `when` keys (paths, methods, ports, headers) narrow the
// operation, never who may call.

function authz(spec: string): string {
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: pay}
spec:
  selector: {matchLabels: {app: web}}
${spec.replace(/^/gm, '  ')}`;
}
const source = (fields: string) => authz(`rules: [{from: [{source: ${fields}}]}]`);
const paths = (findings: readonly { path: string }[]) => findings.map((f) => f.path);

describe('Istio: callers that are everyone, however spelled', () => {
  it.each([
    [
      "principals ['cluster.local/*'] (the whole trust domain)",
      source("{principals: ['cluster.local/*']}"),
      ['spec.rules[0].from[0]'],
    ],
    [
      "principals ['cluster.local/ns/*']",
      source("{principals: ['cluster.local/ns/*']}"),
      ['spec.rules[0].from[0]'],
    ],
    [
      "principals ['*/ns/*/sa/*'] (a * in the middle: a literal to Istio, a wildcard as written)",
      source("{principals: ['*/ns/*/sa/*']}"),
      ['spec.rules[0].from[0]'],
    ],
    ["principals ['*'] (presence)", source("{principals: ['*']}"), ['spec.rules[0].from[0]']],
    [
      "principals ['clus*'] (a prefix of every cluster.local identity)",
      source("{principals: ['clus*']}"),
      ['spec.rules[0].from[0]'],
    ],
    ["namespaces ['*']", source("{namespaces: ['*']}"), ['spec.rules[0].from[0]']],
    [
      "requestPrincipals ['*'] (any valid JWT)",
      source("{requestPrincipals: ['*']}"),
      ['spec.rules[0].from[0]'],
    ],
    ['ipBlocks halves', source('{ipBlocks: [0.0.0.0/1, 128.0.0.0/1]}'), ['spec.rules[0].from[0]']],
    ['remoteIpBlocks ::/0', source("{remoteIpBlocks: ['::/0']}"), ['spec.rules[0].from[0]']],
    [
      'only notIpBlocks (every other address)',
      source('{notIpBlocks: [10.0.0.0/8]}'),
      ['spec.rules[0].from[0]'],
    ],
    [
      'ipBlocks halves across two from entries',
      authz('rules: [{from: [{source: {ipBlocks: [0.0.0.0/1]}}, {source: {ipBlocks: [128.0.0.0/1]}}]}]'),
      ['spec.rules[0].from[0]'],
    ],
    [
      'source.ip halves across two rules (when)',
      authz(
        'rules: [{when: [{key: source.ip, values: [0.0.0.0/1]}]}, {when: [{key: source.ip, values: [128.0.0.0/1]}]}]',
      ),
      ['spec.rules[0]'],
    ],
    [
      'to only narrows the operation (any caller may GET /admin)',
      authz('rules: [{to: [{operation: {methods: [GET], paths: [/admin]}}]}]'),
      ['spec.rules[0]'],
    ],
    [
      'when on a header a caller writes',
      authz("rules: [{when: [{key: 'request.headers[x-team]', values: [pay]}]}]"),
      ['spec.rules[0]'],
    ],
    [
      'when on destination.port',
      authz("rules: [{when: [{key: destination.port, values: ['8080']}]}]"),
      ['spec.rules[0]'],
    ],
    [
      "when source.principal '*'",
      authz("rules: [{when: [{key: source.principal, values: ['*']}]}]"),
      ['spec.rules[0]'],
    ],
    [
      'a from entry of unknown fields only (`sources` is dropped)',
      authz("rules: [{from: [{sources: {principals: ['cluster.local/ns/pay/sa/api']}}]}]"),
      ['spec.rules[0].from[0]'],
    ],
    [
      'a source field misspelled (`principal` is dropped)',
      source("{principal: ['cluster.local/ns/pay/sa/api']}"),
      ['spec.rules[0].from[0]'],
    ],
  ])('%s', (_name, yaml, expected) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, paths(policy.allowAll)]).toEqual([[], expected]);
  });

  it.each([
    ['one ServiceAccount', source("{principals: ['cluster.local/ns/shop/sa/api']}")],
    [
      'every ServiceAccount of one namespace (a prefix past /ns/<ns>/)',
      source("{principals: ['cluster.local/ns/shop/*']}"),
    ],
    ['one namespace', source('{namespaces: [shop]}')],
    ["namespaces with a prefix ('team-a-*')", source("{namespaces: ['team-a-*']}")],
    ['a narrow ipBlock', source('{ipBlocks: [10.0.0.0/8]}')],
    [
      'the internet without private ranges',
      source('{ipBlocks: [0.0.0.0/0], notIpBlocks: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}'),
    ],
    [
      'a wildcard principal narrowed by namespace (fields are ANDed)',
      source("{principals: ['*'], namespaces: [shop]}"),
    ],
    [
      'every address but one principal (ANDed)',
      source("{ipBlocks: [0.0.0.0/0], principals: ['cluster.local/ns/shop/sa/api']}"),
    ],
    [
      'source.ip halves but a narrow principal in the same rule',
      authz(
        "rules: [{from: [{source: {principals: ['cluster.local/ns/shop/sa/api']}}], when: [{key: source.ip, values: [0.0.0.0/0]}]}]",
      ),
    ],
    ['when source.namespace names one', authz('rules: [{when: [{key: source.namespace, values: [pay]}]}]')],
    ['a JWT claim value', authz("rules: [{when: [{key: 'request.auth.claims[groups]', values: [admins]}]}]")],
    ['DENY with an empty rule (a deny, not an allow)', authz('action: DENY\nrules: [{}]')],
  ])('control admitted: %s', (_name, yaml) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, policy.allowAll]).toEqual([[], []]);
  });

  it.each([
    [
      'an ipBlock with a space',
      source("{ipBlocks: [' 10.0.0.0/8']}"),
      'spec.rules[0].from[0].source.ipBlocks[0]',
    ],
    [
      'a remote block over /32',
      source('{remoteIpBlocks: [10.0.0.0/40]}'),
      'spec.rules[0].from[0].source.remoteIpBlocks[0]',
    ],
    [
      'a source.ip value that is a name',
      authz('rules: [{when: [{key: source.ip, values: [localhost]}]}]'),
      'spec.rules[0].when[0].values[0]',
    ],
    [
      'a selector label value with a space',
      authz('rules: [{from: [{source: {namespaces: [pay]}}]}]').replace('app: web', "app: 'my app'"),
      'spec.selector.matchLabels.app',
    ],
  ])('invalid-object: %s', (_name, yaml, path) => {
    expect(policyFrom(yaml).errors.map((error) => error.path)).toEqual([path]);
  });
});

describe('Istio principal patterns', () => {
  it.each([
    ['*', 'cluster.local/ns/a/sa/b', true],
    ['cluster.local/*', 'cluster.local/ns/a/sa/b', true],
    ['*/sa/b', 'cluster.local/ns/a/sa/b', true],
    ['*/ns/*/sa/*', 'cluster.local/ns/a/sa/b', true],
    ['cluster.local/ns/a/sa/b', 'cluster.local/ns/a/sa/b', true],
    ['cluster.local/ns/a/*', 'cluster.local/ns/b/sa/c', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
  ])('glob %s on %s → %s', (pattern, value, expected) => {
    expect(matchesGlob(pattern, value)).toBe(expected);
  });

  it.each([
    ['*', true],
    ['cluster.local/*', true],
    ['cluster.local/ns/*', true],
    ['*/ns/*/sa/*', true],
    ['*local/ns/*', true],
    ['other.domain/*', true],
    ['cluster.local/ns/shop/*', false],
    ['cluster.local/ns/shop/sa/api', false],
    ['*/sa/api', false],
    ['*-admin', false],
  ])('%s covers a whole trust domain → %s', (pattern, expected) => {
    expect(principalCoversTrustDomain(pattern)).toBe(expected);
  });
});
