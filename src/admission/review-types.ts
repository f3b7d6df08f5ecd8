import type { KubeObject, Operation, UserInfo } from '../policy/types.js';

/** The API version ztgate speaks; v1beta1 reviews are refused (the webhooks declare v1 only). */
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** A group/version/kind as AdmissionReview request.kind carries it. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** A group/version/resource as AdmissionReview request.resource carries it. */
export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** The decoded, shape-checked AdmissionReview v1 request. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource: string | undefined;
  readonly operation: Operation;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly object: KubeObject | undefined;
  readonly oldObject: KubeObject | undefined;
  readonly userInfo: UserInfo;
  readonly dryRun: boolean;
}

/** A Kubernetes Status as AdmissionReview response.status carries it. */
export interface ResponseStatus {
  readonly code: number;
  readonly reason?: string;
  readonly message: string;
}

/** AdmissionReview v1 response (the fields ztgate sets). */
export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: ResponseStatus;
  readonly warnings?: readonly string[];
  readonly patchType?: 'JSONPatch';
  /** Base64 of the JSON Patch document. */
  readonly patch?: string;
}

/** The AdmissionReview v1 envelope ztgate answers with. */
export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}
