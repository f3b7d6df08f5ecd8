import type { ZtgateConfig } from '../config.js';
import { HBONE_PORT } from '../mesh/istio-ambient.js';
import { listContainers } from '../pod-spec/typed.js';
import { podMesh } from '../rules/mesh-containers.js';
import { field, isRecord } from '../objects.js';
import type { Labels, Workload } from '../types.js';
import { fixName, podWord } from './names.js';
import { renderFix, type FixManifest } from './render.js';

interface PortEntry {
  readonly protocol: string;
  readonly port: number;
}

/** Callers are left as these placeholders (fix/placeholders.ts): the API server refuses `<`. */
const CALLER_NAMESPACE = '<caller-namespace>';
const CALLER = '<caller>';

/**
 * The ports the app's containers declare, in order, without duplicates. The mesh's proxy (the
 * configured mesh's, or ztgate's own as `check` adds it before judging a Pod) is left out, and so
 * are the ports it owns in the pod (descriptor `reservedPorts`, the builtin `sidecar.ports`):
 * callers reach the app through the proxy; its health and admin ports are nobody's to call.
 */
function appPorts(workload: Workload, config: ZtgateConfig | undefined): PortEntry[] {
  const mesh = config === undefined ? undefined : podMesh(workload, config);
  const ports: PortEntry[] = [];
  for (const entry of listContainers(workload.podSpec)) {
    if (entry.list !== 'containers' || mesh?.role(entry.list, entry.name) !== undefined) continue;
    const declared = entry.container['ports'];
    for (const item of Array.isArray(declared) ? (declared as unknown[]) : []) {
      const port = field(item, 'containerPort');
      const protocol = field(item, 'protocol');
      if (typeof port !== 'number' || mesh?.ports.has(port) === true) continue;
      const candidate = { protocol: typeof protocol === 'string' ? protocol : 'TCP', port };
      if (!ports.some((seen) => seen.port === port && seen.protocol === candidate.protocol))
        ports.push(candidate);
    }
  }
  return ports;
}

/**
 * The NetworkPolicy that allow-lists callers of a workload: it selects the pods' labels, applies
 * to Ingress, and names each caller by namespace and pod labels. The caller values are
 * placeholders the API server rejects (`<` is not a label character), so it cannot be applied unedited.
 */
export function allowListManifest(
  workload: Workload,
  name: string,
  podLabels: Labels,
  config?: ZtgateConfig,
): FixManifest {
  const declared = appPorts(workload, config);
  // Under ambient the CNI sees callers arrive on ztunnel's HBONE port, not the app's: 15008 goes
  // into this policy for these pods, never into a namespace-wide rule (that would admit everyone).
  const ambient = config?.mesh.provider === 'istio-ambient';
  const ports =
    ambient && declared.length > 0 ? [...declared, { protocol: 'TCP', port: HBONE_PORT }] : declared;
  const rule: Record<string, unknown> = {
    from: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': CALLER_NAMESPACE } },
        podSelector: { matchLabels: { app: CALLER } },
      },
    ],
  };
  if (ports.length > 0) rule['ports'] = ports;
  const comments = [
    {
      path: ['spec', 'ingress', 0],
      text: 'TODO: one entry per caller: its namespace and its pod labels (or ServiceAccount label).',
    },
  ];
  if (ports.length === 0) {
    comments.push({
      path: ['spec', 'ingress', 0, 'from'],
      text: `TODO: add \`ports:\` for the ports callers may use${ambient ? ` (and ${HBONE_PORT}, ambient's HBONE tunnel)` : ''}.`,
    });
  } else if (ambient) {
    comments.push({
      path: ['spec', 'ingress', 0, 'ports'],
      text: `${HBONE_PORT}: ambient's HBONE tunnel, where ztunnel delivers these callers (what the CNI sees).`,
    });
  }
  return {
    value: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${fixName(workload, name)}-allow-ingress`, namespace: workload.namespace },
      spec: { podSelector: { matchLabels: { ...podLabels } }, policyTypes: ['Ingress'], ingress: [rule] },
    },
    comments,
  };
}

/**
 * The Istio AuthorizationPolicy that allow-lists callers at the proxy, by mTLS identity: SPIFFE
 * principals `<trust-domain>/ns/<namespace>/sa/<service-account>`. Unedited, its placeholder
 * principal matches no one, so applied as is it admits nobody.
 */
export function authorizationPolicyManifest(
  workload: Workload,
  name: string,
  podLabels: Labels,
  config: ZtgateConfig,
): FixManifest {
  const trustDomain = config.sidecar.trustDomain;
  const ports = appPorts(workload, config).map((entry) => String(entry.port));
  const rule: Record<string, unknown> = {
    from: [{ source: { principals: [`${trustDomain}/ns/<caller-namespace>/sa/<caller-serviceaccount>`] } }],
  };
  if (ports.length > 0) rule['to'] = [{ operation: { ports } }];
  return {
    value: {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: `${fixName(workload, name)}-allow-callers`, namespace: workload.namespace },
      spec: { selector: { matchLabels: { ...podLabels } }, action: 'ALLOW', rules: [rule] },
    },
    comments: [
      {
        path: ['spec', 'rules', 0, 'from', 0, 'source', 'principals'],
        text: "TODO: one principal per calling ServiceAccount (the same callers as the NetworkPolicy's).",
      },
    ],
  };
}

/**
 * The fix for a workload no allow-list selects: the NetworkPolicy to write (and labels to add, if
 * none). Under Istio (sidecar or ambient) it pairs the NetworkPolicy (the kernel, by namespace and
 * pod labels) with an AuthorizationPolicy (the proxy, by mTLS identity), as the Calico zero-trust
 * how-to pairs its two enforcement points.
 */
export function buildAllowListFix(
  workload: Workload,
  name: string,
  replacing: readonly string[] = [],
  config?: ZtgateConfig,
): string {
  const hasLabels = isRecord(workload.podLabels) && Object.keys(workload.podLabels).length > 0;
  const base = fixName(workload, name);
  const podLabels = hasLabels ? workload.podLabels : { app: base };
  const pods = podWord(workload);
  const provider = config?.mesh.provider;
  const istio = provider === 'istio' || provider === 'istio-ambient';
  const policies = istio
    ? 'a NetworkPolicy (the kernel, by pod labels) and an AuthorizationPolicy (the proxy, by mTLS identity) that list'
    : 'a NetworkPolicy that lists';
  const prose =
    replacing.length > 0
      ? `Replace the allow-all rules of ${replacing.join(', ')} with the callers by name, for example:`
      : hasLabels
        ? `Create ${policies} who may call this workload; fill in the callers:`
        : `Label ${pods} (app: ${base}) and create ${policies} who may call it; fill in the callers:`;
  const manifests = [allowListManifest(workload, name, podLabels, config)];
  if (istio && config !== undefined)
    manifests.push(authorizationPolicyManifest(workload, name, podLabels, config));
  return renderFix(prose, manifests);
}
