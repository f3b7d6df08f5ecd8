/**
 * Container image references and the allow-list patterns `mesh.proxyImages` holds.
 *
 * A reference is read as the container runtime resolves it (distribution/reference): an optional
 * registry host (a first component with a `.` or `:`, or `localhost`), a repository path of
 * lowercase segments, then an optional `:tag` and `@digest`. With no registry the runtime pulls
 * from Docker Hub, and a one-segment path there means `library/<name>`: `proxyv2` is
 * `docker.io/library/proxyv2`, never Istio's `docker.io/istio/proxyv2`.
 *
 * A pattern is `<registry>/<path>` with no tag or digest (any tag or digest of the repository
 * matches): the registry is a host[:port] or `*` (any registry), and each path segment is literal
 * or `*` (exactly one segment). Segments compare whole, so `proxyv2` never matches `proxyv2-fake`.
 */

/** An image reference split as the runtime reads it. */
export interface ImageReference {
  /** Registry host[:port], lowercase; `docker.io` when the reference names none. */
  readonly registry: string;
  /** Repository path segments (`library/<name>` for one-segment Docker Hub names). */
  readonly path: readonly string[];
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const SEGMENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d{1,5})?$/;
const DOCKER_HUB = 'docker.io';
// Names the runtime treats as Docker Hub itself.
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

function isRegistryComponent(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

function normalizeRegistry(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** Parses an image reference; undefined when the runtime would refuse it (and so must ztgate). */
export function parseImageReference(text: string): ImageReference | undefined {
  if (text === '' || text.trim() !== text) return undefined;
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  // A colon after the last slash separates the tag; before it, it is a registry port.
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const components = rest.split('/');
  let registry = DOCKER_HUB;
  if (components.length > 1 && isRegistryComponent(components[0] as string)) {
    const host = components.shift() as string;
    if (!HOST.test(host)) return undefined;
    registry = normalizeRegistry(host);
  }
  if (components.length === 0 || !components.every((segment) => SEGMENT.test(segment))) return undefined;
  const path = registry === DOCKER_HUB && components.length === 1 ? ['library', ...components] : components;
  return { registry, path, tag, digest };
}

/** A parsed allow-list pattern. */
export interface ImagePattern {
  /** A lowercase host[:port], or `*` for any registry. */
  readonly registry: string;
  readonly path: readonly string[];
}

/**
 * Parses a `mesh.proxyImages` pattern; a string saying what is wrong when it is not one. The
 * image name (last segment) must be literal: `*` alone there would admit any image.
 */
export function parseImagePattern(text: string): ImagePattern | string {
  const expected =
    'expected <registry>/<repository> such as docker.io/istio/proxyv2 (registry or a path segment may be *, no tag or digest)';
  if (text.includes('@') || text.trim() !== text) return expected;
  const components = text.split('/');
  const registryText = components.shift() as string;
  if (components.length === 0) return expected;
  if (registryText !== '*' && !(isRegistryComponent(registryText) && HOST.test(registryText)))
    return `${expected}; "${registryText}" is no registry host`;
  const last = components[components.length - 1] as string;
  if (last === '*') return `${expected}; the image name must be literal, "*" there admits any image`;
  if (!components.every((segment) => segment === '*' || SEGMENT.test(segment))) return expected;
  return { registry: registryText === '*' ? '*' : normalizeRegistry(registryText), path: components };
}

/** Whether a parsed reference matches a parsed pattern (registry and whole path; tag and digest free). */
export function matchesImagePattern(image: ImageReference, pattern: ImagePattern): boolean {
  if (pattern.registry !== '*' && pattern.registry !== image.registry) return false;
  if (pattern.path.length !== image.path.length) return false;
  return pattern.path.every((segment, index) => segment === '*' || segment === image.path[index]);
}

/** Whether `image` (a container's `image` field, untrusted) matches one of the patterns. */
export function isImageAllowed(image: unknown, patterns: readonly string[]): boolean {
  if (typeof image !== 'string') return false;
  const reference = parseImageReference(image);
  if (reference === undefined) return false;
  for (const text of patterns) {
    const pattern = parseImagePattern(text);
    if (typeof pattern !== 'string' && matchesImagePattern(reference, pattern)) return true;
  }
  return false;
}

/**
 * The `<registry>/<repository>` of an image reference as the runtime resolves it (what a
 * `mesh.proxyImages` entry for it says); undefined when it is not a reference the runtime reads.
 */
export function imageRepository(image: unknown): string | undefined {
  const reference = typeof image === 'string' ? parseImageReference(image) : undefined;
  return reference === undefined ? undefined : `${reference.registry}/${reference.path.join('/')}`;
}

/** A MeshKey judge for image annotations: undefined when the value is an allowed image, else why not. */
export function judgeImageValue(
  value: string,
  context: { readonly proxyImages: readonly string[] },
): string | undefined {
  return isImageAllowed(value, context.proxyImages)
    ? undefined
    : `${JSON.stringify(value)} is not in mesh.proxyImages (${context.proxyImages.join(', ')})`;
}
