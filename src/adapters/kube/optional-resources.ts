import type { KubeObject } from '../../policy/types.js';
import { OPTIONAL_RESOURCES, resourceKey, type ResourceSpec } from './resources.js';

interface CrdVersion {
  readonly name?: string;
  readonly served?: boolean;
}

interface CrdShape {
  readonly spec?: {
    readonly group?: string;
    readonly names?: { readonly plural?: string };
    readonly versions?: readonly CrdVersion[];
  };
  readonly status?: { readonly conditions?: readonly { readonly type?: string; readonly status?: string }[] };
}

/** Whether a CRD object serves this resource version and is established (its REST endpoint exists). */
function crdServes(crd: CrdShape, spec: ResourceSpec): boolean {
  if (crd.spec?.group !== spec.group || crd.spec.names?.plural !== spec.plural) return false;
  const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  return (
    established === true &&
    (crd.spec.versions ?? []).some((v) => v.name === spec.version && v.served === true)
  );
}

/**
 * Chooses, for each optional resource, the best version served either according to discovery or
 * to an established CRD. CRDs answer faster (a watch event), discovery also covers aggregated APIs
 * such as Calico's projectcalico.org/v3 API server.
 */
export function chooseOptionalResources(
  discovered: readonly ResourceSpec[],
  crds: Iterable<KubeObject>,
): ResourceSpec[] {
  const crdList = [...crds] as CrdShape[];
  const discoveredKeys = new Set(discovered.map(resourceKey));
  const chosen: ResourceSpec[] = [];
  for (const candidates of OPTIONAL_RESOURCES) {
    const best = candidates.find(
      (spec) => discoveredKeys.has(resourceKey(spec)) || crdList.some((crd) => crdServes(crd, spec)),
    );
    if (best) chosen.push(best);
  }
  return chosen;
}
