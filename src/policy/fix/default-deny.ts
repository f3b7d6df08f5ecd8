import type { ZtgateConfig } from '../config.js';
import { MANAGED_BY_LABEL } from '../config.js';
import { renderFix, type FixManifest } from './render.js';

/** The namespace default deny ztgate's reconciler creates: every pod, both directions, no rules. */
export function defaultDenyManifest(namespace: string, config: ZtgateConfig): FixManifest {
  return {
    value: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: config.defaultDeny.policyName, namespace, labels: { [MANAGED_BY_LABEL]: 'ztgate' } },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
  };
}

/** The narrow DNS egress allowance that comes with a default deny (pods still resolve names). */
export function dnsAllowManifest(namespace: string, config: ZtgateConfig): FixManifest {
  const dns = config.defaultDeny.dns;
  return {
    value: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: dns.policyName, namespace, labels: { [MANAGED_BY_LABEL]: 'ztgate' } },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dns.namespace } },
                podSelector: { matchLabels: { ...dns.podSelector } },
              },
            ],
            ports: dns.ports.map((port) => ({ protocol: port.protocol, port: port.port })),
          },
        ],
      },
    },
  };
}

/** The fix for a namespace without a default deny: the policy (and the DNS allowance when configured). */
export function buildDefaultDenyFix(namespace: string, config: ZtgateConfig): string {
  const manifests = [defaultDenyManifest(namespace, config)];
  if (config.defaultDeny.dns.enabled) manifests.push(dnsAllowManifest(namespace, config));
  const prose = config.defaultDeny.create
    ? `ztgate creates these in namespace ${namespace} shortly; to create them now, apply:`
    : `Ask an administrator to create the default deny for namespace ${namespace}:`;
  return renderFix(prose, manifests);
}
