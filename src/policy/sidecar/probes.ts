/**
 * Probe rewriting. The kubelet probes from the node and holds no workload certificate, so with
 * inbound capture an app's httpGet/tcpSocket/grpc probe would hit the proxy and fail mTLS.
 * We rewrite each such probe to an httpGet on the proxy's health port (Istio's approach); the
 * proxy answers `/app-health/<container>/<livez|readyz|startupz>` by running the original probe
 * against 127.0.0.1, which it finds in the ZTGATE_APP_PROBES env var. The alternative —
 * excluding probe ports from capture — would open the app's serving port (usually the probe
 * port) to plaintext, unauthenticated traffic, which zero trust cannot accept.
 */
import type { SidecarConfig } from '../config.js';
import { escapePointerSegment, type JsonPatchOp } from './json-patch.js';
import { HEALTH_PATHS } from './names.js';
import { asRecord, asRecordArray, nameOf, type JsonRecord } from './read.js';

const PROBES = [
  ['livenessProbe', 'livez'],
  ['readinessProbe', 'readyz'],
  ['startupProbe', 'startupz'],
] as const;

const HANDLERS = ['httpGet', 'tcpSocket', 'grpc'] as const;

/** The probe ops and the originals the proxy must run, keyed by the proxy path that replaces them. */
export interface ProbeRewrite {
  readonly ops: readonly JsonPatchOp[];
  readonly appProbes: Readonly<Record<string, JsonRecord>>;
}

/** Resolves a probe port (number or the name of a container port) to a number. */
function resolvePort(port: unknown, container: JsonRecord): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  for (const declared of asRecordArray(container['ports']) ?? []) {
    if (declared['name'] === port && typeof declared['containerPort'] === 'number')
      return declared['containerPort'];
  }
  return undefined;
}

/** The original check, with its port made numeric; undefined when the probe needs no rewrite. */
function originalCheck(probe: JsonRecord, container: JsonRecord): JsonRecord | undefined {
  for (const handler of HANDLERS) {
    const action = asRecord(probe[handler]);
    if (action === undefined) continue;
    // A probe aimed at another host never enters this pod's network namespace.
    if (handler === 'httpGet' && typeof action['host'] === 'string' && action['host'] !== '')
      return undefined;
    const port = resolvePort(action['port'], container);
    if (port === undefined) return undefined;
    const check: Record<string, unknown> = { [handler]: { ...action, port } };
    if (typeof probe['timeoutSeconds'] === 'number') check['timeoutSeconds'] = probe['timeoutSeconds'];
    return check;
  }
  return undefined;
}

/** One container whose probes the kubelet runs, with the JSON Pointer of its list. */
interface Probed {
  readonly container: JsonRecord;
  readonly pointer: string;
}

/**
 * The containers the kubelet probes: every container, and the restartable init containers
 * (`restartPolicy: Always`, native sidecars of the app's own), which may carry startup,
 * readiness and liveness probes from Kubernetes 1.28 on. Ordinary init containers have none.
 */
function probedContainers(
  containers: readonly JsonRecord[],
  initContainers: readonly JsonRecord[],
): Probed[] {
  const probed: Probed[] = [];
  initContainers.forEach((container, index) => {
    if (container['restartPolicy'] === 'Always')
      probed.push({ container, pointer: `/spec/initContainers/${index}` });
  });
  containers.forEach((container, index) => probed.push({ container, pointer: `/spec/containers/${index}` }));
  return probed;
}

/**
 * Rewrites the network probes of the app's containers and restartable init containers to go
 * through the proxy's health port. The ops address the original indices, so they must come
 * before the patch inserts ztgate's containers.
 */
export function rewriteAppProbes(
  containers: readonly JsonRecord[],
  config: SidecarConfig,
  initContainers: readonly JsonRecord[] = [],
): ProbeRewrite {
  const ops: JsonPatchOp[] = [];
  const appProbes: Record<string, JsonRecord> = {};
  for (const { container, pointer } of probedContainers(containers, initContainers)) {
    const name = nameOf(container);
    if (name === undefined) continue;
    for (const [field, endpoint] of PROBES) {
      const probe = asRecord(container[field]);
      const check = probe === undefined ? undefined : originalCheck(probe, container);
      if (probe === undefined || check === undefined) continue;
      const path = `${HEALTH_PATHS.appPrefix}/${name}/${endpoint}`;
      appProbes[path] = check;
      const rewritten: Record<string, unknown> = {
        httpGet: { path, port: config.ports.health, scheme: 'HTTP' },
      };
      // The probe's timing fields stay; its handler is replaced by the httpGet above.
      for (const key of Object.keys(probe)) {
        // `__proto__` is no probe field, and assigning it would set the prototype instead.
        if (key !== '__proto__' && !(HANDLERS as readonly string[]).includes(key))
          rewritten[key] = probe[key];
      }
      ops.push({ op: 'replace', path: `${pointer}/${escapePointerSegment(field)}`, value: rewritten });
    }
  }
  return { ops, appProbes };
}
