/**
 * Which containers of a pod are the mesh's own, for the rules that let the mesh do what no
 * workload container may (run as the proxy's uid, hold the redirect's capabilities, listen on the
 * proxy's ports). A name proves nothing: these rules may trust it only because `mtls-sidecar`
 * verifies, field by field, that a container bearing such a name is exactly the mesh's own.
 */
import type { ZtgateConfig } from '../config.js';
import { captureExemption, meshContainerNames, meshProvider } from '../mesh/index.js';

/** The container lists of a pod spec, in the order the kubelet starts them. */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** One of a pod's container lists. */
export type ContainerList = (typeof CONTAINER_LISTS)[number];

/** What a mesh container does: the proxy, or the redirect (or CNI-validation) init container. */
export type MeshRole = 'proxy' | 'redirect';

interface MeshFacts {
  readonly proxies: ReadonlySet<string>;
  readonly redirects: ReadonlySet<string>;
  readonly uids: ReadonlySet<number>;
  readonly gids: ReadonlySet<number>;
  readonly ports: ReadonlySet<number>;
}

const memo = new WeakMap<ZtgateConfig, MeshFacts>();

/**
 * ztgate's mutating webhook adds its builtin proxy (`sidecar.containerName`, installed by
 * `sidecar.initContainerName`) whatever `mesh.provider` says, and `mtls-sidecar` verifies
 * containers of those names for every provider; so today ztgate's own names, uid and ports count
 * alongside the provider's. When injection follows the provider, this is the one place to narrow.
 */
function injectsBuiltinProxy(_config: ZtgateConfig): boolean {
  return true;
}

function buildFacts(config: ZtgateConfig): MeshFacts {
  const provider = meshProvider(config);
  const exemption = captureExemption(config);
  const proxies = new Set<string>();
  const redirects = new Set<string>();
  const proxyName = provider.name === 'builtin' ? config.sidecar.containerName : provider.proxyContainerName;
  for (const name of meshContainerNames(config)) (name === proxyName ? proxies : redirects).add(name);
  const uids = new Set(exemption.uids);
  const ports = new Set(provider.name === 'builtin' ? [] : provider.reservedPorts);
  if (injectsBuiltinProxy(config) || provider.name === 'builtin') {
    const { sidecar } = config;
    proxies.add(sidecar.containerName);
    redirects.add(sidecar.initContainerName);
    // ztgate-init exempts `--proxy-uid` (sidecar.runAsUser) from capture.
    uids.add(sidecar.runAsUser);
    for (const port of Object.values(sidecar.ports)) ports.add(port);
  }
  return { proxies, redirects, uids, gids: new Set(exemption.gids), ports };
}

/** The facts for a config, built once per frozen config (a mutable one could change under a cache). */
function factsOf(config: ZtgateConfig): MeshFacts {
  const cached = memo.get(config);
  if (cached !== undefined) return cached;
  const facts = buildFacts(config);
  if (Object.isFrozen(config) && Object.isFrozen(config.sidecar) && Object.isFrozen(config.mesh)) {
    memo.set(config, facts);
  }
  return facts;
}

/**
 * The mesh role of the container named `name` in `list`, or undefined for a workload container.
 * The proxy sits in `containers` (or `initContainers` as a native sidecar); the redirect only in
 * `initContainers`; an ephemeral container is never the mesh's (the API server keeps names unique
 * across the lists, so a debug container cannot take a mesh container's name either).
 */
export function meshRole(config: ZtgateConfig, list: ContainerList, name: string): MeshRole | undefined {
  if (list === 'ephemeralContainers') return undefined;
  const facts = factsOf(config);
  if (facts.proxies.has(name)) return 'proxy';
  if (list === 'initContainers' && facts.redirects.has(name)) return 'redirect';
  return undefined;
}

/** Whether `name` is one of the mesh's container names (in any list): the target of a debug container. */
export function isMeshContainerName(config: ZtgateConfig, name: string): boolean {
  const facts = factsOf(config);
  return facts.proxies.has(name) || facts.redirects.has(name);
}

/** The uids and gids whose traffic the pod's redirect lets through unproxied. */
export function proxyIdentities(config: ZtgateConfig): {
  readonly uids: ReadonlySet<number>;
  readonly gids: ReadonlySet<number>;
} {
  const facts = factsOf(config);
  return { uids: facts.uids, gids: facts.gids };
}

/** The ports the mesh's proxy listens on in the pod (or excludes from capture). */
export function proxyPorts(config: ZtgateConfig): ReadonlySet<number> {
  return factsOf(config).ports;
}
