/**
 * Loads the bench's generated cluster into a real API server, fast: CRDs for the policy flavours
 * that are custom resources, then Namespaces, then every namespaced object, then the ReplicaSets
 * (their owner references need the uids the API server gave the Deployments), each stage as
 * parallel creates over keep-alive connections. Then waits for kube-controller-manager to finish
 * reacting (token Secrets for 20,000 ServiceAccounts, Deployment and ReplicaSet status), so what
 * is measured next runs on a settled cluster, as ztgate starts on a real one.
 */
import type { KubeObject } from '../../src/policy/types.js';
import { customResourceDefinition } from '../e2e/support/objects.js';
import { forEachConcurrently, objectPath, pluralOf, type KubeApi } from './kube-api.js';

/** What to create, stage by stage. */
export interface LoadPlan {
  readonly crds: readonly KubeObject[];
  readonly namespaces: readonly KubeObject[];
  /** ServiceAccounts, policies, Deployments: after the namespaces. */
  readonly objects: readonly KubeObject[];
  /** After the Deployments, their owner references' uids filled in from the created ones. */
  readonly replicaSets: readonly KubeObject[];
}

/** How long each part of the load took, and how many objects it created. */
export interface LoadFigures {
  readonly objects: number;
  readonly createS: number;
  readonly settleS: number;
  readonly objectsPerS: number;
}

/** Calico's v3 API is served by its own API server; a manifest install stores the same objects as these CRs. */
const CALICO_V3 = 'projectcalico.org/v3';
const CALICO_CRD = 'crd.projectcalico.org/v1';

function withSpec(object: KubeObject, spec: Record<string, unknown>): KubeObject {
  return { ...object, spec: { ...(object['spec'] as Record<string, unknown>), ...spec } };
}

/**
 * The object as the bench loads it: workloads at 0 replicas (no kubelet runs pods; none are
 * created), Deployments paused (the controller makes no ReplicaSet of its own for them), Calico
 * v3 objects in Calico's CRD group, and no uid (the API server assigns one).
 */
export function loadable(object: KubeObject): KubeObject {
  const { uid: _uid, ...metadata } = object.metadata ?? {};
  const plain = { ...object, metadata };
  if (object.apiVersion === CALICO_V3) return { ...plain, apiVersion: CALICO_CRD };
  if (object.kind === 'Deployment') return withSpec(plain, { replicas: 0, paused: true });
  if (object.kind === 'ReplicaSet') return withSpec(plain, { replicas: 0 });
  return plain;
}

/** The CRDs serving every custom kind among `objects`, with each kind's scope. */
function crdsFor(objects: readonly KubeObject[]): KubeObject[] {
  const kinds = new Map<string, KubeObject>();
  for (const object of objects) {
    const [group, version] = (object.apiVersion ?? '').split('/');
    const kind = object.kind ?? '';
    if (group === undefined || version === undefined || !group.includes('.') || group.endsWith('k8s.io'))
      continue;
    const scope = object.metadata?.namespace === undefined ? 'Cluster' : 'Namespaced';
    const crd = customResourceDefinition(group, kind, pluralOf(kind), version, scope);
    kinds.set(`${group}/${kind}`, crd as KubeObject);
  }
  return [...kinds.values()];
}

/** Orders the generated objects (plus `extra`, e.g. the bench's own namespaces) into load stages. */
export function planLoad(generated: readonly KubeObject[], extra: readonly KubeObject[] = []): LoadPlan {
  const all = [...generated, ...extra].map(loadable);
  const referenced = new Set(all.flatMap((o) => (o.metadata?.namespace ? [o.metadata.namespace] : [])));
  const namespaces = all.filter((o) => o.kind === 'Namespace');
  // A namespace objects live in but nothing creates (the mesh root, istio-system) is created bare.
  for (const name of referenced) {
    if (namespaces.some((n) => n.metadata?.name === name)) continue;
    const labels = { 'kubernetes.io/metadata.name': name };
    namespaces.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }
  return {
    crds: crdsFor(all),
    namespaces,
    objects: all.filter((o) => o.kind !== 'Namespace' && o.kind !== 'ReplicaSet'),
    replicaSets: all.filter((o) => o.kind === 'ReplicaSet'),
  };
}

function keyOf(kind: string, namespace: string | undefined, name: string | undefined): string {
  return `${kind}/${namespace ?? ''}/${name ?? ''}`;
}

/** The ReplicaSet with its Deployment owner reference pointing at the Deployment's real uid (`uids` by kind/namespace/name). */
export function ownedBy(replicaSet: KubeObject, uids: ReadonlyMap<string, string>): KubeObject {
  const metadata = replicaSet.metadata ?? {};
  const owners = (metadata.ownerReferences ?? []).map((owner) => {
    if (owner.kind !== 'Deployment') return owner;
    const uid = uids.get(keyOf('Deployment', metadata.namespace, owner.name));
    // A stale uid would have the garbage collector delete the ReplicaSet as an orphan.
    if (uid === undefined) throw new Error(`no Deployment ${metadata.namespace}/${owner.name} was created`);
    return { ...owner, uid };
  });
  return { ...replicaSet, metadata: { ...metadata, ownerReferences: owners } };
}

