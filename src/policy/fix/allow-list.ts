import type { ZtgateConfig } from '../config.js';
import { meshContainerNames } from '../mesh/index.js';
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
 * The ports the app's containers declare, in order, without duplicates. The mesh's proxy
 * (ztgate's or the mesh's own, already injected or added by `check` before judging) is left out:
 * callers reach the app's ports through it; its health and admin ports are nobody's to call.
 */
function appPorts(workload: Workload, config: ZtgateConfig | undefined): PortEntry[] {
  // The mesh's containers and ztgate's own sidecar (its names come from the config).
  const proxies = new Set(
    config === undefined
      ? []
      : [...meshContainerNames(config), config.sidecar.containerName, config.sidecar.initContainerName],
  );
  const ports: PortEntry[] = [];
  const containers = workload.podSpec['containers'];
  for (const container of Array.isArray(containers) ? (containers as unknown[]) : []) {
    const name = field(container, 'name');
    if (typeof name === 'string' && proxies.has(name)) continue;
    const declared = field(container, 'ports');
    for (const entry of Array.isArray(declared) ? (declared as unknown[]) : []) {
      const port = field(entry, 'containerPort');
      const protocol = field(entry, 'protocol');
      if (typeof port !== 'number') continue;
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
  const ports = appPorts(workload, config);
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
      text: 'TODO: add `ports:` for the ports callers may use.',
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

/** The fix for a workload no allow-list selects: the NetworkPolicy to write (and labels to add, if none). */
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
  const prose =
    replacing.length > 0
      ? `Replace the allow-all rules of ${replacing.join(', ')} with the callers by name, for example:`
      : hasLabels
        ? 'Create a NetworkPolicy that lists who may call this workload; fill in the callers:'
        : `Label ${pods} (app: ${base}) and create a NetworkPolicy that lists who may call it; fill in the callers:`;
  return renderFix(prose, [allowListManifest(workload, name, podLabels, config)]);
}
