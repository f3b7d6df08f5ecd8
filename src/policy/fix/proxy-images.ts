/** The fix for a proxy image outside `mesh.proxyImages`: the mesh's own image, or an admin's mirror entry. */
import { imageRepository } from '../mesh/image-pattern.js';
import { renderFix } from './render.js';

/** What a refused proxy image needs from its fix. */
export interface ProxyImageFixInput {
  /** The refused images (a pod may run a mirror's proxy and its init image). */
  readonly images: readonly unknown[];
  /** The patterns in force (`mesh.proxyImages`, else the provider's defaults). */
  readonly allowed: readonly string[];
  /** What the workload author does instead (remove the container, the annotation …). */
  readonly lead: string;
}

/**
 * Two readers, one fix: the developer gets what to change on the workload; the admin whose
 * injector pulls the mesh's proxy from a private mirror gets the `mesh.proxyImages` list to paste
 * into ztgate's config. The list replaces the defaults, so it repeats the entries in force. A
 * mirror is named by its own repository, never by a wildcard registry: `*` would let anyone who can
 * push an image anywhere run a fake proxy.
 */
export function buildProxyImageFix(input: ProxyImageFixInput): string {
  const mirrors: string[] = [];
  for (const image of input.images) {
    const repository = imageRepository(image);
    if (repository !== undefined && !mirrors.includes(repository)) mirrors.push(repository);
  }
  // An unreadable reference gets a placeholder, which ztgate's start-up refuses until filled in.
  const added = mirrors.length > 0 ? mirrors : ['<registry>/<repository>'];
  const entries = [...input.allowed, ...added.filter((entry) => !input.allowed.includes(entry))];
  const prose = [
    input.lead,
    mirrors.length > 0
      ? `If ${mirrors.join(' and ')} is your mirror of the mesh's own proxy images, a ztgate admin lists it in mesh.proxyImages in ztgate's config (ConfigMap ztgate-config in ztgate-system, key config.yaml; the list replaces the defaults, so keep the entries in use):`
      : `A mirror of the mesh's own proxy images is listed by a ztgate admin in mesh.proxyImages in ztgate's config (ConfigMap ztgate-config in ztgate-system, key config.yaml) as <registry>/<repository>, without tag; the list replaces the defaults, so keep the entries in use:`,
  ];
  return renderFix(prose.join('\n'), [{ value: { mesh: { proxyImages: entries } } }]);
}
