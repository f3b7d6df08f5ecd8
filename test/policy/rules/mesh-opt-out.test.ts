import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG, type MeshException, type ZtgateConfig } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import type { KubeObject, UserInfo } from '../../../src/policy/types.js';
import { deployment, namespace, pod, viewOf } from '../helpers.js';

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> };

const withMesh = (
  provider: ZtgateConfig['mesh']['provider'],
  exceptions: MeshException[] = [],
): ZtgateConfig => ({
  ...DEFAULT_CONFIG,
  mesh: { ...DEFAULT_CONFIG.mesh, provider, exceptions },
});
const istio = DEFAULT_CONFIG;
const ambient = withMesh('istio-ambient');
const linkerd = withMesh('linkerd');

/** A Deployment whose pod template carries these labels and annotations (its own app label kept). */
function template(meta: Meta, name = 'web'): KubeObject {
  const object = deployment(name, { sa: name }) as {
    spec: { template: { metadata: Record<string, unknown> } };
  };
  const metadata = object.spec.template.metadata;
  object.spec.template.metadata = {
    labels: { ...(metadata['labels'] as object), ...meta.labels },
    annotations: meta.annotations ?? {},
  };
  return object as unknown as KubeObject;
}

function bareTemplate(meta: Meta): KubeObject {
  return template(meta);
}

function podWith(meta: Meta): KubeObject {
  const object = pod('web', { sa: 'web' });
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { app: 'web', ...meta.labels },
      annotations: meta.annotations ?? {},
    },
  };
}

function optOuts(object: KubeObject, config: ZtgateConfig, nsAnnotations: Record<string, string> = {}) {
  const ns = namespace('shop');
  const view = viewOf([{ ...ns, metadata: { ...ns.metadata, annotations: nsAnnotations } }]);
  return evaluate({ operation: 'CREATE', object }, view, config)
    .violations.filter((v) => v.rule === 'mesh-opt-out')
    .map((v) => v.path);
}

const a = (key: string, value: string): Meta => ({ annotations: { [key]: value } });
const l = (key: string, value: string): Meta => ({ labels: { [key]: value } });

