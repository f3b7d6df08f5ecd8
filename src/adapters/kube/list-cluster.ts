import type { KubeObject } from '../../policy/types.js';
import type { KubeRest } from './kube-rest.js';
import {
  apiVersionOf,
  CORE_RESOURCES,
  discoverOptionalResources,
  resourcePath,
  type ResourceSpec,
} from './resources.js';
import { stripObject } from './strip-object.js';

/** Progress of a one-shot listing: resources done out of the total, and the one being listed. */
export interface ListProgress {
  readonly done: number;
  readonly total: number;
  readonly resource: string;
}

interface ListPage {
  readonly metadata?: { readonly continue?: string };
  readonly items?: readonly Record<string, unknown>[];
}

async function listAll(rest: KubeRest, spec: ResourceSpec): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  let token: string | undefined;
  do {
    const page = await rest.request<ListPage>('GET', resourcePath(spec), {
      query: { limit: 500, continue: token },
    });
    for (const item of page.items ?? []) objects.push(stripObject(item, apiVersionOf(spec), spec.kind));
    token = page.metadata?.continue || undefined;
  } while (token !== undefined);
  return objects;
}

/**
 * Lists once everything the watch cache would watch (the policy kinds whose APIs are served
 * included), for `ztgate audit`. Throws when the API server cannot be reached or refuses a list.
 */
export async function listClusterObjects(
  rest: KubeRest,
  onProgress: (progress: ListProgress) => void = () => undefined,
): Promise<KubeObject[]> {
  const specs = [...CORE_RESOURCES, ...(await discoverOptionalResources(rest))];
  const objects: KubeObject[] = [];
  for (const [index, spec] of specs.entries()) {
    onProgress({ done: index, total: specs.length, resource: spec.plural });
    objects.push(...(await listAll(rest, spec)));
  }
  onProgress({ done: specs.length, total: specs.length, resource: '' });
  return objects;
}
