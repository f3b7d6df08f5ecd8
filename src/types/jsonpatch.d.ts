/** Types for the `jsonpatch` package (RFC 6902/6901), which ships none. */
declare module 'jsonpatch' {
  /** One JSON Patch operation as the package accepts it. */
  export interface PatchOperation {
    readonly op: string;
    readonly path: string;
    readonly value?: unknown;
    readonly from?: string;
  }

  /** Applies a patch and returns the new document; the input is not mutated. */
  export function apply_patch<T>(document: T, patch: readonly PatchOperation[] | string): T;

  /** Thrown for a malformed patch. */
  export class InvalidPatch extends Error {}

  /** Thrown when a patch does not apply to the document. */
  export class PatchApplyError extends Error {}

  const jsonpatch: {
    apply_patch: typeof apply_patch;
    InvalidPatch: typeof InvalidPatch;
    PatchApplyError: typeof PatchApplyError;
  };
  export default jsonpatch;
}