describe('mesh-opt-out: Istio (judged by value, labels and annotations)', () => {
  it.each([
    ['inject label true', l('sidecar.istio.io/inject', 'true')],
    // Read as "inject" by every release: lowercased y/yes/true/on up to 1.26, default after.
    ['inject label TRUE', l('sidecar.istio.io/inject', 'TRUE')],
    ['inject annotation yes', a('sidecar.istio.io/inject', 'yes')],
    ['inject label empty (the namespace default)', l('sidecar.istio.io/inject', '')],
    // What Istio's CNI mode writes on every pod.
    ['includeInboundPorts *', a('traffic.sidecar.istio.io/includeInboundPorts', '*')],
    ['excludeInboundPorts 15020', a('traffic.sidecar.istio.io/excludeInboundPorts', '15020')],
    ["Istio's own ports", a('traffic.sidecar.istio.io/excludeInboundPorts', '15090, 15021')],
    ['includeOutboundIPRanges *', a('traffic.sidecar.istio.io/includeOutboundIPRanges', '*')],
    ['interceptionMode REDIRECT', a('sidecar.istio.io/interceptionMode', 'REDIRECT')],
    ['an empty excludeOutboundIPRanges', a('traffic.sidecar.istio.io/excludeOutboundIPRanges', '')],
    [
      'includeOutboundPorts (only adds capture)',
      a('traffic.sidecar.istio.io/includeOutboundPorts', '443,8443'),
    ],
    [
      'the proxy image from the allow-list',
      a('sidecar.istio.io/proxyImage', 'docker.io/istio/proxyv2:1.24.0'),
    ],
    ['the sidecar template', a('inject.istio.io/templates', 'sidecar')],
    ['tlsMode istio', l('security.istio.io/tlsMode', 'istio')],
    ['capNetBindService false', a('sidecar.istio.io/capNetBindService', 'false')],
    ['an unrelated annotation', a('prometheus.io/scrape', 'true')],
  ])('allows %s', (_name, meta) => {
    expect(optOuts(bareTemplate(meta), istio)).toEqual([]);
  });

  it.each([
    ['inject label false', l('sidecar.istio.io/inject', 'false'), 'labels'],
    // Up to Istio 1.26 any value but y/yes/true/on (lowercased) skipped injection.
    ['inject label False', l('sidecar.istio.io/inject', 'False'), 'labels'],
    ['inject label 0', l('sidecar.istio.io/inject', '0'), 'labels'],
    ['inject label no', l('sidecar.istio.io/inject', 'no'), 'labels'],
    ['inject label off', l('sidecar.istio.io/inject', 'off'), 'labels'],
    [
      'inject label 1 (ParseBool-true, but not "inject" to Istio <=1.26)',
      l('sidecar.istio.io/inject', '1'),
      'labels',
    ],
    ['inject annotation false', a('sidecar.istio.io/inject', 'false'), 'annotations'],
    [
      'includeInboundPorts narrowed',
      a('traffic.sidecar.istio.io/includeInboundPorts', '8080'),
      'annotations',
    ],
    [
      'includeInboundPorts empty (no inbound capture)',
      a('traffic.sidecar.istio.io/includeInboundPorts', ''),
      'annotations',
    ],
    ['includeInboundPorts " *"', a('traffic.sidecar.istio.io/includeInboundPorts', ' *'), 'annotations'],
    [
      'excludeInboundPorts of the app',
      a('traffic.sidecar.istio.io/excludeInboundPorts', '15020,8080'),
      'annotations',
    ],
    [
      'includeOutboundIPRanges narrowed',
      a('traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/8'),
      'annotations',
    ],
    [
      'excludeOutboundIPRanges',
      a('traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.0/8'),
      'annotations',
    ],
    [
      'includeOutboundPorts malformed',
      a('traffic.sidecar.istio.io/includeOutboundPorts', '443-450'),
      'annotations',
    ],
    ['excludeOutboundPorts', a('traffic.sidecar.istio.io/excludeOutboundPorts', '443'), 'annotations'],
    ['excludeInterfaces', a('traffic.sidecar.istio.io/excludeInterfaces', 'eth1'), 'annotations'],
    ['interceptionMode NONE', a('sidecar.istio.io/interceptionMode', 'NONE'), 'annotations'],
    [
      'interceptionMode TPROXY (proxy as root)',
      a('sidecar.istio.io/interceptionMode', 'TPROXY'),
      'annotations',
    ],
    [
      'interceptionMode redirect (lowercase)',
      a('sidecar.istio.io/interceptionMode', 'redirect'),
      'annotations',
    ],
    [
      'proxy.istio.io/config',
      a('proxy.istio.io/config', 'holdApplicationUntilProxyStarts: true'),
      'annotations',
    ],
    ['bootstrapOverride', a('sidecar.istio.io/bootstrapOverride', 'my-bootstrap'), 'annotations'],
    ['discoveryAddress', a('sidecar.istio.io/discoveryAddress', 'evil.example:15012'), 'annotations'],
    [
      'a proxy image off the allow-list',
      a('sidecar.istio.io/proxyImage', 'docker.io/attacker/proxyv2:1.24.0'),
      'annotations',
    ],
    [
      'userVolume',
      a('sidecar.istio.io/userVolume', '[{"name":"x","secret":{"secretName":"x"}}]'),
      'annotations',
    ],
    [
      'userVolumeMount',
      a('sidecar.istio.io/userVolumeMount', '[{"name":"x","mountPath":"/etc/istio/proxy"}]'),
      'annotations',
    ],
    ['a proxyless template', a('inject.istio.io/templates', 'grpc-agent'), 'annotations'],
    ['tlsMode disabled', l('security.istio.io/tlsMode', 'disabled'), 'labels'],
    ['the status port moved onto the app', a('status.sidecar.istio.io/port', '8080'), 'annotations'],
    [
      'capNetBindService true (proxy as root)',
      a('sidecar.istio.io/capNetBindService', 'true'),
      'annotations',
    ],
    [
      'a forged injection status on a template',
      a('sidecar.istio.io/status', '{"containers":["istio-proxy"]}'),
      'annotations',
    ],
    [
      'forged container overrides on a template',
      a('proxy.istio.io/overrides', '{"containers":[]}'),
      'annotations',
    ],
    // Istio reads these as annotations; ztgate refuses the label spelling too.
    ['excludeOutboundPorts as a label', l('traffic.sidecar.istio.io/excludeOutboundPorts', '443'), 'labels'],
  ])('refuses %s', (_name, meta, where) => {
    const key = Object.keys(meta.labels ?? meta.annotations ?? {})[0];
    expect(optOuts(bareTemplate(meta), istio)).toEqual([`spec.template.metadata.${where}.${key}`]);
  });

  it("allows on a Pod the status and overrides annotations Istio's injector writes there", () => {
    const meta = { annotations: { 'sidecar.istio.io/status': '{}', 'proxy.istio.io/overrides': '{}' } };
    expect(optOuts(podWith(meta), istio)).toEqual([]);
  });

  it('reports every bypass at once, on a CronJob at its template path', () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'shop' },
      spec: {
        schedule: '* * * * *',
        jobTemplate: {
          spec: {
            template: {
              metadata: {
                labels: { 'sidecar.istio.io/inject': 'false' },
                annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' },
              },
              spec: { containers: [{ name: 'job', image: 'job:1' }] },
            },
          },
        },
      },
    };
    expect(optOuts(cron, istio)).toEqual([
      'spec.jobTemplate.spec.template.metadata.labels.sidecar.istio.io/inject',
      'spec.jobTemplate.spec.template.metadata.annotations.traffic.sidecar.istio.io/excludeOutboundPorts',
    ]);
  });
});

