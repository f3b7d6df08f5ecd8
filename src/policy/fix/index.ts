/** Fix builders: the exact YAML a denied change should add. */
export { allowListManifest, buildAllowListFix } from './allow-list.js';
export { buildDefaultDenyFix } from './default-deny.js';
export { renderFix, type FixManifest } from './render.js';
export {
  buildServiceAccountFix,
  buildSharerServiceAccountsFix,
  serviceAccountManifest,
} from './service-account.js';
