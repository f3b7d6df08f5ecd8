import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlJson } from './support/kubectl.js';
import { list, type Manifest } from './support/objects.js';
import { waitFor } from './support/processes.js';
import { startScenario, type Scenario } from './support/scenario.js';

// Policies judged by what they admit (issue 12 §3, §5; issue 16 item 3), through the real API
// server: what a developer's `kubectl apply` gets back from policies.ztgate.dev.
const NS = 'semantics';

function networkPolicy(name: string, spec: Manifest): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: NS },
    spec,
  };
}

const web = { matchLabels: { app: 'web' } };
const dnsPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

interface DnsPolicy {
  spec: { egress: { to: unknown[]; ports: { protocol: string; port: number }[] }[] };
}

describe('policies judged by what they admit (real kube-apiserver)', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario();
    await s.createNamespace(NS);
    // The reconciler creates ztgate-allow-dns next to the default deny.
    await waitFor(
      async () => (await kubectl(s.admin, ['get', 'networkpolicy', 'ztgate-allow-dns', '-n', NS])).code === 0,
      15_000,
      () => `no ztgate-allow-dns in ${NS}`,
    );
  });
  afterAll(async () => {
    await s?.stop();
  });

  const apply = (manifest: Manifest) => kubectl(s.user, ['apply', '-f', '-'], list(manifest));
  const exists = async (name: string) =>
    (await kubectl(s.admin, ['get', 'networkpolicy', name, '-n', NS])).code === 0;

  it.each<[string, Manifest, string]>([
    [
      'ingress from 0.0.0.0/1 and 128.0.0.0/1 (every IPv4 address, split in two)',
      networkPolicy('split-cidr', {
        podSelector: web,
        ingress: [
          { from: [{ ipBlock: { cidr: '0.0.0.0/1' } }] },
          { from: [{ ipBlock: { cidr: '128.0.0.0/1' } }] },
        ],
      }),
      'together cover every IPv4 address',
    ],
    [
      'egress to every destination',
      networkPolicy('egress-open', { podSelector: web, policyTypes: ['Egress'], egress: [{}] }),
      "cancels the namespace's egress default deny",
    ],
    [
      'a namespaceSelector on the label every namespace carries',
      networkPolicy('every-namespace', {
        podSelector: web,
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'Exists' }],
                },
              },
            ],
          },
        ],
      }),
      'which every namespace carries',
    ],
  ])('refuses %s', async (_name, manifest, reason) => {
    const result = await apply(manifest);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('admission webhook "policies.ztgate.dev" denied the request');
    expect(result.stderr).toContain('[no-allow-all-policy]');
    expect(result.stderr).toContain(reason);
    expect(await exists((manifest.metadata as { name: string }).name)).toBe(false);
  });

  it.each<[string, Manifest]>([
    [
      'a narrow CIDR',
      networkPolicy('narrow-cidr', {
        podSelector: web,
        ingress: [{ from: [{ ipBlock: { cidr: '10.20.0.0/16' } }] }],
      }),
    ],
    [
      'egress to the internet without the private ranges',
      networkPolicy('internet', {
        podSelector: web,
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } },
            ],
          },
        ],
      }),
    ],
    [
      'callers by team label',
      networkPolicy('team-callers', {
        podSelector: web,
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'payments' } },
                podSelector: { matchLabels: { app: 'api' } },
              },
            ],
          },
        ],
      }),
    ],
  ])('admits %s', async (_name, manifest) => {
    const result = await apply(manifest);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('the API server itself refuses a peer of unknown fields only (it prunes them to an empty peer)', async () => {
    const typo = networkPolicy('typo', {
      podSelector: web,
      ingress: [{ from: [{ serviceaccountname: 'catalog' }] }],
    });
    // --validate=false: kubectl would refuse the unknown field before sending it.
    const result = await kubectl(s.user, ['apply', '--validate=false', '-f', '-'], list(typo));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('must specify a peer');
  });

  it('refuses a developer widening ztgate-allow-dns, and the rule names what the edit lets through', async () => {
    const widen = [{ op: 'add', path: '/spec/egress/0/ports/-', value: { protocol: 'TCP', port: 5432 } }];
    const result = await kubectl(s.user, [
      'patch',
      'networkpolicy',
      'ztgate-allow-dns',
      '-n',
      NS,
      '--type=json',
      '-p',
      JSON.stringify(widen),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[default-deny-protected]');
    expect(result.stderr).toContain('5432/TCP');
    const everything = await kubectl(s.user, [
      'patch',
      'networkpolicy',
      'ztgate-allow-dns',
      '-n',
      NS,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { egress: [{}] } }),
    ]);
    expect(everything.code).toBe(1);
    expect(everything.stderr).toContain('[default-deny-protected]');
    const stored = await kubectlJson<DnsPolicy>(s.admin, [
      'get',
      'networkpolicy',
      'ztgate-allow-dns',
      '-n',
      NS,
    ]);
    expect(stored.spec.egress[0]?.ports.map((port) => `${port.port}/${port.protocol}`).sort()).toEqual([
      '53/TCP',
      '53/UDP',
    ]);
  });

  it('admits a developer narrowing ztgate-allow-dns (UDP only), a look-alike by name that lets nothing more through', async () => {
    const narrow = { spec: { egress: [{ to: [dnsPeer], ports: [{ protocol: 'UDP', port: 53 }] }] } };
    const result = await kubectl(s.user, [
      'patch',
      'networkpolicy',
      'ztgate-allow-dns',
      '-n',
      NS,
      '--type=merge',
      '-p',
      JSON.stringify(narrow),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The reconciler then puts ztgate's version back.
    await waitFor(
      async () => {
        const stored = await kubectlJson<DnsPolicy>(s.admin, [
          'get',
          'networkpolicy',
          'ztgate-allow-dns',
          '-n',
          NS,
        ]);
        return stored.spec.egress[0]?.ports.length === 2;
      },
      15_000,
      () => 'ztgate-allow-dns was not restored',
    );
  });
});