describe('mesh-opt-out: a proxy image annotation off mesh.proxyImages', () => {
  it.each([
    [
      'Istio',
      'sidecar.istio.io/proxyImage',
      'my.mirror/istio/proxyv2:1.24.0',
      istio,
      'my.mirror/istio/proxyv2',
    ],
    [
      'Linkerd',
      'config.linkerd.io/proxy-image',
      'my.mirror/linkerd/proxy',
      linkerd,
      'my.mirror/linkerd/proxy',
    ],
  ])(
    '%s: the fix names mesh.proxyImages and gives the mirror entry to paste',
    (_name, key, image, config, entry) => {
      const object = template(a(key, image));
      const ns = namespace('shop');
      const [violation] = evaluate({ operation: 'CREATE', object }, viewOf([ns]), config).violations.filter(
        (v) => v.rule === 'mesh-opt-out',
      );
      expect(violation?.message).toContain('is not in mesh.proxyImages');
      const pasted = parse(violation?.fix ?? '') as { mesh: { proxyImages: string[] } };
      expect(pasted.mesh.proxyImages.at(-1)).toBe(entry);
      // With that entry in the config the annotation passes.
      const mirrored = { ...config, mesh: { ...config.mesh, proxyImages: pasted.mesh.proxyImages } };
      expect(optOuts(object, mirrored)).toEqual([]);
    },
  );
});

