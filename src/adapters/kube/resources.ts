import { hasStatus, type KubeRest } from './kube-rest.js';

/** One API resource the watch cache lists and watches. */
export interface ResourceSpec {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** The resources every cluster serves, in the order they are listed. */
export const CORE_RESOURCES: readonly ResourceSpec[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  {
    group: '',
    version: 'v1',
    plural: 'replicationcontrollers',
    kind: 'ReplicationController',
    namespaced: true,
  },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
];

/** The core resource of a kind (Namespace, NetworkPolicy …); throws for a kind not in the list. */
export function coreResource(kind: string): ResourceSpec {
  const spec = CORE_RESOURCES.find((candidate) => candidate.kind === kind);
  if (spec === undefined) throw new Error(`no core resource of kind ${kind}`);
  return spec;
}

/**
 * Resources served only on some clusters, best version first: CronJob is batch/v1 from
 * Kubernetes 1.21 (batch/v1beta1 before), and the policy flavours exist only when their CRDs
 * (or Calico's aggregated API server) are installed.
 */
export const OPTIONAL_RESOURCES: readonly (readonly ResourceSpec[])[] = [
  [
    { group: 'batch', version: 'v1', plural: 'cronjobs', kind: 'CronJob', namespaced: true },
    { group: 'batch', version: 'v1beta1', plural: 'cronjobs', kind: 'CronJob', namespaced: true },
  ],
  // Calico serves projectcalico.org/v3 only with its API server; without it (the common
  // manifest install) the same policies live as crd.projectcalico.org/v1 custom resources.
  // One or the other is watched, never both: the API server stores v3 objects in those CRDs.
  [
    {
      group: 'projectcalico.org',
      version: 'v3',
      plural: 'networkpolicies',
      kind: 'NetworkPolicy',
      namespaced: true,
    },
    {
      group: 'crd.projectcalico.org',
      version: 'v1',
      plural: 'networkpolicies',
      kind: 'NetworkPolicy',
      namespaced: true,
    },
  ],
  [
    {
      group: 'projectcalico.org',
      version: 'v3',
      plural: 'globalnetworkpolicies',
      kind: 'GlobalNetworkPolicy',
      namespaced: false,
    },
    {
      group: 'crd.projectcalico.org',
      version: 'v1',
      plural: 'globalnetworkpolicies',
      kind: 'GlobalNetworkPolicy',
      namespaced: false,
    },
  ],
  [
    {
      group: 'cilium.io',
      version: 'v2',
      plural: 'ciliumnetworkpolicies',
      kind: 'CiliumNetworkPolicy',
      namespaced: true,
    },
  ],
  [
    {
      group: 'cilium.io',
      version: 'v2',
      plural: 'ciliumclusterwidenetworkpolicies',
      kind: 'CiliumClusterwideNetworkPolicy',
      namespaced: false,
    },
  ],
  [
    {
      group: 'security.istio.io',
      version: 'v1',
      plural: 'authorizationpolicies',
      kind: 'AuthorizationPolicy',
      namespaced: true,
    },
    {
      group: 'security.istio.io',
      version: 'v1beta1',
      plural: 'authorizationpolicies',
      kind: 'AuthorizationPolicy',
      namespaced: true,
    },
  ],
  // Istio's mTLS settings: strict-mtls resolves the mode in force from the PeerAuthentications;
  // DestinationRules are listed for `ztgate audit`.
  [
    {
      group: 'security.istio.io',
      version: 'v1',
      plural: 'peerauthentications',
      kind: 'PeerAuthentication',
      namespaced: true,
    },
    {
      group: 'security.istio.io',
      version: 'v1beta1',
      plural: 'peerauthentications',
      kind: 'PeerAuthentication',
      namespaced: true,
    },
  ],
  [
    {
      group: 'networking.istio.io',
      version: 'v1',
      plural: 'destinationrules',
      kind: 'DestinationRule',
      namespaced: true,
    },
    {
      group: 'networking.istio.io',
      version: 'v1beta1',
      plural: 'destinationrules',
      kind: 'DestinationRule',
      namespaced: true,
    },
    {
      group: 'networking.istio.io',
      version: 'v1alpha3',
      plural: 'destinationrules',
      kind: 'DestinationRule',
      namespaced: true,
    },
  ],
];

/** The CustomResourceDefinition resource, watched to notice policy kinds appearing. */
export const CRD_RESOURCE: ResourceSpec = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

/** The apiVersion of a resource ("v1", "apps/v1"). */
export function apiVersionOf(spec: ResourceSpec): string {
  return spec.group === '' ? spec.version : `${spec.group}/${spec.version}`;
}

/** A stable key for a resource: "apps/v1/deployments". */
export function resourceKey(spec: ResourceSpec): string {
  return `${apiVersionOf(spec)}/${spec.plural}`;
}

/** The REST path of a resource collection, cluster-wide or in one namespace, optionally one object. */
export function resourcePath(spec: ResourceSpec, namespace?: string, name?: string): string {
  const base = spec.group === '' ? `/api/${spec.version}` : `/apis/${spec.group}/${spec.version}`;
  const scope =
    spec.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${base}${scope}/${spec.plural}${object}`;
}

interface ApiResourceList {
  readonly resources?: readonly { readonly name?: string }[];
}

/** How long one discovery request may take: start-up and rediscovery must not hang on a mute API server. */
export const DISCOVERY_TIMEOUT_MS = 5_000;

function groupVersionPath(spec: ResourceSpec): string {
  return spec.group === '' ? `/api/${spec.version}` : `/apis/${spec.group}/${spec.version}`;
}

/**
 * Asks the discovery endpoints which optional resources are served; returns the best served
 * version of each. A group that is not served answers 404 (or 503 for a broken aggregated API).
 * The group versions are asked at once, each within DISCOVERY_TIMEOUT_MS, so a mute API server
 * costs one timeout, not one per group.
 */
export async function discoverOptionalResources(rest: KubeRest): Promise<ResourceSpec[]> {
  const paths = [...new Set(OPTIONAL_RESOURCES.flat().map(groupVersionPath))];
  const answers = await Promise.all(
    paths.map(async (path): Promise<[string, ApiResourceList | undefined]> => {
      try {
        return [path, await rest.request<ApiResourceList>('GET', path, { timeoutMs: DISCOVERY_TIMEOUT_MS })];
      } catch (error) {
        if (hasStatus(error, 404, 503)) return [path, undefined];
        throw error;
      }
    }),
  );
  const lists = new Map(answers);
  const served: ResourceSpec[] = [];
  for (const candidates of OPTIONAL_RESOURCES) {
    const best = candidates.find((spec) =>
      lists.get(groupVersionPath(spec))?.resources?.some((resource) => resource.name === spec.plural),
    );
    if (best) served.push(best);
  }
  return served;
}
