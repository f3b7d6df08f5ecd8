import { extendClusterView } from '../../policy/cluster-view.js';
import { readOwnerReferences } from '../../policy/ownership.js';
import type { ClusterView, KubeObject, MissingRef } from '../../policy/types.js';
import { hasStatus, type KubeRest } from './kube-rest.js';
import type { KubeLogger } from './logger.js';
import { apiVersionOf, CORE_RESOURCES, resourcePath, type ResourceSpec } from './resources.js';
import { stripObject } from './strip-object.js';

const SERVICE_ACCOUNT: ResourceSpec = {
  group: '',
  version: 'v1',
  plural: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
};
const NAMESPACE: ResourceSpec = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};
const POLICY_KINDS = new Set([
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'CiliumNetworkPolicy',
  'CiliumClusterwideNetworkPolicy',
  'AuthorizationPolicy',
]);

/** What a live confirmation needs: the client, the view to extend, and the policy kinds served. */
export interface ConfirmOptions {
  readonly rest: KubeRest;
  readonly view: ClusterView;
  readonly missing: readonly MissingRef[];
  readonly namespace: string;
  /** Every watched resource; the policy kinds among them are listed for a missing policy. */
  readonly policySpecs: readonly ResourceSpec[];
  /** Istio's root namespace, whose PeerAuthentications apply mesh-wide. */
  readonly istioRootNamespace: string;
  readonly logger: KubeLogger;
}

type Json = Record<string, unknown>;

/**
 * Live reads run inside an admission request whose webhook timeout is 5 s. One deadline covers
 * every read of a confirmation (they run in parallel where they can); past it the reads are
 * aborted and the denial stands, so the developer reads ztgate's message, not a timeout.
 */
export const CONFIRM_TIMEOUT_MS = 2_000;

/** The client and the deadline every read of one confirmation shares. */
interface Reader {
  readonly rest: KubeRest;
  readonly signal: AbortSignal;
}

/** One read; undefined when the object does not exist. */
async function read<T>(reader: Reader, path: string): Promise<T | undefined> {
  try {
    return await reader.rest.request<T>('GET', path, { signal: reader.signal });
  } catch (error) {
    if (hasStatus(error, 404)) return undefined;
    throw error;
  }
}

async function readOne(reader: Reader, spec: ResourceSpec, namespace: string | undefined, name: string) {
  const item = await read<Json>(reader, resourcePath(spec, namespace, name));
  return item ? [stripObject(item, apiVersionOf(spec), spec.kind)] : [];
}

async function listPolicies(reader: Reader, specs: readonly ResourceSpec[], namespace: string) {
  const lists = await Promise.all(
    specs.map(async (spec) => {
      const list = await read<{ items?: Json[] }>(reader, resourcePath(spec, namespace));
      return (list?.items ?? []).map((item) => stripObject(item, apiVersionOf(spec), spec.kind));
    }),
  );
  return lists.flat();
}

/** Owner chains are short (Pod → ReplicaSet → Deployment, Pod → Job → CronJob). */
const MAX_OWNER_DEPTH = 3;

/**
 * Reads a workload and, following controller references, the workloads that own it. The objects
 * keep metadata.uid and their pod templates (stripObject), which is what the view checks a claim
 * against (the owner's uid and its template's ServiceAccount); a claim these objects do not bear
 * out still does not count after the read.
 */
async function readOwnerChain(
  reader: Reader,
  specs: readonly ResourceSpec[],
  namespace: string,
  kind: string | undefined,
  name: string,
): Promise<KubeObject[]> {
  const found: KubeObject[] = [];
  let next: { kind: string | undefined; name: string } | undefined = { kind, name };
  for (let depth = 0; depth < MAX_OWNER_DEPTH && next !== undefined; depth += 1) {
    const spec = specs.find((candidate) => candidate.kind === next?.kind);
    if (spec === undefined) break;
    const [object] = await readOne(reader, spec, namespace, next.name);
    if (object === undefined) break;
    found.push(object);
    const claim = readOwnerReferences(object.metadata).claim;
    next = claim === undefined ? undefined : { kind: claim.kind, name: claim.name };
  }
  return found;
}

/**
 * Confirms with live reads what a rule found missing from the watched view (the watch lags the
 * API server by a few ms). A failed read leaves the view as it was, so the denial stands.
 */
export async function confirmMissing(options: ConfirmOptions): Promise<ClusterView> {
  const { view, missing, logger } = options;
  const reader: Reader = { rest: options.rest, signal: AbortSignal.timeout(CONFIRM_TIMEOUT_MS) };
  const policySpecs = options.policySpecs.filter((spec) => POLICY_KINDS.has(spec.kind));
  const workloadSpecs = [...CORE_RESOURCES, ...options.policySpecs];
  const listedPolicies = new Set<string>();
  const readFor = (ref: MissingRef): Promise<KubeObject[]> => {
    const namespace = ref.namespace ?? options.namespace;
    if (ref.kind === 'ServiceAccount' && ref.name !== undefined) {
      return readOne(reader, SERVICE_ACCOUNT, namespace, ref.name);
    }
    if (ref.kind === 'Namespace') return readOne(reader, NAMESPACE, undefined, ref.name ?? namespace);
    if (ref.kind === 'Workload' && ref.name !== undefined) {
      return readOwnerChain(reader, workloadSpecs, namespace, ref.workloadKind, ref.name);
    }
    if (ref.kind === 'Policy' && !listedPolicies.has(namespace)) {
      listedPolicies.add(namespace);
      return listPolicies(reader, policySpecs, namespace);
    }
    // A STRICT PeerAuthentication applied a moment before the workload, here or mesh-wide.
    if (ref.kind === 'PeerAuthentication') {
      const specs = options.policySpecs.filter((spec) => spec.kind === 'PeerAuthentication');
      const namespaces = [...new Set([namespace, options.istioRootNamespace])];
      return Promise.all(namespaces.map((ns) => listPolicies(reader, specs, ns))).then((lists) =>
        lists.flat(),
      );
    }
    return Promise.resolve([]);
  };
  const results = await Promise.all(
    missing.map((ref) =>
      readFor(ref).catch((error: unknown) => {
        logger.warn({ missing: ref, err: String(error) }, 'live read failed; the view stays as watched');
        return [];
      }),
    ),
  );
  const found = results.flat();
  return found.length === 0 ? view : extendClusterView(view, found);
}
