/** The mTLS sidecar: patch builder, injection check and pod-template injection. */
export { escapePointerSegment, type JsonPatchOp } from './json-patch.js';
export { INJECTED_ANNOTATION, STATUS_ANNOTATION, VOLUME_BASE_NAMES, MOUNT_PATHS } from './names.js';
export { buildSidecarPatch, isInjected, spiffeIdFor, type SidecarContext } from './patch.js';
export {
  buildWorkloadPatch,
  findPodTemplate,
  injectPodTemplate,
  POD_TEMPLATE_POINTERS,
} from './pod-template.js';
