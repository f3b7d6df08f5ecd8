import type { ZtgateConfig } from '../config.js';
import type { PolicyFlavour } from '../types.js';

/** The direction a finding is about. */
export type FixDirection = 'ingress' | 'egress';

/** A rule fragment naming callers (ingress) or destinations (egress), per flavour, with placeholders. */
const FRAGMENTS: Readonly<
  Record<'kubernetes' | 'calico' | 'cilium' | 'istio', Record<FixDirection, string>>
> = {
  kubernetes: {
    ingress: `from:
  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: <caller-namespace>}}
    podSelector: {matchLabels: {app: <caller>}}
ports:
  - {protocol: TCP, port: <port>}`,
    egress: `to:
  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: <namespace>}}
    podSelector: {matchLabels: {app: <service>}}
  - ipBlock: {cidr: <203.0.113.0/24>}
ports:
  - {protocol: TCP, port: <port>}`,
  },
  calico: {
    ingress: `- action: Allow
  protocol: TCP
  source:
    namespaceSelector: projectcalico.org/name == '<caller-namespace>'
    selector: app == '<caller>'
  destination: {ports: [<port>]}`,
    egress: `- action: Allow
  protocol: TCP
  destination:
    namespaceSelector: projectcalico.org/name == '<namespace>'
    selector: app == '<service>'
    ports: [<port>]`,
  },
  cilium: {
    ingress: `- fromEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: <caller-namespace>, app: <caller>}
  toPorts:
    - ports: [{port: '<port>', protocol: TCP}]`,
    egress: `- toEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: <namespace>, app: <service>}
  toPorts:
    - ports: [{port: '<port>', protocol: TCP}]
- toFQDNs: [{matchName: <api.example.com>}]`,
  },
  istio: {
    ingress: `- from:
    - source:
        principals: [{trustDomain}/ns/<caller-namespace>/sa/<caller-serviceaccount>]
  to:
    - operation: {ports: ['<port>']}`,
    egress: '',
  },
};

function familyOf(flavour: PolicyFlavour): keyof typeof FRAGMENTS {
  if (flavour === 'calico-global') return 'calico';
  if (flavour === 'cilium-clusterwide') return 'cilium';
  return flavour;
}

/**
 * The fix for a rule that admits everyone: name the peers instead, as a fragment of the policy's
 * own flavour to paste in place of the open rule (the placeholders do not apply unedited).
 */
export function buildAllowAllFix(
  flavour: PolicyFlavour,
  direction: FixDirection,
  config: ZtgateConfig,
): string {
  const dns = config.defaultDeny.dns;
  const prose =
    direction === 'ingress'
      ? 'Replace it with the callers by name (their namespace and pod labels, or ServiceAccount) and the ports they use, for example:'
      : `Replace it with the destinations by name (namespace and pod labels, addresses, DNS names) and ports${dns.enabled ? `; DNS to ${dns.namespace} is already allowed by ${dns.policyName}` : ''}. For example:`;
  // An Istio principal names the mesh's trust domain: `cluster.local/...` in a mesh whose domain is
  // another would name nobody, and the pasted fix would refuse every caller.
  const fragment = FRAGMENTS[familyOf(flavour)][direction].replace(
    '{trustDomain}',
    config.sidecar.trustDomain,
  );
  return `# ${prose}\n${fragment}`;
}
