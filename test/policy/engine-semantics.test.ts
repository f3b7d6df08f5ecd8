import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { buildDesiredPolicies } from '../../src/policy/desired/index.js';
import { evaluate } from '../../src/policy/engine.js';
import type { EvaluationInput, KubeObject, UserInfo } from '../../src/policy/types.js';
import {
  defaultDeny,
  deployment,
  meshNamespace,
  peerAuthentication,
  serviceAccount,
  viewOf,
} from './helpers.js';

// The policy semantics end to end through evaluate(): what a developer gets back from /validate
// and `ztgate check` for the attacks of issue 12 §3, §5 and §7 and issue 16 item 3.

const developer: UserInfo = { username: 'dev', groups: ['developers'] };
// The namespace is enrolled in the default mesh and STRICT, so only the allow-list rules speak.
const ready = [meshNamespace('shop'), peerAuthentication('strict')];
const verdict = (input: EvaluationInput, objects: readonly KubeObject[] = []) => {
  const decision = evaluate(input, viewOf([...ready, ...objects], [defaultDeny()]), DEFAULT_CONFIG);
  return decision.violations.map((v) => `${v.rule} ${v.path}`);
};
const create = (yaml: string): EvaluationInput => ({
  operation: 'CREATE',
  object: parse(yaml) as KubeObject,
  user: developer,
});

describe('evaluate: policies judged by what they admit', () => {
  it.each([
    [
      'split CIDRs (0.0.0.0/1 + 128.0.0.0/1)',
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: split, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/1}}, {ipBlock: {cidr: 128.0.0.0/1}}]}]`,
      ['no-allow-all-policy spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      'egress to everything from a one-pod policy',
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress: [{}]`,
      ['no-allow-all-policy spec.egress[0]'],
    ],
    [
      'a peer of unknown fields only (issue 16: pruned to an empty peer, which the API server refuses)',
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: typo, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{serviceaccountname: catalog}]}]`,
      ['invalid-object spec.ingress[0].from[0]'],
    ],
    [
      'a selector with an invalid label key',
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: shop}
spec:
  podSelector: {matchLabels: {'app name': web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]`,
      ['invalid-object spec.podSelector.matchLabels.app name'],
    ],
  ])('%s', (_name, yaml, expected) => {
    expect(verdict(create(yaml))).toEqual(expected);
  });

  it('admits the egress-to-internet look-alike (private ranges excepted)', () => {
    const yaml = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: internet, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}}]}]`;
    expect(verdict(create(yaml))).toEqual([]);
  });
});

describe('evaluate: a workload needs an allow-list written for it', () => {
  const notDb = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: not-db, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]`;

  it('a NotIn-only selector is no allow-list for any one workload', () => {
    const input: EvaluationInput = { operation: 'CREATE', object: deployment('web', { sa: 'web' }) };
    expect(verdict(input, [serviceAccount('web'), parse(notDb) as KubeObject])).toEqual([
      'allow-list-policy spec.template.metadata.labels',
    ]);
  });

  it('the same rule for app=web is', () => {
    const forWeb = notDb.replace(
      '{matchExpressions: [{key: app, operator: NotIn, values: [db]}]}',
      '{matchLabels: {app: web}}',
    );
    const input: EvaluationInput = { operation: 'CREATE', object: deployment('web', { sa: 'web' }) };
    expect(verdict(input, [serviceAccount('web'), parse(forWeb) as KubeObject])).toEqual([]);
  });

  it.each([
    [
      'a pod template label key with a space',
      { 'app name': 'web' },
      'spec.template.metadata.labels.app name',
    ],
    [
      'a pod template label value over 63 characters',
      { app: 'w'.repeat(64) },
      'spec.template.metadata.labels.app',
    ],
  ])('refuses %s as invalid-object (the API server would)', (_name, labels, path) => {
    const object = deployment('web', { sa: 'web', labels });
    expect(verdict({ operation: 'CREATE', object }, [serviceAccount('web')])).toContain(
      `invalid-object ${path}`,
    );
  });
});

describe('evaluate: ztgate-allow-dns judged by effect', () => {
  const [, dns] = buildDesiredPolicies(DEFAULT_CONFIG, 'shop');
  const old = dns as unknown as KubeObject;
  const update = (spec: Record<string, unknown>, user: UserInfo = developer): EvaluationInput => ({
    operation: 'UPDATE',
    object: { ...old, spec },
    oldObject: old,
    namespace: 'shop',
    user,
  });

  it('refuses a developer widening it to egress: [{}] (both protection and allow-all)', () => {
    expect(verdict(update({ ...dns?.spec, egress: [{}] }))).toEqual([
      'no-allow-all-policy spec.egress[0]',
      'default-deny-protected spec.egress[0]',
    ]);
  });

  it('refuses a developer adding a port', () => {
    const [rule] = (dns?.spec.egress ?? []) as Record<string, unknown>[];
    expect(
      verdict(update({ ...dns?.spec, egress: [{ ...rule, ports: [{ protocol: 'TCP', port: 5432 }] }] })),
    ).toEqual(['default-deny-protected spec.egress[0].to[0]']);
  });

  it('admits a developer keeping only UDP', () => {
    const [rule] = (dns?.spec.egress ?? []) as Record<string, unknown>[];
    expect(
      verdict(update({ ...dns?.spec, egress: [{ ...rule, ports: [{ protocol: 'UDP', port: 53 }] }] })),
    ).toEqual([]);
  });
});
