import { createClusterView } from '../../src/policy/cluster-view.js';
import type {
  ClusterView,
  KubeObject,
  Labels,
  NormalizedPolicy,
  SelectTarget,
} from '../../src/policy/types.js';

/** A hand-built policy in the common form; `matchLabels` undefined selects every pod. */
export function policy(
  spec: Partial<Omit<NormalizedPolicy, 'selects' | 'coversNamespace'>> & {
    readonly name: string;
    readonly matchLabels?: Labels;
  },
): NormalizedPolicy {
  const { matchLabels, ...rest } = spec;
  const namespace = 'namespace' in spec ? spec.namespace : 'shop';
  return {
    flavour: 'kubernetes',
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    clusterWide: false,
    selectsEveryPod: matchLabels === undefined,
    appliesToIngress: true,
    appliesToEgress: false,
    ingressRuleCount: 1,
    egressRuleCount: 0,
    isAllowList: true,
    isDefaultDeny: false,
    allowAll: [],
    errors: [],
    source: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: spec.name, namespace },
    },
    ...rest,
    namespace,
    selects: (target: SelectTarget) =>
      Object.entries(matchLabels ?? {}).every(([key, value]) => target.podLabels[key] === value),
    coversNamespace: (ns: string) => spec.clusterWide === true || ns === namespace,
  };
}

/** A namespace default deny in the common form. */
export function defaultDeny(namespace = 'shop'): NormalizedPolicy {
  return policy({
    name: 'ztgate-default-deny',
    namespace,
    appliesToEgress: true,
    ingressRuleCount: 0,
    isAllowList: false,
    isDefaultDeny: true,
  });
}

interface WorkloadSpec {
  readonly namespace?: string;
  readonly sa?: string;
  readonly labels?: Labels;
  /** The controller reference; apiVersion and uid default to the real ones of that kind and name. */
  readonly owner?: { kind: string; name: string; apiVersion?: string; uid?: string };
}

/** The uid the builders give an object of this kind and name (owner references carry it). */
export function uidOf(kind: string, name: string): string {
  return `uid-${kind.toLowerCase()}-${name}`;
}

/** The apiVersion a controller of this kind writes into the references it sets. */
const OWNER_API_VERSIONS: Readonly<Record<string, string>> = {
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  ReplicationController: 'v1',
};

function podSpec(spec: WorkloadSpec): Record<string, unknown> {
  const pod: Record<string, unknown> = {
    containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }] }],
  };
  if (spec.sa !== undefined) pod['serviceAccountName'] = spec.sa;
  return pod;
}

function meta(kind: string, name: string, spec: WorkloadSpec): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    name,
    namespace: spec.namespace ?? 'shop',
    uid: uidOf(kind, name),
  };
  if (spec.owner !== undefined) {
    const { kind: ownerKind, name: ownerName } = spec.owner;
    const reference = {
      apiVersion: spec.owner.apiVersion ?? OWNER_API_VERSIONS[ownerKind] ?? 'example.com/v1',
      kind: ownerKind,
      name: ownerName,
      uid: spec.owner.uid ?? uidOf(ownerKind, ownerName),
      controller: true,
    };
    metadata['ownerReferences'] = [reference];
  }
  return metadata;
}

/** An apps/v1 Deployment with its pod template labels and ServiceAccount. */
export function deployment(name: string, spec: WorkloadSpec = {}): KubeObject {
  const labels = spec.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('Deployment', name, spec),
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(spec) } },
  };
}

/** A workload of another controller kind with the same template shape as a Deployment. */
export function controller(
  kind: string,
  apiVersion: string,
  name: string,
  spec: WorkloadSpec = {},
): KubeObject {
  const object: KubeObject = {
    ...deployment(name, spec),
    kind,
    apiVersion,
    metadata: meta(kind, name, spec),
  };
  if (kind !== 'ReplicationController') return object;
  // A ReplicationController's selector is a plain label map, not a LabelSelector.
  const rcSpec = object['spec'] as Record<string, unknown>;
  return { ...object, spec: { ...rcSpec, selector: spec.labels ?? { app: name } } };
}

/** A batch/v1 CronJob (template at spec.jobTemplate.spec.template). */
export function cronJob(name: string, spec: WorkloadSpec = {}): KubeObject {
  const labels = spec.labels ?? { app: name };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta('CronJob', name, spec),
    spec: {
      schedule: '* * * * *',
      jobTemplate: { spec: { template: { metadata: { labels }, spec: podSpec(spec) } } },
    },
  };
}

/** A v1 Pod. */
export function pod(name: string, spec: WorkloadSpec = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...meta('Pod', name, spec), labels: spec.labels ?? { app: name } },
    spec: podSpec(spec),
  };
}

/** A v1 ServiceAccount. */
export function serviceAccount(name: string, namespace = 'shop', labels: Labels = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } };
}

/** A v1 Namespace. */
export function namespace(name: string, labels: Labels = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** A v1 Namespace enrolled in the default config's mesh (Istio, default revision). */
export function meshNamespace(name: string, labels: Labels = {}): KubeObject {
  return namespace(name, { 'istio-injection': 'enabled', ...labels });
}

/** An Istio PeerAuthentication: namespace-wide without `selector`, mode STRICT unless given. */
export function peerAuthentication(
  name: string,
  namespace = 'shop',
  spec: Record<string, unknown> = { mtls: { mode: 'STRICT' } },
): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace },
    spec,
  };
}

/** A view of objects plus hand-built policies. */
export function viewOf(
  objects: readonly KubeObject[],
  policies: readonly NormalizedPolicy[] = [],
): ClusterView {
  return createClusterView(objects, { istioRootNamespace: 'istio-system', policies });
}
