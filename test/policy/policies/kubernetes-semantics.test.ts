import { describe, expect, it } from 'vitest';
import { policyFrom } from './helpers.js';

// Allow-all in disguise, Kubernetes NetworkPolicy. Each case cites what Kubernetes (and the
// CNIs implementing NetworkPolicy) do with the object; attacks must be found, controls admitted.

function k8s(spec: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: pay}
spec:
${spec.replace(/^/gm, '  ')}`;
}

const web = 'podSelector: {matchLabels: {app: web}}';
const ingress = (peers: string) => k8s(`${web}\ningress: [{from: [${peers}]}]`);
const egress = (peers: string) => k8s(`${web}\npolicyTypes: [Egress]\negress: [{to: [${peers}]}]`);
const paths = (findings: readonly { path: string }[] | undefined) => (findings ?? []).map((f) => f.path);

describe('Kubernetes: peers that admit everyone, however spelled', () => {
  it.each([
    // ipBlock: the union of cidr minus except over the direction's peers (net.ParseCIDR ranges).
    [
      '0.0.0.0/1 and 128.0.0.0/1 in one rule',
      ingress('{ipBlock: {cidr: 0.0.0.0/1}}, {ipBlock: {cidr: 128.0.0.0/1}}'),
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      'halves split across two rules (rules are ORed)',
      k8s(
        `${web}\ningress: [{from: [{ipBlock: {cidr: 0.0.0.0/1}}]}, {from: [{ipBlock: {cidr: 128.0.0.0/1}}], ports: [{port: 443}]}]`,
      ),
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      '::/1 and 8000::/1 (every IPv6 address)',
      ingress("{ipBlock: {cidr: '::/1'}}, {ipBlock: {cidr: '8000::/1'}}"),
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      'host bits with /0 (ParseCIDR masks them: 10.1.2.3/0 is everything)',
      ingress('{ipBlock: {cidr: 10.1.2.3/0}}'),
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      'a zero-padded prefix (/00 is /0 to ParseCIDR)',
      ingress('{ipBlock: {cidr: 0.0.0.0/00}}'),
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      'an except taken back by another peer',
      ingress('{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}, {ipBlock: {cidr: 10.0.0.0/8}}'),
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    [
      '::ffff:0.0.0.0/96 (Go-based CNIs read it as 0.0.0.0/0)',
      ingress("{ipBlock: {cidr: '::ffff:0.0.0.0/96'}}"),
      ['spec.ingress[0].from[0].ipBlock.cidr'],
    ],
    // Selectors: every namespace carries kubernetes.io/metadata.name (Kubernetes ≥ 1.21).
    [
      'namespaceSelector Exists on kubernetes.io/metadata.name',
      ingress(
        '{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: Exists}]}}',
      ),
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    [
      'namespaceSelector NotIn [kube-system] (every other namespace)',
      ingress(
        '{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]}}',
      ),
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    [
      'namespaceSelector DoesNotExist (every namespace without the label)',
      ingress('{namespaceSelector: {matchExpressions: [{key: quarantine, operator: DoesNotExist}]}}'),
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    [
      'namespaceSelector {} with a NotIn-only podSelector',
      ingress(
        '{namespaceSelector: {}, podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}}',
      ),
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    // The Deployment controller labels every pod it makes with pod-template-hash (ReplicaSet docs).
    [
      'every Deployment pod of every namespace (pod-template-hash Exists)',
      ingress(
        '{namespaceSelector: {}, podSelector: {matchExpressions: [{key: pod-template-hash, operator: Exists}]}}',
      ),
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    // Unknown fields: the API server drops them, so `matchLabel` (typo) leaves the selector empty.
    [
      'namespaceSelector of unknown fields only ({matchLabel: …} is {})',
      ingress('{namespaceSelector: {matchLabel: {team: a}}}'),
      ['spec.ingress[0].from[0].namespaceSelector'],
    ],
    [
      'a rule of unknown fields only (`froms` is dropped: no from)',
      k8s(`${web}\ningress: [{froms: [{podSelector: {}}]}]`),
      ['spec.ingress[0]'],
    ],
  ])('ingress: %s', (_name, yaml, expected) => {
    const policy = policyFrom(yaml);
    expect(policy.errors).toEqual([]);
    expect(paths(policy.allowAll)).toEqual(expected);
  });

  it.each([
    ['a narrow CIDR', ingress('{ipBlock: {cidr: 10.0.0.0/8}}')],
    ['0.0.0.0/1 alone (half of IPv4)', ingress('{ipBlock: {cidr: 0.0.0.0/1}}')],
    ['0.0.0.0/0 with one address excepted', ingress('{ipBlock: {cidr: 0.0.0.0/0, except: [192.0.2.1/32]}}')],
    ['namespaceSelector by a team label', ingress('{namespaceSelector: {matchLabels: {team: payments}}}')],
    [
      'namespaceSelector by name',
      ingress('{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}'),
    ],
    [
      'namespaceSelector {} with a real app label',
      ingress('{namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}'),
    ],
    ['podSelector {} (the policy’s own namespace only)', ingress('{podSelector: {}}')],
    [
      'one Job’s pods in every namespace (job-name names it)',
      ingress('{namespaceSelector: {}, podSelector: {matchLabels: {job-name: migrate}}}'),
    ],
    [
      'podSelector NotIn (own namespace only)',
      ingress('{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}}'),
    ],
  ])('ingress control admitted: %s', (_name, yaml) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, policy.allowAll]).toEqual([[], []]);
  });

  it.each([
    [
      'egress without `to` (every destination)',
      k8s(`${web}\npolicyTypes: [Egress]\negress: [{ports: [{port: 53, protocol: UDP}]}]`),
      ['spec.egress[0]'],
    ],
    [
      'egress: [{}] from a namespace-wide policy',
      k8s('podSelector: {}\npolicyTypes: [Egress]\negress: [{}]'),
      ['spec.egress[0]'],
    ],
    ['egress to 0.0.0.0/0', egress('{ipBlock: {cidr: 0.0.0.0/0}}'), ['spec.egress[0].to[0].ipBlock.cidr']],
    ['egress to ::/0', egress("{ipBlock: {cidr: '::/0'}}"), ['spec.egress[0].to[0].ipBlock.cidr']],
    [
      'egress to every pod of every namespace',
      egress('{namespaceSelector: {}}'),
      ['spec.egress[0].to[0].namespaceSelector'],
    ],
    [
      'egress defaulted from rules (no policyTypes)',
      k8s(`${web}\negress: [{to: [{ipBlock: {cidr: 0.0.0.0/1}}]}, {to: [{ipBlock: {cidr: 128.0.0.0/1}}]}]`),
      ['spec.egress[0].to[0].ipBlock.cidr'],
    ],
  ])('egress: %s', (_name, yaml, expected) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, paths(policy.allowAllEgress)]).toEqual([[], expected]);
  });

  it.each([
    [
      'the internet without the private ranges',
      egress('{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}}'),
    ],
    [
      'kube-dns by namespace and pod labels',
      egress(
        '{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}',
      ),
    ],
    [
      'egress rules ignored when policyTypes says Ingress only',
      k8s(`${web}\npolicyTypes: [Ingress]\negress: [{}]`),
    ],
  ])('egress control admitted: %s', (_name, yaml) => {
    const policy = policyFrom(yaml);
    expect([policy.errors, policy.allowAllEgress]).toEqual([[], []]);
  });
});

describe('Kubernetes: what the API server refuses is invalid-object', () => {
  it.each([
    ['an empty peer (must specify a peer)', ingress('{}'), 'spec.ingress[0].from[0]'],
    [
      'a peer of unknown fields only (pruned to {})',
      ingress('{serviceaccountname: catalog}'),
      'spec.ingress[0].from[0]',
    ],
    [
      'ipBlock with a selector',
      ingress('{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}'),
      'spec.ingress[0].from[0]',
    ],
    [
      'ipBlock without cidr',
      ingress('{ipBlock: {cidrs: [10.0.0.0/8]}}'),
      'spec.ingress[0].from[0].ipBlock.cidr',
    ],
    [
      'a cidr with a space',
      ingress("{ipBlock: {cidr: ' 0.0.0.0/0'}}"),
      'spec.ingress[0].from[0].ipBlock.cidr',
    ],
    [
      'a cidr with a leading-zero octet',
      ingress('{ipBlock: {cidr: 010.0.0.0/8}}'),
      'spec.ingress[0].from[0].ipBlock.cidr',
    ],
    ['a bare address', ingress('{ipBlock: {cidr: 10.0.0.1}}'), 'spec.ingress[0].from[0].ipBlock.cidr'],
    [
      'an except outside the cidr',
      ingress('{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}'),
      'spec.ingress[0].from[0].ipBlock.except[0]',
    ],
    [
      'an except equal to the cidr (not a strict subset)',
      ingress('{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}'),
      'spec.ingress[0].from[0].ipBlock.except[0]',
    ],
    ['an egress peer too', egress('{}'), 'spec.egress[0].to[0]'],
    [
      'a label key with a space',
      ingress('{namespaceSelector: {matchLabels: {"team name": a}}}'),
      'spec.ingress[0].from[0].namespaceSelector.matchLabels.team name',
    ],
    [
      'a label value over 63 characters',
      ingress(`{podSelector: {matchLabels: {app: ${'a'.repeat(64)}}}}`),
      'spec.ingress[0].from[0].podSelector.matchLabels.app',
    ],
    [
      'an expression value with a slash',
      ingress('{podSelector: {matchExpressions: [{key: app, operator: In, values: [a/b]}]}}'),
      'spec.ingress[0].from[0].podSelector.matchExpressions[0].values[0]',
    ],
    [
      'an uppercase key prefix',
      k8s('podSelector: {matchLabels: {Example.com/app: web}}'),
      'spec.podSelector.matchLabels.Example.com/app',
    ],
  ])('%s', (_name, yaml, path) => {
    const policy = policyFrom(yaml);
    expect(policy.errors.map((error) => error.path)).toContain(path);
  });

  it('says why an empty peer is refused and names the dropped field', () => {
    const [error] = policyFrom(ingress('{serviceaccountname: catalog}')).errors;
    expect(error?.message).toContain('`serviceaccountname`');
    expect(error?.message).toContain('podSelector, namespaceSelector or ipBlock');
  });

  it('an invalid selector selects nothing and makes the policy no allow-list for anyone', () => {
    const policy = policyFrom(
      k8s('podSelector: {matchLabels: {"app!": web}}\ningress: [{from: [{podSelector: {}}]}]'),
    );
    expect(
      policy.selects({
        namespace: 'pay',
        namespaceLabels: {},
        podLabels: { 'app!': 'web' },
        serviceAccountName: 'x',
        serviceAccountLabels: undefined,
      }),
    ).toBe(false);
  });
});

describe('Kubernetes: written for a workload, or for no one in particular', () => {
  it.each([
    ['podSelector {}', 'podSelector: {}', true],
    ['NotIn only', 'podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}', true],
    ['DoesNotExist only', 'podSelector: {matchExpressions: [{key: canary, operator: DoesNotExist}]}', true],
    ['unknown fields only ({matchLabel: …} is {})', 'podSelector: {matchLabel: {app: web}}', true],
    [
      'every Deployment pod (pod-template-hash Exists)',
      'podSelector: {matchExpressions: [{key: pod-template-hash, operator: Exists}]}',
      true,
    ],
    [
      'every bare pod (controller-revision-hash DoesNotExist)',
      'podSelector: {matchExpressions: [{key: controller-revision-hash, operator: DoesNotExist}]}',
      true,
    ],
    [
      'one StatefulSet pod by name',
      'podSelector: {matchLabels: {statefulset.kubernetes.io/pod-name: db-0}}',
      false,
    ],
    ['matchLabels app=web', web, false],
    [
      'Exists app (a label the pod must carry)',
      'podSelector: {matchExpressions: [{key: app, operator: Exists}]}',
      false,
    ],
    [
      'NotIn beside a required label',
      'podSelector: {matchLabels: {app: web}, matchExpressions: [{key: track, operator: NotIn, values: [canary]}]}',
      false,
    ],
  ])('%s: selects pods nobody labelled → %s', (_name, selector, expected) => {
    expect(
      policyFrom(k8s(`${selector}\ningress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]`))
        .selectsUnlabelledPods,
    ).toBe(expected);
  });
});