describe('mesh-opt-out: admin exceptions in the ztgate config', () => {
  const metadataRange = a('traffic.sidecar.istio.io/excludeOutboundIPRanges', '169.254.169.254/32');
  const exception = (workload: string, annotations: Record<string, string>): MeshException => ({
    namespace: 'shop',
    workload,
    annotations,
  });
  const approved = withMesh('istio', [
    exception('web', { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '169.254.169.254/32' }),
  ]);

  it('allows the approved value for the approved workload', () => {
    expect(optOuts(template(metadataRange), approved)).toEqual([]);
  });

  it('allows every workload of the namespace when the exception names none', () => {
    const all = withMesh('istio', [
      exception('', { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '169.254.169.254/32' }),
    ]);
    expect(optOuts(template(metadataRange, 'api'), all)).toEqual([]);
  });

  it("allows Istio's own status port next to an approved inbound port (its CNI mode rewrites the annotation)", () => {
    const inbound = withMesh('istio', [
      exception('web', { 'traffic.sidecar.istio.io/excludeInboundPorts': '8443' }),
    ]);
    expect(
      optOuts(template(a('traffic.sidecar.istio.io/excludeInboundPorts', '15020,8443')), inbound),
    ).toEqual([]);
  });

  it.each([
    ['another workload', template(metadataRange, 'api')],
    [
      'a wider value',
      template(a('traffic.sidecar.istio.io/excludeOutboundIPRanges', '169.254.169.254/32,10.0.0.0/8')),
    ],
    ['another key', template(a('traffic.sidecar.istio.io/excludeOutboundPorts', '443'))],
    [
      'the value as a label, not an annotation',
      template(l('traffic.sidecar.istio.io/excludeOutboundIPRanges', '169.254.169.254-32')),
    ],
  ])('still refuses %s', (_name, object) => {
    expect(optOuts(object, approved)).toHaveLength(1);
  });

  it('offers the exception as the fix, for an admin to add', () => {
    const view = viewOf([namespace('shop')]);
    const object = template(a('traffic.sidecar.istio.io/excludeOutboundPorts', '443'));
    const violation = evaluate({ operation: 'CREATE', object }, view, istio).violations.find(
      (v) => v.rule === 'mesh-opt-out',
    );
    expect(violation?.fix).toContain('a ztgate admin approves it in the ztgate config (not on the workload)');
    expect(violation?.fix).toContain(
      '      workload: web\n      annotations:\n        traffic.sidecar.istio.io/excludeOutboundPorts: "443"',
    );
  });
});

describe('mesh-opt-out: Istio ambient', () => {
  it.each([
    ['dataplane-mode ambient', l('istio.io/dataplane-mode', 'ambient')],
    ['bypass-inbound-capture false', a('ambient.istio.io/bypass-inbound-capture', 'false')],
    ['bypass-inbound-capture 0', a('ambient.istio.io/bypass-inbound-capture', '0')],
    ['inject false', l('sidecar.istio.io/inject', 'false')],
  ])('allows %s', (_name, meta) => {
    expect(optOuts(template(meta), ambient)).toEqual([]);
  });

  it.each([
    ['dataplane-mode none', l('istio.io/dataplane-mode', 'none')],
    ['dataplane-mode None', l('istio.io/dataplane-mode', 'None')],
    // istio-cni reads it with strconv.ParseBool.
    ['bypass-inbound-capture true', a('ambient.istio.io/bypass-inbound-capture', 'true')],
    ['bypass-inbound-capture 1', a('ambient.istio.io/bypass-inbound-capture', '1')],
    ['bypass-inbound-capture T', a('ambient.istio.io/bypass-inbound-capture', 'T')],
    ['bypass-inbound-capture junk', a('ambient.istio.io/bypass-inbound-capture', 'yes')],
    // istio-cni skips ambient redirection for pods carrying the sidecar status annotation.
    ['a sidecar status', a('sidecar.istio.io/status', '{}')],
    ['a sidecar requested', l('sidecar.istio.io/inject', 'true')],
    ['a forged redirection annotation', a('ambient.istio.io/redirection', 'enabled')],
  ])('refuses %s', (_name, meta) => {
    expect(optOuts(template(meta), ambient)).toHaveLength(1);
  });

  it('refuses the sidecar status even on a Pod', () => {
    expect(optOuts(podWith(a('sidecar.istio.io/status', '{}')), ambient)).toHaveLength(1);
  });
});

