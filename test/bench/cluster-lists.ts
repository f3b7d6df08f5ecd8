/**
 * The same-run baseline for cluster mode's start-up: how long the API server takes to answer every
 * list ztgate's watch cache makes, made the way it makes them (discovery of the optional policy
 * kinds, then every resource at once, pages of 500, bodies parsed) with ztgate's own REST client,
 * and nothing kept. ztgate cannot be ready before its lists are answered: start → ready over this
 * is what ztgate itself adds (stripping, indexing, the first publish, its own start-up).
 */
import { loadKubeConfig } from '../../src/adapters/kube/load-kube-config.js';
import { createKubeRest, type KubeRest } from '../../src/adapters/kube/kube-rest.js';
import {
  CORE_RESOURCES,
  discoverOptionalResources,
  resourcePath,
  type ResourceSpec,
} from '../../src/adapters/kube/resources.js';
import { median } from './stats.js';

/** The lists alone: every run's seconds, their median, and how many objects one run listed. */
export interface ListsFigures {
  readonly runsS: readonly number[];
  readonly medianS: number;
  readonly objects: number;
}

interface Page {
  readonly metadata?: { readonly continue?: string };
  readonly items?: readonly unknown[];
}

async function listPages(rest: KubeRest, spec: ResourceSpec): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await rest.request<Page>('GET', resourcePath(spec), {
      query: { limit: 500, continue: token },
    });
    count += page.items?.length ?? 0;
    token = page.metadata?.continue || undefined;
  } while (token !== undefined);
  return count;
}

/** One pass: discovery, then every resource's pages at once. Returns seconds and objects listed. */
async function listOnce(rest: KubeRest): Promise<{ seconds: number; objects: number }> {
  const started = performance.now();
  const specs = [...CORE_RESOURCES, ...(await discoverOptionalResources(rest))];
  const counts = await Promise.all(specs.map((spec) => listPages(rest, spec)));
  return { seconds: (performance.now() - started) / 1000, objects: counts.reduce((a, b) => a + b, 0) };
}

/** Lists everything `runs` times with the kubeconfig's credentials (a fresh client each run, as a start). */
export async function timeLists(kubeconfig: string, runs = 3): Promise<ListsFigures> {
  const runsS: number[] = [];
  let objects = 0;
  for (let run = 0; run < runs; run += 1) {
    const rest = createKubeRest(loadKubeConfig({ kubeconfig }));
    const once = await listOnce(rest);
    runsS.push(once.seconds);
    objects = once.objects;
  }
  return { runsS, medianS: median(runsS), objects };
}
