import type { KubeObject } from '../../policy/types.js';
import { hasStatus, KubeApiError, type KubeRest } from './kube-rest.js';
import { resourcePath, type ResourceSpec } from './resources.js';

/** One object the reconciler keeps in a namespace: what to create, and how to judge and restore what is there. */
export interface ManagedObject {
  readonly spec: ResourceSpec;
  readonly namespace: string;
  readonly name: string;
  /** The body to create when the object is absent. */
  readonly desired: object;
  /** The watch cache's copy: when up to date, nothing is read or written. */
  readonly cached?: KubeObject | undefined;
  isUpToDate(existing: KubeObject): boolean;
  /** The body to PUT over an existing object that is not up to date. */
  replacement(existing: KubeObject): KubeObject;
}

/** What ensureObject wrote: nothing, a new object, or a replacement. */
export type EnsureResult = 'create' | 'replace' | undefined;

/** Writes into a namespace being deleted fail with 404 or 403 "being terminated"; neither is ours to fix. */
function isGoneNamespace(error: unknown): boolean {
  if (hasStatus(error, 404)) return true;
  return (
    error instanceof KubeApiError && error.statusCode === 403 && error.message.includes('being terminated')
  );
}

/**
 * Makes the API server hold the object: an up-to-date cached copy costs nothing; otherwise a live
 * read decides between create (POST) and replace (PUT). Idempotent: identical objects are left alone.
 */
export async function ensureObject(rest: KubeRest, object: ManagedObject): Promise<EnsureResult> {
  if (object.cached && object.isUpToDate(object.cached)) return undefined;
  const { spec, namespace, name } = object;
  let existing: KubeObject | undefined;
  try {
    existing = await rest.request<KubeObject>('GET', resourcePath(spec, namespace, name));
  } catch (error) {
    if (!hasStatus(error, 404)) throw error;
  }
  if (existing && object.isUpToDate(existing)) return undefined;
  try {
    if (existing) {
      await rest.request('PUT', resourcePath(spec, namespace, name), { body: object.replacement(existing) });
      return 'replace';
    }
    await rest.request('POST', resourcePath(spec, namespace), { body: object.desired });
    return 'create';
  } catch (error) {
    // 409: someone wrote it between our read and write; the watch event brings us back to check.
    if (hasStatus(error, 409) || isGoneNamespace(error)) return undefined;
    throw error;
  }
}
