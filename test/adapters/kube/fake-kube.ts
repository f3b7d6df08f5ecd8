import {
  KubeApiError,
  type KubeRest,
  type Query,
  type WatchEvent,
} from '../../../src/adapters/kube/kube-rest.js';

type Json = Record<string, unknown>;

interface Watcher {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  readonly onEvent: (event: WatchEvent) => void;
  readonly onDone: (error: unknown) => void;
}

interface Target {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

const CORE_SERVED = [
  'v1/namespaces',
  'v1/serviceaccounts',
  'v1/pods',
  'v1/replicationcontrollers',
  'v1/configmaps',
  'networking.k8s.io/v1/networkpolicies',
  'apps/v1/deployments',
  'apps/v1/statefulsets',
  'apps/v1/daemonsets',
  'apps/v1/replicasets',
  'batch/v1/jobs',
  'batch/v1/cronjobs',
  'apiextensions.k8s.io/v1/customresourcedefinitions',
  'coordination.k8s.io/v1/leases',
];

/** A request the fake served, for assertions on what a component wrote. */
export interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly query?: Query;
}

function parse(path: string): Target & { readonly groupVersion: string } {
  const parts = path.split('/').filter(Boolean);
  const [prefix, ...rest] = parts;
  const gvLength = prefix === 'api' ? 1 : 2;
  const groupVersion = rest.slice(0, gvLength).join('/');
  const tail = rest.slice(gvLength);
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    return { groupVersion, resource: `${groupVersion}/${tail[2]}`, namespace: tail[1], name: tail[3] };
  }
  return { groupVersion, resource: `${groupVersion}/${tail[0] ?? ''}`, namespace: undefined, name: tail[1] };
}

function matchesLabels(object: Json, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels = ((object['metadata'] as Json | undefined)?.['labels'] ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return labels[key ?? ''] === value;
  });
}

/** Field selectors as ztgate uses them: `metadata.name=…` and `metadata.namespace=…`, comma-joined. */
function matchesFields(object: Json, selector: string | undefined): boolean {
  if (!selector) return true;
  const metadata = (object['metadata'] ?? {}) as Record<string, unknown>;
  return selector.split(',').every((term) => {
    const [path, value] = term.split('=');
    if (path !== 'metadata.name' && path !== 'metadata.namespace') throw new Error(`field ${path}`);
    return metadata[path.slice('metadata.'.length)] === value;
  });
}

/** An in-memory API server behind the KubeRest interface: list, get, create, replace, delete, watch, discovery. */
export class FakeKube implements KubeRest {
  readonly calls: Call[] = [];
  readonly served = new Set(CORE_SERVED);
  private readonly store = new Map<string, Map<string, Json>>();
  private readonly watchers = new Set<Watcher>();
  private version = 1;
  /** When set, every request and new watch fails with this status. */
  failWith: number | undefined;

  seed(apiVersionPlural: string, object: Json): Json {
    const metadata = object['metadata'] as Json;
    const stored = {
      ...object,
      metadata: { ...metadata, resourceVersion: String(++this.version), uid: `uid-${this.version}` },
    };
    const key = `${String(metadata['namespace'] ?? '')}/${String(metadata['name'])}`;
    const previous = this.bucket(apiVersionPlural).get(key);
    this.bucket(apiVersionPlural).set(key, stored);
    this.emit(apiVersionPlural, stored, previous);
    return stored;
  }

  remove(apiVersionPlural: string, namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const object = this.bucket(apiVersionPlural).get(key);
    if (!object) return;
    this.bucket(apiVersionPlural).delete(key);
    this.emit(apiVersionPlural, object, undefined, true);
  }

  get(apiVersionPlural: string, namespace: string, name: string): Json | undefined {
    return this.bucket(apiVersionPlural).get(`${namespace}/${name}`);
  }

  /** Ends every watch with an error (a broken connection). */
  breakWatches(error: unknown = new Error('connection reset')): void {
    for (const watcher of [...this.watchers]) {
      this.watchers.delete(watcher);
      watcher.onDone(error);
    }
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  writes(): Call[] {
    return this.calls.filter((call) => call.method !== 'GET');
  }

  private bucket(resource: string): Map<string, Json> {
    let bucket = this.store.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.store.set(resource, bucket);
    }
    return bucket;
  }

