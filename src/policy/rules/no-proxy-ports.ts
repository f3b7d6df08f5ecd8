import { asRecord, asRecordArray, type JsonRecord } from '../sidecar/read.js';
import type { Violation, Workload } from '../types.js';
import { meshProvider } from '../mesh/index.js';
import { podMesh } from './mesh-containers.js';
import { isRecord } from '../objects.js';
import {
  containersOf,
  handlerPath,
  handlerRoots,
  isEnforced,
  readInteger,
  valueAt,
  type ContainerEntry,
} from './pod-security/read.js';
import type { Rule } from './rule.js';
import { quoteValue } from '../message-text.js';

const RULE = 'no-proxy-ports';

/** Probe and lifecycle handlers whose port the kubelet (or the proxy, for a rewritten probe) calls. */
const HANDLERS = [
  ['livenessProbe', 'httpGet'],
  ['livenessProbe', 'tcpSocket'],
  ['livenessProbe', 'grpc'],
  ['readinessProbe', 'httpGet'],
  ['readinessProbe', 'tcpSocket'],
  ['readinessProbe', 'grpc'],
  ['startupProbe', 'httpGet'],
  ['startupProbe', 'tcpSocket'],
  ['startupProbe', 'grpc'],
  ['lifecycle', 'postStart', 'httpGet'],
  ['lifecycle', 'postStart', 'tcpSocket'],
  ['lifecycle', 'preStop', 'httpGet'],
  ['lifecycle', 'preStop', 'tcpSocket'],
].map((keys) => ({
  at: handlerPath(keys),
  dotted: keys.join('.'),
  isProbe: keys[0] !== 'lifecycle',
  isHttp: keys.at(-1) === 'httpGet',
}));

/**
 * The shape of a probe the injector rewrote to the proxy's health port (ztgate's builtin injector
 * and Istio's both serve `/app-health/<container>/<livez|readyz|startupz>` and run the original
 * probe themselves). Only the path matters: it reaches the proxy's probe runner, never its admin
 * endpoints (`/quitquitquit`, `/config_dump`), so the shape is allowed on any of the proxy's ports.
 */
const REWRITTEN_PROBE_PATH = /^\/app-health\/[^/?#]+\/(livez|readyz|startupz)$/;

function isRewrittenProbe(handler: (typeof HANDLERS)[number], action: JsonRecord): boolean {
  const path = action['path'];
  return handler.isProbe && handler.isHttp && typeof path === 'string' && REWRITTEN_PROBE_PATH.test(path);
}

interface Finding {
  readonly path: string;
  readonly value: unknown;
  readonly port: number;
  readonly what: string;
}

function declaredPorts(entry: ContainerEntry, reserved: ReadonlySet<number>): Finding[] {
  const found: Finding[] = [];
  (asRecordArray(entry.container['ports']) ?? []).forEach((item, index) => {
    const port = readInteger(item['containerPort']);
    if (port === undefined || !reserved.has(port)) return;
    found.push({
      path: `${entry.path}.ports[${index}].containerPort`,
      value: item['containerPort'],
      port,
      what: 'declares port',
    });
  });
  return found;
}

/**
 * Numeric handler ports only: a named port resolves to one of the container's own ports, which
 * `declaredPorts` reports. A handler with a host never enters the pod (`no-host-probes` refuses it).
 */
function handlerPorts(entry: ContainerEntry, reserved: ReadonlySet<number>): Finding[] {
  const found: Finding[] = [];
  const roots = handlerRoots(entry.container);
  for (const handler of HANDLERS) {
    const root = roots[handler.at.root];
    // No probe or hook there: no action either (valueAt would find none).
    if (!isRecord(root)) continue;
    const action = asRecord(valueAt(root, handler.at.rest));
    if (action === undefined || (typeof action['host'] === 'string' && action['host'] !== '')) continue;
    const port = readInteger(action['port']);
    if (port === undefined || !reserved.has(port) || isRewrittenProbe(handler, action)) continue;
    found.push({
      path: `${entry.path}.${handler.dotted}.port`,
      value: action['port'],
      port,
      what: `points ${handler.dotted} at port`,
    });
  }
  return found;
}

function violation(workload: Workload, entry: ContainerEntry, finding: Finding, mesh: string): Violation {
  return {
    rule: RULE,
    path: finding.path,
    value: finding.value,
    message:
      `${workload.kind} ${quoteValue(workload.name)}: container ${quoteValue(entry.name)} ${finding.what} ${finding.port}, which the mesh's ` +
      `proxy (${mesh}) owns in every meshed pod (its listeners, admin and health ports; the health port is left out of capture ` +
      'so the kubelet can reach it): the app would collide with the proxy, serve unauthenticated traffic on an ' +
      "uncaptured port, or have its probe answered by the proxy's own endpoints.",
    fix: `Serve and probe container ${quoteValue(entry.name)} on another port (and change its Service's targetPort to match).`,
  };
}

/**
 * The ports the mesh's proxy binds inside the pod (descriptor `reservedPorts`; the builtin
 * injector's `sidecar.ports`) are not the app's: no workload container declares one, and no probe
 * or lifecycle hook of a workload container points at one.
 */
export const noProxyPortsRule: Rule = {
  name: RULE,
  description: "No app container port, probe or lifecycle hook uses one of the mesh proxy's ports.",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    const reserved = podMesh(workload, config).ports;
    const mesh = meshProvider(config).name;
    const violations: Violation[] = [];
    for (const entry of containersOf(workload, config)) {
      if (entry.meshRole !== undefined) continue;
      for (const finding of [...declaredPorts(entry, reserved), ...handlerPorts(entry, reserved)]) {
        violations.push(violation(workload, entry, finding, mesh));
      }
    }
    return violations;
  },
};
