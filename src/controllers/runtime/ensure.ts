import { hasStatus, KubeApiError, type KubeRest, type Query } from '../../adapters/kube/kube-rest.js';
import { resourcePath } from '../../adapters/kube/resources.js';
import type { KubeObject } from '../../policy/types.js';
import type { EnsureIntent, RemoveIntent } from './controller.js';
import { isManagedByZtgate } from './intents.js';

/** What one intent wrote: nothing, or a create, a replace or a delete. */
export type WriteAction = 'create' | 'replace' | 'delete';

/** How writes are sent. */
export interface WriteOptions {
  /**
   * Server-side dry run: every write carries `?dryRun=All`, so the API server authorizes, admits
   * (webhooks included) and validates it and then persists nothing.
   */
  readonly dryRun: boolean;
}

/**
 * Someone wrote the object between the runtime's read and its write (409). The rest of the
 * controller's intents for the namespace wait (their order matters), and the namespace is
 * looked at again shortly.
 */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

/** What the runtime knows of an object before any live read. */
export interface CacheLookup {
  /** True when a synced watch covers every object that could be acted on (ztgate's own). */
  readonly authoritative: boolean;
  readonly cached: KubeObject | undefined;
}

/** Writes into a namespace being deleted fail with 404 or 403 "being terminated"; neither is ours to fix. */
export function isGoneNamespace(error: unknown): boolean {
  if (hasStatus(error, 404)) return true;
  return (
    error instanceof KubeApiError && error.statusCode === 403 && error.message.includes('being terminated')
  );
}

const describe = (intent: Pick<RemoveIntent, 'resource' | 'namespace' | 'name'>): string =>
  `${intent.resource.kind} ${intent.namespace === undefined ? '' : `${intent.namespace}/`}${intent.name}`;

function query(options: WriteOptions): Query {
  return options.dryRun ? { dryRun: 'All' } : {};
}

async function readLive(rest: KubeRest, path: string): Promise<KubeObject | undefined> {
  try {
    return await rest.request<KubeObject>('GET', path);
  } catch (error) {
    if (hasStatus(error, 404)) return undefined;
    throw error;
  }
}

/**
 * Makes the API server hold what an ensure intent wants: an up-to-date cached copy costs nothing;
 * otherwise a live read decides between create (POST), replace (PUT) and nothing. Idempotent:
 * identical objects are never rewritten. Throws WriteConflict when someone wrote in between.
 */
export async function ensureObject(
  rest: KubeRest,
  intent: EnsureIntent,
  cache: CacheLookup,
  options: WriteOptions,
): Promise<WriteAction | undefined> {
  if (cache.cached !== undefined && intent.isUpToDate(cache.cached)) return undefined;
  const { resource, namespace, name } = intent;
  const existing = await readLive(rest, resourcePath(resource, namespace, name));
  if (existing !== undefined && intent.isUpToDate(existing)) return undefined;
  if (existing === undefined && intent.create === undefined) return undefined;
  try {
    if (existing !== undefined) {
      const body = intent.replacement(existing);
      await rest.request('PUT', resourcePath(resource, namespace, name), { body, query: query(options) });
      return 'replace';
    }
    await rest.request('POST', resourcePath(resource, namespace), {
      body: intent.create,
      query: query(options),
    });
    return 'create';
  } catch (error) {
    if (hasStatus(error, 409)) throw new WriteConflict(`${describe(intent)}: ${(error as Error).message}`);
    if (isGoneNamespace(error)) return undefined;
    throw error;
  }
}

/**
 * Deletes an object only while it carries ztgate's managed-by label, with the uid and
 * resourceVersion just read as preconditions: an object someone took over (label removed) or
 * replaced in between is never deleted (WriteConflict). A synced cache without the object costs
 * no read.
 */
export async function removeObject(
  rest: KubeRest,
  intent: Pick<RemoveIntent, 'resource' | 'namespace' | 'name'>,
  cache: CacheLookup,
  options: WriteOptions,
): Promise<WriteAction | undefined> {
  if (cache.authoritative && cache.cached === undefined) return undefined;
  const path = resourcePath(intent.resource, intent.namespace, intent.name);
  const existing = await readLive(rest, path);
  if (existing === undefined || !isManagedByZtgate(existing)) return undefined;
  const { uid, resourceVersion } = existing.metadata ?? {};
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid, resourceVersion } };
  try {
    await rest.request('DELETE', path, { body, query: query(options) });
    return 'delete';
  } catch (error) {
    if (hasStatus(error, 409)) throw new WriteConflict(`${describe(intent)}: ${(error as Error).message}`);
    if (hasStatus(error, 404)) return undefined;
    throw error;
  }
}