  /**
   * Sends an event to the matching watches. As the API server does, a watch with a selector sees
   * an object that stops matching as DELETED and one that starts matching as ADDED.
   */
  private emit(resource: string, object: Json, previous: Json | undefined, deleted = false): void {
    const namespace = (object['metadata'] as Json)['namespace'];
    for (const watcher of this.watchers) {
      if (watcher.resource !== resource) continue;
      if (watcher.namespace !== undefined && watcher.namespace !== namespace) continue;
      const matches = (candidate: Json | undefined): boolean =>
        candidate !== undefined &&
        matchesLabels(candidate, watcher.labelSelector) &&
        matchesFields(candidate, watcher.fieldSelector);
      const before = matches(previous);
      const after = matches(object);
      let type: string | undefined;
      if (deleted) type = after ? 'DELETED' : undefined;
      else if (after) type = before ? 'MODIFIED' : 'ADDED';
      else if (before) type = 'DELETED';
      if (type !== undefined) watcher.onEvent({ type, object: structuredClone(object) });
    }
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    this.calls.push({ method, path, body: options.body, query: options.query });
    await Promise.resolve();
    if (this.failWith !== undefined) throw new KubeApiError(this.failWith, 'injected failure');
    const target = parse(path);
    if (target.resource.endsWith('/')) return this.discover(target.groupVersion) as T;
    if (!this.served.has(target.resource))
      throw new KubeApiError(404, 'the server could not find the requested resource', 'NotFound');
    const bucket = this.bucket(target.resource);
    const key = `${target.namespace ?? ''}/${target.name ?? ''}`;
    if (method === 'GET' && target.name === undefined) return this.list(bucket, target, options.query) as T;
    if (method === 'GET') {
      const found = bucket.get(key);
      if (!found) throw new KubeApiError(404, `${target.name} not found`, 'NotFound');
      return structuredClone(found) as T;
    }
    const dryRun = options.query?.['dryRun'] === 'All';
    if (method === 'DELETE') return this.delete(target, options.body as Json | undefined, dryRun) as T;
    return this.write(method, target, options.body as Json, dryRun) as T;
  }

  private discover(groupVersion: string): Json {
    const resources = [...this.served]
      .filter(
        (resource) =>
          resource.startsWith(`${groupVersion}/`) &&
          resource.split('/').length === groupVersion.split('/').length + 1,
      )
      .map((resource) => ({ name: resource.split('/').pop() }));
    if (resources.length === 0) throw new KubeApiError(404, 'not found', 'NotFound');
    return { resources };
  }

  private list(bucket: Map<string, Json>, target: Target, query: Query | undefined): Json {
    const items = [...bucket.values()].filter(
      (object) =>
        (target.namespace === undefined || (object['metadata'] as Json)['namespace'] === target.namespace) &&
        matchesLabels(object, query?.['labelSelector'] as string | undefined) &&
        matchesFields(object, query?.['fieldSelector'] as string | undefined),
    );
    // List items come without apiVersion and kind, as from a real API server.
    const stripped = items.map(({ apiVersion: _a, kind: _k, ...rest }) => structuredClone(rest));
    return { metadata: { resourceVersion: String(this.version) }, items: stripped };
  }

  /** DELETE as the API server does it: 404 when absent, 409 when DeleteOptions preconditions fail. */
  private delete(target: Target, body: Json | undefined, dryRun: boolean): Json {
    const existing = this.bucket(target.resource).get(`${target.namespace ?? ''}/${target.name ?? ''}`);
    if (!existing) throw new KubeApiError(404, `${target.name} not found`, 'NotFound');
    const metadata = existing['metadata'] as Json;
    const preconditions = (body?.['preconditions'] ?? {}) as Json;
    for (const key of ['uid', 'resourceVersion']) {
      if (preconditions[key] !== undefined && preconditions[key] !== metadata[key]) {
        throw new KubeApiError(409, `precondition failed: ${key}`, 'Conflict');
      }
    }
    if (!dryRun) this.remove(target.resource, target.namespace ?? '', target.name ?? '');
    return structuredClone(existing);
  }

  /** POST and PUT; with `dryRun=All` the answer is what would be stored, and nothing is. */
  private write(method: string, target: Target, body: Json, dryRun = false): Json {
    const metadata = (body['metadata'] ?? {}) as Json;
    const name = target.name ?? String(metadata['name']);
    const key = `${target.namespace ?? ''}/${name}`;
    const bucket = this.bucket(target.resource);
    const existing = bucket.get(key);
    if (method === 'POST' && existing) throw new KubeApiError(409, `${name} already exists`, 'AlreadyExists');
    if (method === 'PUT' && !existing) throw new KubeApiError(404, `${name} not found`, 'NotFound');
    const existingMeta = (existing?.['metadata'] ?? {}) as Json;
    if (method === 'PUT' && metadata['resourceVersion'] !== existingMeta['resourceVersion']) {
      throw new KubeApiError(409, 'the object has been modified', 'Conflict');
    }
    const stored = {
      ...structuredClone(body),
      metadata: {
        ...metadata,
        name,
        ...(target.namespace === undefined ? {} : { namespace: target.namespace }),
        uid: existingMeta['uid'] ?? `uid-${this.version + 1}`,
        resourceVersion: String(++this.version),
      },
    };
    if (dryRun) return structuredClone(stored);
    bucket.set(key, stored);
    this.emit(target.resource, stored, existing);
    return structuredClone(stored);
  }

  async watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    onDone: (error: unknown) => void,
  ): Promise<{ abort(): void }> {
    this.calls.push({ method: 'WATCH', path, query });
    await Promise.resolve();
    const target = parse(path);
    const watcher: Watcher = {
      resource: target.resource,
      namespace: target.namespace,
      labelSelector: query['labelSelector'] as string | undefined,
      fieldSelector: query['fieldSelector'] as string | undefined,
      onEvent,
      onDone,
    };
    if (this.failWith !== undefined) {
      onDone(new KubeApiError(this.failWith, 'injected failure'));
      return { abort: () => undefined };
    }
    this.watchers.add(watcher);
    return { abort: () => this.watchers.delete(watcher) };
  }
}

/** Waits until a condition holds (polling every 5 ms), failing after a timeout. */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