/** Waits until the API server serves every CRD's kind (the CRDs are Established). */
async function waitForCrds(api: KubeApi, crds: readonly KubeObject[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const crd of crds) {
    const spec = crd['spec'] as { group: string; names: { plural: string }; versions: { name: string }[] };
    const path = `/apis/${spec.group}/${spec.versions[0]?.name ?? 'v1'}`;
    for (;;) {
      const answer = await api.call('GET', path);
      const resources = (answer.body?.['resources'] ?? []) as { name?: string }[];
      if (answer.status === 200 && resources.some((r) => r.name === spec.names.plural)) break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${spec.names.plural}.${spec.group} not served after 60 s`);
      await new Promise((done) => setTimeout(done, 200));
    }
  }
}

/** Creates one stage's objects in parallel; resolves with each created object's uid by kind/namespace/name. */
async function createAll(
  api: KubeApi,
  objects: readonly KubeObject[],
  concurrency: number,
  progress: () => void,
): Promise<Map<string, string>> {
  const uids = new Map<string, string>();
  await forEachConcurrently(objects, concurrency, async (object) => {
    // 409: already there (a retried create that had gone through); the bench's objects are its own.
    let answer = await api.send('POST', objectPath(object), object, [409]);
    if (answer.status === 409) answer = await api.send('GET', objectPath(object, true));
    const metadata = answer.body?.['metadata'] as { uid?: string } | undefined;
    const key = keyOf(object.kind ?? '', object.metadata?.namespace, object.metadata?.name);
    if (metadata?.uid !== undefined) uids.set(key, metadata.uid);
    progress();
  });
  return uids;
}

/** The API server's writes so far (POST, PUT, PATCH, DELETE), from its request counter. */
export function countWrites(metrics: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /[{,]verb="([A-Z]+)"/.exec(line)?.[1];
    if (verb === 'POST' || verb === 'PUT' || verb === 'PATCH' || verb === 'DELETE')
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * Waits until the API server has served fewer than `quietPerS` writes a second over `windowS`
 * seconds: the controllers have caught up with what was loaded. Resolves with the seconds waited.
 */
export async function waitForQuiet(
  api: KubeApi,
  log: (line: string) => void,
  options: { quietPerS?: number; windowS?: number; timeoutS?: number } = {},
): Promise<number> {
  const { quietPerS = 2, windowS = 10, timeoutS = 1200 } = options;
  const started = performance.now();
  let before = countWrites((await api.send('GET', '/metrics')).text);
  for (;;) {
    await new Promise((done) => setTimeout(done, windowS * 1000));
    const now = countWrites((await api.send('GET', '/metrics')).text);
    const rate = (now - before) / windowS;
    const waited = (performance.now() - started) / 1000;
    if (rate < quietPerS) return waited;
    log(`controllers still writing: ${rate.toFixed(0)} writes/s (${waited.toFixed(0)} s)`);
    if (waited > timeoutS) throw new Error(`the API server did not settle within ${timeoutS} s`);
    before = now;
  }
}

/** Creates the plan's objects stage by stage, then waits for the controllers to settle. */
export async function loadCluster(
  api: KubeApi,
  plan: LoadPlan,
  log: (line: string) => void,
  concurrency = 16,
): Promise<LoadFigures> {
  const total = plan.crds.length + plan.namespaces.length + plan.objects.length + plan.replicaSets.length;
  let done = 0;
  let lastReport = performance.now();
  const started = performance.now();
  const progress = (): void => {
    done += 1;
    if (performance.now() - lastReport < 15_000) return;
    lastReport = performance.now();
    const seconds = (lastReport - started) / 1000;
    log(`created ${done}/${total} objects in ${seconds.toFixed(0)} s (${(done / seconds).toFixed(0)}/s)`);
  };
  await createAll(api, plan.crds, concurrency, progress);
  await waitForCrds(api, plan.crds);
  await createAll(api, plan.namespaces, concurrency, progress);
  const uids = await createAll(api, plan.objects, concurrency, progress);
  await createAll(
    api,
    plan.replicaSets.map((rs) => ownedBy(rs, uids)),
    concurrency,
    progress,
  );
  const createS = (performance.now() - started) / 1000;
  log(`created ${total} objects in ${createS.toFixed(1)} s; waiting for the controllers to settle`);
  const settleS = await waitForQuiet(api, log);
  return { objects: total, createS, settleS, objectsPerS: total / createS };
}
