/**
 * no-proxy-ports. The facts: the proxy binds its listeners inside the pod's network namespace
 * (Istio's "Ports used by Istio" table: 15000 admin, 15001 outbound, 15004 debug, 15006 inbound,
 * 15008 HBONE, 15020 merged metrics/app probes, 15021 health, 15053 DNS, 15090 Envoy metrics;
 * linkerd2-proxy: 4140 outbound, 4143 inbound, 4190 control/tap, 4191 admin; ztgate's builtin
 * proxy: sidecar.ports), and the health port is left out of inbound capture so the kubelet can
 * reach it — an app serving there would serve plaintext to anyone the CNI lets in.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { ISTIO } from '../../../src/policy/mesh/istio.js';
import { ISTIO_AMBIENT } from '../../../src/policy/mesh/istio-ambient.js';
import { LINKERD } from '../../../src/policy/mesh/linkerd.js';
import { injectPodTemplate } from '../../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { app, configWith, findings, violations, workload } from './hardening.js';

type Row = readonly [string, KubeObject, readonly (readonly [string, string])[]];

const serving = (port: unknown, extra: Record<string, unknown> = {}) =>
  workload({ containers: [{ ...app, ports: [{ name: 'http', containerPort: port }], ...extra }] });

describe('the descriptors name the ports their proxies bind', () => {
  it.each([
    ['istio', ISTIO.reservedPorts, [15000, 15001, 15004, 15006, 15008, 15020, 15021, 15053, 15090]],
    ['linkerd', LINKERD.reservedPorts, [4140, 4143, 4190, 4191]],
    [
      'istio-ambient (ztunnel listens in the pod: 15001, 15006, 15008)',
      ISTIO_AMBIENT.reservedPorts,
      [15001, 15006, 15008],
    ],
  ])('%s', (_name, ports, expected) => {
    expect([...ports]).toEqual(expected);
  });
});

describe('no-proxy-ports: look-alikes (mesh.provider istio)', () => {
  it.each<Row>([
    [
      'an app on 8080 probed on 8080',
      serving(8080, { readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }),
      [],
    ],
    [
      'a named probe port that resolves to 8080',
      serving(8080, { livenessProbe: { tcpSocket: { port: 'http' } } }),
      [],
    ],
    ['port 15009 (not a sidecar listener)', serving(15009), []],
    // What ztgate's own rewrite writes: the proxy's health port, /app-health/<container>/<probe>.
    [
      "probes rewritten by ztgate's injector",
      injectPodTemplate(
        serving(8080, {
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
          startupProbe: { grpc: { port: 8080 } },
        }),
        DEFAULT_CONFIG.sidecar,
        'shop',
      ),
      [],
    ],
    // What Istio's injector writes: pilot-agent serves the rewritten probes on 15020.
    [
      'probes rewritten by Istio (15020 /app-health/app/livez)',
      serving(8080, { livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 15020 } } }),
      [],
    ],
    // A probe with a host never enters the pod (no-host-probes refuses it, not this rule).
    [
      'a probe with a host',
      serving(8080, { livenessProbe: { tcpSocket: { host: 'db', port: 15000 } } }),
      [['no-host-probes', 'spec.containers[0].livenessProbe.tcpSocket.host']],
    ],
  ])('%s', (_name, object, expected) => {
    expect(findings(object)).toEqual(expected);
  });
});

describe('no-proxy-ports: attacks (mesh.provider istio)', () => {
  it.each<Row>([
    [
      'an app declaring 15001 (the outbound capture port)',
      serving(15001),
      [['no-proxy-ports', 'spec.containers[0].ports[0].containerPort']],
    ],
    [
      'an app serving on 15021 (left out of inbound capture)',
      serving(15021),
      [['no-proxy-ports', 'spec.containers[0].ports[0].containerPort']],
    ],
    [
      'a digit-string containerPort',
      serving('15006'),
      [['no-proxy-ports', 'spec.containers[0].ports[0].containerPort']],
    ],
    // The rewritten probe would make the proxy call its own admin endpoint from inside the pod.
    [
      'a liveness probe at the Envoy admin port',
      serving(8080, { livenessProbe: { httpGet: { path: '/quitquitquit', port: 15000 } } }),
      [['no-proxy-ports', 'spec.containers[0].livenessProbe.httpGet.port']],
    ],
    [
      'an /app-health-looking path with a query on the admin port',
      serving(8080, {
        readinessProbe: { httpGet: { path: '/app-health/app/livez?x=/quitquitquit', port: 15000 } },
      }),
      [['no-proxy-ports', 'spec.containers[0].readinessProbe.httpGet.port']],
    ],
    [
      'a tcpSocket startup probe at 15090',
      serving(8080, { startupProbe: { tcpSocket: { port: 15090 } } }),
      [['no-proxy-ports', 'spec.containers[0].startupProbe.tcpSocket.port']],
    ],
    [
      'a gRPC probe at 15020',
      serving(8080, { livenessProbe: { grpc: { port: 15020 } } }),
      [['no-proxy-ports', 'spec.containers[0].livenessProbe.grpc.port']],
    ],
    [
      'a preStop hook at 15000',
      serving(8080, { lifecycle: { preStop: { httpGet: { path: '/drain_listeners', port: 15000 } } } }),
      [['no-proxy-ports', 'spec.containers[0].lifecycle.preStop.httpGet.port']],
    ],
    [
      "a native sidecar of the app's (restartable init container) on 15006",
      workload(
        {
          initContainers: [
            { name: 'cache', image: 'c', restartPolicy: 'Always', ports: [{ containerPort: 15006 }] },
          ],
          containers: [app],
        },
        'Deployment',
      ),
      [['no-proxy-ports', 'spec.template.spec.initContainers[0].ports[0].containerPort']],
    ],
    [
      'a named probe port resolving to a reserved port: reported once, at the port',
      serving(15020, { livenessProbe: { httpGet: { path: '/', port: 'http' } } }),
      [['no-proxy-ports', 'spec.containers[0].ports[0].containerPort']],
    ],
  ])('%s', (_name, object, expected) => {
    expect(findings(object)).toEqual(expected);
  });

  it('says the port belongs to the proxy and how to move', () => {
    const [violation] = violations(serving(15021));
    expect(violation?.message).toContain('container "app" declares port 15021');
    expect(violation?.fix).toContain('another port');
  });
});

describe('no-proxy-ports per mesh', () => {
  it.each([
    ['linkerd: 4191 (admin, skipped by the inbound redirect)', configWith('linkerd'), 4191, true],
    ['linkerd: 4143 (inbound)', configWith('linkerd'), 4143, true],
    [
      'builtin with sidecar.ports.inbound 16006',
      configWith('builtin', {
        sidecar: { ...DEFAULT_CONFIG.sidecar, ports: { ...DEFAULT_CONFIG.sidecar.ports, inbound: 16006 } },
      }),
      16006,
      true,
    ],
    ['builtin: 15090 is no port of the builtin proxy', configWith('builtin'), 15090, false],
    ['istio-ambient: 15008 (ztunnel HBONE in the pod)', configWith('istio-ambient'), 15008, true],
  ] as const)('%s', (_name, config, port, refused) => {
    const expected = refused ? [['no-proxy-ports', 'spec.containers[0].ports[0].containerPort']] : [];
    expect(findings(serving(port), config)).toEqual(expected);
  });
});
