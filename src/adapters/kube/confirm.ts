import { extendClusterView } from '../../policy/cluster-view.js';
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
  readonly logger: KubeLogger;
}

type Json = Record<string, unknown>;

/**
 * Live reads run inside an admission request whose webhook timeout is 5 s; past this deadline the
 * read gives up and the denial stands, so the developer reads ztgate's message, not a timeout.
 */
export const CONFIRM_TIMEOUT_MS = 2_000;

/** One read; undefined when the object does not exist. */
async function read<T>(rest: KubeRest, path: string): Promise<T | undefined> {
  try {
    return await rest.request<T>('GET', path, { timeoutMs: CONFIRM_TIMEOUT_MS });
  } catch (error) {
    if (hasStatus(error, 404)) return undefined;
    throw error;
  }
}

async function readOne(rest: KubeRest, spec: ResourceSpec, namespace: string | undefined, name: string) {
  const item = await read<Json>(rest, resourcePath(spec, namespace, name));
  return item ? [stripObject(item, apiVersionOf(spec), spec.kind)] : [];
}

async function listPolicies(rest: KubeRest, specs: readonly ResourceSpec[], namespace: string) {
  const found: KubeObject[] = [];
  for (const spec of specs) {
    const list = await read<{ items?: Json[] }>(rest, resourcePath(spec, namespace));
    for (const item of list?.items ?? []) found.push(stripObject(item, apiVersionOf(spec), spec.kind));
  }
  return found;
}

/** Owner chains are short (Pod → ReplicaSet → Deployment, Pod → Job → CronJob). */
const MAX_OWNER_DEPTH = 3;

/** Reads a workload and, following controller references, the workloads that own it. */
async function readOwnerChain(
  rest: KubeRest,
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
    const [object] = await readOne(rest, spec, namespace, next.name);
    if (object === undefined) break;
    found.push(object);
    const controller = object.metadata?.ownerReferences?.find((owner) => owner.controller === true);
    next = controller?.name === undefined ? undefined : { kind: controller.kind, name: controller.name };
  }
  return found;
}

/**
 * Confirms with live reads what a rule found missing from the watched view (the watch lags the
 * API server by a few ms). A failed read leaves the view as it was, so the denial stands.
 */
export async function confirmMissing(options: ConfirmOptions): Promise<ClusterView> {
  const { rest, view, missing, logger } = options;
  const policySpecs = options.policySpecs.filter((spec) => POLICY_KINDS.has(spec.kind));
  const found: KubeObject[] = [];
  const listedPolicies = new Set<string>();
  for (const ref of missing) {
    const namespace = ref.namespace ?? options.namespace;
    try {
      if (ref.kind === 'ServiceAccount' && ref.name !== undefined) {
        found.push(...(await readOne(rest, SERVICE_ACCOUNT, namespace, ref.name)));
      } else if (ref.kind === 'Namespace') {
        found.push(...(await readOne(rest, NAMESPACE, undefined, ref.name ?? namespace)));
      } else if (ref.kind === 'Workload' && ref.name !== undefined) {
        const workloadSpecs = [...CORE_RESOURCES, ...options.policySpecs];
        found.push(...(await readOwnerChain(rest, workloadSpecs, namespace, ref.workloadKind, ref.name)));
      } else if (ref.kind === 'Policy' && !listedPolicies.has(namespace)) {
        listedPolicies.add(namespace);
        found.push(...(await listPolicies(rest, policySpecs, namespace)));
      }
    } catch (error) {
      logger.warn({ missing: ref, err: String(error) }, 'live read failed; the view stays as watched');
    }
  }
  return found.length === 0 ? view : extendClusterView(view, found);
}
