/**
 * Which containers of a pod are the mesh's own, for the rules that let the mesh do what no
 * workload container may (run as the proxy's uid, hold the redirect's capabilities, listen on the
 * proxy's ports). A name proves nothing: these rules may trust the configured provider's names
 * only because `mtls-sidecar` verifies, field by field, that a container bearing one is exactly
 * the mesh's own; ztgate's builtin containers under another provider are verified here.
 */
import type { ZtgateConfig } from '../config.js';
import { captureExemption, meshContainerNames, meshProvider } from '../mesh/index.js';
import { spiffeIdFor } from '../sidecar/patch.js';
import { namesOf, type JsonRecord } from '../sidecar/read.js';
import { findForgedSidecarFields } from '../sidecar/verify.js';
import type { ContainerList } from '../pod-spec/typed.js';
import type { Workload } from '../types.js';
import { lastCallMemo } from '../last-memo.js';

/** What a mesh container does: the proxy, or the redirect (or CNI-validation) init container. */
export type MeshRole = 'proxy' | 'redirect';

interface MeshFacts {
  readonly proxies: ReadonlySet<string>;
  readonly redirects: ReadonlySet<string>;
  readonly uids: ReadonlySet<number>;
  readonly gids: ReadonlySet<number>;
  readonly ports: ReadonlySet<number>;
}

/** The mesh's containers, exempt identities and ports as they are in one pod. */
export interface PodMesh {
  /** The mesh role of the container named `name` in `list`, or undefined for a workload container. */
  role(list: ContainerList, name: string): MeshRole | undefined;
  /** The uids and gids whose traffic the pod's redirect lets through unproxied. */
  readonly uids: ReadonlySet<number>;
  readonly gids: ReadonlySet<number>;
  /** The ports the pod's proxy listens on (or leaves out of capture). */
  readonly ports: ReadonlySet<number>;
}

/** The configured provider's facts (for `builtin`, ztgate's own injector's). */
function providerFacts(config: ZtgateConfig): MeshFacts {
  const provider = meshProvider(config);
  const exemption = captureExemption(config);
  const builtin = provider.name === 'builtin';
  const proxyName = builtin ? config.sidecar.containerName : provider.proxyContainerName;
  const proxies = new Set<string>();
  const redirects = new Set<string>();
  for (const name of meshContainerNames(config)) (name === proxyName ? proxies : redirects).add(name);
  const ports = builtin ? Object.values(config.sidecar.ports) : provider.reservedPorts;
  return {
    proxies,
    redirects,
    uids: new Set(exemption.uids),
    gids: new Set(exemption.gids),
    ports: new Set(ports),
  };
}

/**
 * The provider's facts together with ztgate's builtin injector's: its proxy and redirect names,
 * the uid `ztgate-init --proxy-uid` exempts (sidecar.runAsUser, no gid) and `sidecar.ports`.
 */
function withBuiltinFacts(facts: MeshFacts, config: ZtgateConfig): MeshFacts {
  const { sidecar } = config;
  return {
    proxies: new Set([...facts.proxies, sidecar.containerName]),
    redirects: new Set([...facts.redirects, sidecar.initContainerName]),
    uids: new Set([...facts.uids, sidecar.runAsUser]),
    gids: facts.gids,
    ports: new Set([...facts.ports, ...Object.values(sidecar.ports)]),
  };
}

const configMemo = new WeakMap<ZtgateConfig, { provider: MeshFacts; combined: MeshFacts }>();

/** Both fact sets for a config, built once per frozen config (a mutable one could change under a cache). */
function factsOf(config: ZtgateConfig): { provider: MeshFacts; combined: MeshFacts } {
  const cached = configMemo.get(config);
  if (cached !== undefined) return cached;
  const provider = providerFacts(config);
  const facts = { provider, combined: withBuiltinFacts(provider, config) };
  if (Object.isFrozen(config) && Object.isFrozen(config.sidecar) && Object.isFrozen(config.mesh)) {
    configMemo.set(config, facts);
  }
  return facts;
}

function hasBuiltinContainer(podSpec: JsonRecord, config: ZtgateConfig): boolean {
  const names = [...namesOf(podSpec['initContainers']), ...namesOf(podSpec['containers'])];
  return names.includes(config.sidecar.containerName) || names.includes(config.sidecar.initContainerName);
}

/**
 * Whether ztgate's builtin containers in this pod count as the mesh's. Under `mesh.provider:
 * builtin` their names do, as `mtls-sidecar` verifies every container bearing them. Under another
 * provider a pod may still carry them (ztgate's injector, or a hand-written copy): they count only
 * when they are exactly what ztgate injects, checked here with the same verifier, so a container
 * merely named `ztgate-proxy` never runs as the proxy's uid or on its ports.
 */
function trustsBuiltin(workload: Workload, config: ZtgateConfig): boolean {
  if (config.mesh.provider === 'builtin') return true;
  const spec = workload.podSpec as JsonRecord;
  if (!hasBuiltinContainer(spec, config)) return false;
  const spiffeId = spiffeIdFor({ spec }, config.sidecar, workload.namespace);
  return findForgedSidecarFields(spec, config.sidecar, spiffeId).length === 0;
}

function podMeshOf(facts: MeshFacts): PodMesh {
  return {
    // The proxy sits in `containers` (or `initContainers` as a native sidecar), the redirect only
    // in `initContainers`; an ephemeral container is never the mesh's (the API server keeps names
    // unique across the lists, so a debug container cannot take a mesh container's name either).
    role(list, name) {
      if (list === 'ephemeralContainers') return undefined;
      if (facts.proxies.has(name)) return 'proxy';
      if (list === 'initContainers' && facts.redirects.has(name)) return 'redirect';
      return undefined;
    },
    uids: facts.uids,
    gids: facts.gids,
    ports: facts.ports,
  };
}

/** The mesh as it is in this workload's pods; read once per decision (see last-memo.ts). */
export const podMesh: (workload: Workload, config: ZtgateConfig) => PodMesh = lastCallMemo(
  (workload: Workload, config: ZtgateConfig): PodMesh => {
    const facts = factsOf(config);
    return podMeshOf(trustsBuiltin(workload, config) ? facts.combined : facts.provider);
  },
);

/**
 * Whether `name` names one of the mesh's containers, ztgate's builtin ones included: what a debug
 * container must not target (refusing a target that is no mesh container here costs nothing).
 */
export function isMeshContainerName(config: ZtgateConfig, name: string): boolean {
  const facts = factsOf(config).combined;
  return facts.proxies.has(name) || facts.redirects.has(name);
}
