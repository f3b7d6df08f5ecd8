/** The sidecar patch builder: the JSON Patch that /mutate returns and `ztgate inject` applies. */
import type { SidecarConfig } from '../config.js';
import type { KubeObject } from '../types.js';
import { buildProxyContainer } from './containers.js';
import { buildInitContainer } from './init-container.js';
import { escapePointerSegment, type JsonPatchOp } from './json-patch.js';
import { allocateVolumeNames, INJECTED_ANNOTATION, STATUS_ANNOTATION, type VolumeNames } from './names.js';
import { rewriteAppProbes } from './probes.js';
import { asRecord, asRecordArray, namesOf, type JsonRecord } from './read.js';
import { buildVolumes } from './volumes.js';

/** Where the pod is judged; `job` marks a run-to-completion pod template (Job, CronJob). */
export interface SidecarContext {
  readonly namespace: string;
  readonly job?: boolean;
}

/**
 * Whether the pod already carries the proxy. The container is the proof: an annotation alone
 * never counts, or a pod author could opt out by writing `ztgate.dev/injected: "true"`.
 */
export function isInjected(pod: KubeObject, config: SidecarConfig): boolean {
  const spec = asRecord(pod['spec']);
  if (spec === undefined) return false;
  return [...namesOf(spec['containers']), ...namesOf(spec['initContainers'])].includes(config.containerName);
}

/** The workload identity the proxy presents: spiffe://<trust-domain>/ns/<ns>/sa/<sa>. */
export function spiffeIdFor(pod: KubeObject, config: SidecarConfig, namespace: string): string {
  const spec = asRecord(pod['spec']) ?? {};
  const fromSpec = spec['serviceAccountName'] || spec['serviceAccount'];
  const serviceAccount = typeof fromSpec === 'string' && fromSpec !== '' ? fromSpec : 'default';
  return `spiffe://${config.trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

function runsToCompletion(pod: KubeObject, spec: JsonRecord, context: SidecarContext): boolean {
  if (context.job === true) return true;
  if (spec['restartPolicy'] === 'Never' || spec['restartPolicy'] === 'OnFailure') return true;
  // Read defensively: /mutate and `inject` see the object before the API server validates it.
  const references: unknown = pod.metadata?.ownerReferences;
  return (
    Array.isArray(references) &&
    references.some(
      (owner: unknown) => asRecord(owner)?.['kind'] === 'Job' || asRecord(owner)?.['kind'] === 'CronJob',
    )
  );
}

/** Adds items to an array field: one `add` of the whole array when absent, else one per item. */
function addToArray(
  path: string,
  existing: unknown,
  items: readonly JsonRecord[],
  at: number | '-',
): JsonPatchOp[] {
  if (!Array.isArray(existing)) return [{ op: 'add', path, value: [...items] }];
  return items.map((value, offset) => ({
    op: 'add',
    path: `${path}/${at === '-' ? '-' : at + offset}`,
    value,
  }));
}

function annotationOps(pod: KubeObject, values: Readonly<Record<string, string>>): JsonPatchOp[] {
  const metadata = asRecord(pod['metadata']);
  if (metadata === undefined)
    return [{ op: 'add', path: '/metadata', value: { annotations: { ...values } } }];
  if (asRecord(metadata['annotations']) === undefined) {
    return [{ op: 'add', path: '/metadata/annotations', value: { ...values } }];
  }
  return Object.entries(values).map(([key, value]) => ({
    op: 'add',
    path: `/metadata/annotations/${escapePointerSegment(key)}`,
    value,
  }));
}

function statusOf(config: SidecarConfig, volumes: VolumeNames, probes: readonly string[]): string {
  const proxy = config.containerName;
  const init = config.initContainerName;
  return JSON.stringify({
    containers: config.native ? [] : [proxy],
    initContainers: config.native ? [init, proxy] : [init],
    volumes: [volumes.token, volumes.trustBundle, volumes.workdir],
    rewrittenProbes: probes,
  });
}

/**
 * Builds the patch that adds the mTLS sidecar to a pod: pure, deterministic, built only from
 * what is added (never a diff of the whole object, so managedFields and big env lists cost
 * nothing), and empty for an injected or hostNetwork pod.
 */
export function buildSidecarPatch(
  pod: KubeObject,
  config: SidecarConfig,
  context: SidecarContext,
): readonly JsonPatchOp[] {
  const spec = asRecord(pod['spec']);
  const containers = asRecordArray(spec?.['containers']);
  // A pod without containers is invalid and will be refused by the API server; add nothing.
  if (spec === undefined || containers === undefined || containers.length === 0) return [];
  // hostNetwork pods share the node's netfilter tables; validation refuses them instead.
  if (spec['hostNetwork'] === true || isInjected(pod, config)) return [];

  const volumes = allocateVolumeNames(namesOf(spec['volumes']));
  const probes = rewriteAppProbes(containers, config, asRecordArray(spec['initContainers']) ?? []);
  const proxy = buildProxyContainer(config, {
    spiffeId: spiffeIdFor(pod, config, context.namespace),
    volumes,
    appProbes: probes.appProbes,
    exitOnAppExit: !config.native && runsToCompletion(pod, spec, context),
  });
  const init = buildInitContainer(config, volumes);
  const status = statusOf(config, volumes, Object.keys(probes.appProbes));
  return [
    ...annotationOps(pod, { [INJECTED_ANNOTATION]: 'true', [STATUS_ANNOTATION]: status }),
    // Probe replaces use the original container indices, so they come before the proxy insert.
    ...probes.ops,
    ...addToArray('/spec/initContainers', spec['initContainers'], config.native ? [init, proxy] : [init], 0),
    ...(config.native ? [] : addToArray('/spec/containers', spec['containers'], [proxy], 0)),
    ...addToArray('/spec/volumes', spec['volumes'], buildVolumes(config, volumes), '-'),
  ];
}
