import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../support/builtin-config.js';
import {
  buildAllowListFix,
  buildDefaultDenyFix,
  buildServiceAccountFix,
  renderFix,
} from '../../src/policy/fix/index.js';
import { toWorkload } from '../../src/policy/workload.js';
import { cronJob, deployment } from './helpers.js';

function parse(text: string): unknown[] {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return [];
  for (const document of documents) expect(document.errors).toEqual([]);
  return documents.map((document) => document.toJS());
}

function workloadOf(object: Parameters<typeof toWorkload>[0]) {
  const workload = toWorkload(object);
  if (workload === undefined) throw new Error('not a workload');
  return workload;
}

describe('fixes are valid YAML that parses back to the manifests to create', () => {
  it('ServiceAccount named after the workload, with the field to set as a comment', () => {
    const fix = buildServiceAccountFix(workloadOf(cronJob('backup')), 'backup');
    expect(parse(fix)).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'backup', namespace: 'shop' } },
    ]);
    expect(fix.split('\n')[0]).toBe(
      '# Create a ServiceAccount for this workload alone and set spec.jobTemplate.spec.template.spec.serviceAccountName: backup',
    );
  });

  it('NetworkPolicy selecting the pod labels for Ingress, callers as named placeholders, ports from the containers', () => {
    const fix = buildAllowListFix(
      workloadOf(deployment('web', { labels: { app: 'web', tier: 'front' } })),
      'web',
    );
    expect(parse(fix)).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'web-allow-ingress', namespace: 'shop' },
        spec: {
          podSelector: { matchLabels: { app: 'web', tier: 'front' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': '<caller-namespace>' } },
                  podSelector: { matchLabels: { app: '<caller>' } },
                },
              ],
              ports: [{ protocol: 'TCP', port: 8080 }],
            },
          ],
        },
      },
    ]);
    expect(fix).toContain('# TODO: one entry per caller');
  });

  it('NetworkPolicy for a workload without labels proposes one', () => {
    const object = deployment('web', { labels: {} });
    const fix = buildAllowListFix(workloadOf(object), 'web');
    const [policy] = parse(fix) as { spec: { podSelector: unknown } }[];
    expect(policy?.spec.podSelector).toEqual({ matchLabels: { app: 'web' } });
    expect(fix.split('\n')[0]).toContain('Label the pod template (app: web)');
  });

  it('default deny ztgate-default-deny plus the DNS allowance', () => {
    const [deny, dns] = parse(buildDefaultDenyFix('shop', DEFAULT_CONFIG)) as Record<string, unknown>[];
    expect(deny).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: 'ztgate-default-deny',
        namespace: 'shop',
        labels: { 'app.kubernetes.io/managed-by': 'ztgate' },
      },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    expect(dns).toMatchObject({ metadata: { name: 'ztgate-allow-dns' }, spec: { policyTypes: ['Egress'] } });
  });

  it('default deny alone when DNS is disabled (the builtin injector needs no mesh companion)', () => {
    const config = {
      ...BUILTIN_CONFIG,
      defaultDeny: {
        ...BUILTIN_CONFIG.defaultDeny,
        dns: { ...BUILTIN_CONFIG.defaultDeny.dns, enabled: false },
      },
    };
    expect(parse(buildDefaultDenyFix('shop', config)).length).toBe(1);
  });

  it("default deny with the mesh's companion under Istio, so the proxies still reach istiod", () => {
    const manifests = parse(buildDefaultDenyFix('shop', DEFAULT_CONFIG)) as { metadata: { name: string } }[];
    expect(manifests.map((manifest) => manifest.metadata.name)).toEqual([
      'ztgate-default-deny',
      'ztgate-allow-dns',
      'ztgate-allow-mesh',
    ]);
  });
});

describe('renderFix remembers what it rendered', () => {
  it('gives the same text for the same input, and a new one when the input changes', () => {
    const manifest = { value: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } } };
    const first = renderFix('Create it:', [manifest]);
    expect(renderFix('Create it:', [structuredClone(manifest)])).toBe(first);
    const other = renderFix('Create it:', [{ value: { ...manifest.value, metadata: { name: 'b' } } }]);
    expect(parse(other)).toEqual([{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'b' } }]);
    expect(renderFix('Create this:', [manifest])).toBe(first.replace('# Create it:', '# Create this:'));
  });
});
