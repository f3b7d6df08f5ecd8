import type { JsonRecord } from '../sidecar/read.js';
import type { ApprovedItems } from './exceptions.js';

/** What a provider's pod verifier reads. */
export interface VerifyInput {
  /** The pod spec (untrusted). */
  readonly spec: JsonRecord;
  /** Allowed images of the mesh's containers. */
  readonly proxyImages: readonly string[];
  readonly controlPlaneNamespace: string;
  /** Capture exclusions an admin approved for this workload (`mesh.exceptions`). */
  readonly approved: ApprovedItems;
  /**
   * True before the mesh's injector ran (`ztgate check`): the injector will still add its
   * containers. What a container the pod declares under a mesh name becomes depends on the mesh:
   * Istio merges it over its template (only the fields it sets are judged), Linkerd skips a pod
   * that already has one (it is judged as final, missing companions included).
   */
  readonly pending: boolean;
}
