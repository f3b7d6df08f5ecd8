/** Fix builders: the exact YAML a denied change should add. */
export { allowListManifest, authorizationPolicyManifest, buildAllowListFix } from './allow-list.js';
export { buildDefaultDenyFix } from './default-deny.js';
export { asYamlFix, indentFix, renderFix, type FixManifest } from './render.js';
export {
  buildServiceAccountFix,
  buildSharerServiceAccountsFix,
  serviceAccountManifest,
} from './service-account.js';
export { fixName, podWord } from './names.js';
export {
  describePlaceholder,
  findPlaceholders,
  FIX_PLACEHOLDERS,
  type PlaceholderFound,
} from './placeholders.js';
export { ztgateCreatesClause } from './who-acts.js';