describe('mesh-opt-out: Linkerd', () => {
  it.each([
    ['inject enabled', a('linkerd.io/inject', 'enabled')],
    ['inject ingress (still meshed)', a('linkerd.io/inject', 'ingress')],
    ['default policy all-authenticated', a('config.linkerd.io/default-inbound-policy', 'all-authenticated')],
    ['default policy deny', a('config.linkerd.io/default-inbound-policy', 'deny')],
    ['proxy image from the allow-list', a('config.linkerd.io/proxy-image', 'cr.l5d.io/linkerd/proxy')],
    ['proxy uid 2102', a('config.linkerd.io/proxy-uid', '2102')],
    ['opaque ports', a('config.linkerd.io/opaque-ports', '5432')],
  ])('allows %s', (_name, meta) => {
    expect(optOuts(template(meta), linkerd)).toEqual([]);
  });

  it.each([
    ['inject disabled', a('linkerd.io/inject', 'disabled')],
    // The injector acts on enabled and ingress only; anything else is "invalid" and skips.
    ['inject Enabled', a('linkerd.io/inject', 'Enabled')],
    ['skip-inbound-ports', a('config.linkerd.io/skip-inbound-ports', '8080')],
    ['skip-outbound-ports', a('config.linkerd.io/skip-outbound-ports', '443')],
    ['skip-subnets', a('config.linkerd.io/skip-subnets', '10.0.0.0/8')],
    [
      'default policy all-unauthenticated',
      a('config.linkerd.io/default-inbound-policy', 'all-unauthenticated'),
    ],
    ['default policy audit', a('config.linkerd.io/default-inbound-policy', 'audit')],
    ['proxy image elsewhere', a('config.linkerd.io/proxy-image', 'ghcr.io/attacker/proxy')],
    ['proxy uid moved to the app', a('config.linkerd.io/proxy-uid', '1000')],
    ['proxy gid', a('config.linkerd.io/proxy-gid', '2102')],
    [
      'additional proxy env',
      a(
        'config.linkerd.io/proxy-additional-env',
        '[{"name":"LINKERD2_PROXY_INBOUND_DEFAULT_POLICY","value":"all-unauthenticated"}]',
      ),
    ],
  ])('refuses %s', (_name, meta) => {
    expect(optOuts(template(meta), linkerd)).toHaveLength(1);
  });

  it("refuses a bypass the namespace's annotations give every pod, unless the pod overrides it", () => {
    const inherited = { 'config.linkerd.io/skip-outbound-ports': '443', 'linkerd.io/inject': 'enabled' };
    expect(optOuts(template({}), linkerd, inherited)).toEqual(['metadata.namespace']);
    expect(optOuts(template(a('config.linkerd.io/skip-outbound-ports', '')), linkerd, inherited)).toEqual([]);
  });
});

describe('mesh-opt-out: Linkerd namespaces', () => {
  const developer: UserInfo = { username: 'dev', groups: ['developers'] };
  const admin: UserInfo = { username: 'root', groups: ['system:masters'] };
  const annotatedNs = (annotations: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', annotations },
  });
  const judge = (now: Record<string, string>, before: Record<string, string>, user: UserInfo) =>
    evaluate(
      { operation: 'UPDATE', object: annotatedNs(now), oldObject: annotatedNs(before), user },
      viewOf([]),
      linkerd,
    ).violations.map((v) => `${v.rule} ${v.path}`);

  it('refuses a developer adding a bypass every pod would inherit', () => {
    expect(judge({ 'config.linkerd.io/skip-outbound-ports': '443' }, {}, developer)).toEqual([
      'mesh-opt-out metadata.annotations.config.linkerd.io/skip-outbound-ports',
    ]);
  });

  it.each([
    ['an admin', { 'config.linkerd.io/skip-outbound-ports': '443' }, {}, admin],
    [
      'an unchanged value',
      { 'config.linkerd.io/skip-outbound-ports': '443', team: 'a' },
      { 'config.linkerd.io/skip-outbound-ports': '443' },
      developer,
    ],
    ['a strict default policy', { 'config.linkerd.io/default-inbound-policy': 'deny' }, {}, developer],
  ])('allows %s', (_name, now, before, user) => {
    expect(judge(now, before, user)).toEqual([]);
  });

  it('judges nothing on namespaces under Istio (its injector reads no namespace annotation)', () => {
    const decision = evaluate(
      {
        operation: 'CREATE',
        object: annotatedNs({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '443' }),
        user: developer,
      },
      viewOf([]),
      istio,
    );
    expect(decision.violations).toEqual([]);
  });
});
