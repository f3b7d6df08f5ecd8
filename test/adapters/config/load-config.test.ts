import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/adapters/config/load-config.js';
import { ConfigError } from '../../../src/adapters/errors.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';

function errorOf(text: string): string {
  try {
    parseConfig(text, 'ztgate.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: valid files', () => {
  it.each([
    ['an empty file', '', {}],
    ['a comment only', '# nothing\n', {}],
    ['audit mode', 'mode: audit\n', { mode: 'audit' }],
    ['a port override', 'sidecar:\n  ports:\n    inbound: 16006\n', { inbound: 16006 }],
    ['CIDR exclusions', 'sidecar:\n  exclude:\n    outboundCIDRs: [10.0.0.0/8, "fd00::/8"]\n', { cidrs: 2 }],
  ])('%s', (_name, text, expected) => {
    const config = parseConfig(text, 'ztgate.yaml');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sidecar.ports)).toBe(true);
    if ('mode' in expected) expect(config.mode).toBe(expected.mode);
    if ('inbound' in expected) {
      expect(config.sidecar.ports).toEqual({ ...DEFAULT_CONFIG.sidecar.ports, inbound: expected.inbound });
      expect(config.sidecar.image).toBe(DEFAULT_CONFIG.sidecar.image);
    }
    if ('cidrs' in expected) expect(config.sidecar.exclude.outboundCIDRs).toEqual(['10.0.0.0/8', 'fd00::/8']);
    if (Object.keys(expected).length === 0) expect(config).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['on by default', '', true],
    ['switched off', 'sidecar:\n  distributeTrustBundle: false\n', false],
    ['switched on explicitly', 'sidecar:\n  distributeTrustBundle: true\n', true],
    [
      'off with another bundle name',
      'sidecar:\n  trustBundleConfigMap: mesh-ca\n  distributeTrustBundle: false\n',
      false,
    ],
  ])('sidecar.distributeTrustBundle: %s', (_name, text, expected) => {
    const config = parseConfig(text, 'ztgate.yaml');
    expect(config.sidecar.distributeTrustBundle).toBe(expected);
    expect(config.sidecar.image).toBe(DEFAULT_CONFIG.sidecar.image);
  });

  // Controls for the cross-key rules: near misses that must still load.
  it.each([
    [
      'a trust domain with "_" and "-"',
      'sidecar:\n  trustDomain: prod_eu-1.example.org\n',
      'prod_eu-1.example.org',
    ],
    ['swapped proxy ports', 'sidecar:\n  ports: { inbound: 15001, outbound: 15006 }\n', 15001],
    [
      'the DNS allowance switched off, named like the default deny',
      'defaultDeny:\n  dns:\n    enabled: false\n    policyName: ztgate-default-deny\n',
      false,
    ],
    [
      'a narrow exclusion',
      'sidecar:\n  exclude:\n    outboundCIDRs: [169.254.169.254/32]\n',
      '169.254.169.254/32',
    ],
  ])('accepts %s', (_name, text, expected) => {
    const config = parseConfig(text, 'ztgate.yaml');
    expect([
      config.sidecar.trustDomain,
      config.sidecar.ports.inbound,
      config.defaultDeny.dns.enabled,
      ...config.sidecar.exclude.outboundCIDRs,
    ]).toContain(expected);
  });

  it('replaces lists and string maps whole, merges mappings key by key', () => {
    const config = parseConfig(
      'exemptNamespaces: [kube-system]\ndefaultDeny:\n  dns:\n    podSelector: { app: coredns }\n',
      'x.yaml',
    );
    expect(config.exemptNamespaces).toEqual(['kube-system']);
    expect(config.defaultDeny.dns.podSelector).toEqual({ app: 'coredns' });
    expect(config.defaultDeny.dns.ports).toEqual(DEFAULT_CONFIG.defaultDeny.dns.ports);
    expect(config.defaultDeny.policyName).toBe(DEFAULT_CONFIG.defaultDeny.policyName);
  });

  it('reads podSecurity exceptions (admin config, per namespace)', () => {
    const config = parseConfig(
      'podSecurity:\n  allowedHostPaths:\n    - { namespace: logging, pathPrefix: /var/log, readOnly: true }\n' +
        '  allowedHostPorts:\n    - { namespace: edge, port: 443 }\n',
      'x.yaml',
    );
    expect(config.podSecurity).toEqual({
      allowedHostPaths: [{ namespace: 'logging', pathPrefix: '/var/log', readOnly: true }],
      allowedHostPorts: [{ namespace: 'edge', port: 443 }],
    });
    expect(parseConfig('', 'x.yaml').podSecurity).toEqual({ allowedHostPaths: [], allowedHostPorts: [] });
  });

  it('does not share objects with DEFAULT_CONFIG', () => {
    expect(parseConfig('mode: enforce', 'x').sidecar).not.toBe(DEFAULT_CONFIG.sidecar);
  });
});

describe('parseConfig: invalid files name the key path', () => {
  it.each([
    [
      'a bad port',
      'sidecar:\n  ports:\n    inbound: x\n',
      'ztgate.yaml: sidecar.ports.inbound: expected an integer 1-65535, got "x"',
    ],
    [
      'port 0',
      'sidecar:\n  ports:\n    health: 0\n',
      'sidecar.ports.health: expected an integer 1-65535, got 0',
    ],
    [
      'port 65536',
      'sidecar:\n  exclude:\n    inboundPorts: [22, 65536]\n',
      'sidecar.exclude.inboundPorts[1]: expected an integer 1-65535, got 65536',
    ],
    [
      'a host path that climbs out',
      'podSecurity:\n  allowedHostPaths: [{ namespace: logging, pathPrefix: /var/log/../../run, readOnly: true }]\n',
      'podSecurity.allowedHostPaths[0].pathPrefix: expected an absolute path without',
    ],
    [
      'a relative host path',
      'podSecurity:\n  allowedHostPaths: [{ namespace: logging, pathPrefix: var/log, readOnly: true }]\n',
      'podSecurity.allowedHostPaths[0].pathPrefix: expected an absolute path',
    ],
    [
      'a host path allowance without readOnly (say it)',
      'podSecurity:\n  allowedHostPaths: [{ namespace: logging, pathPrefix: /var/log }]\n',
      'podSecurity.allowedHostPaths[0].readOnly: required',
    ],
    [
      'a host port allowance for every namespace',
      'podSecurity:\n  allowedHostPorts: [{ namespace: "*", port: 443 }]\n',
      'podSecurity.allowedHostPorts[0].namespace: expected a DNS-1123 label',
    ],
    ['a bad mode', 'mode: strict\n', 'mode: expected one of enforce | audit, got "strict"'],
    [
      'an audit pass every 5 s',
      'audit:\n  intervalSeconds: 5\n',
      'audit.intervalSeconds: expected an integer 10-86400, got 5',
    ],
    ['a background audit "yes"', 'audit:\n  background: yes\n', 'audit.background: expected'],
    ['an unknown top key', 'modes: audit\n', 'modes: unknown key'],
    [
      'an unknown nested key',
      'sidecar:\n  imagePullPolicy: Always\n',
      'sidecar.imagePullPolicy: unknown key',
    ],
    [
      'an image reference the runtime refuses',
      'sidecar:\n  image: "Registry.Example/Proxy:1"\n',
      'sidecar.image: expected an image reference',
    ],
    [
      'a bad CIDR',
      'sidecar:\n  exclude:\n    outboundCIDRs: [10.0.0.0/33]\n',
      'sidecar.exclude.outboundCIDRs[0]: expected a CIDR',
    ],
    [
      'a CIDR without prefix',
      'sidecar:\n  exclude:\n    outboundCIDRs: [10.0.0.1]\n',
      'sidecar.exclude.outboundCIDRs[0]: expected a CIDR',
    ],
    ['a non-boolean', 'sidecar:\n  native: "yes"\n', 'sidecar.native: expected true or false, got "yes"'],
    [
      'a bad namespace',
      'exemptNamespaces: [Kube_System]\n',
      'exemptNamespaces[0]: expected a DNS-1123 label',
    ],
    [
      'a scalar where a list belongs',
      'exemptNamespaces: kube-system\n',
      'exemptNamespaces: expected a list, got "kube-system"',
    ],
    ['a scalar where a mapping belongs', 'sidecar: 3\n', 'sidecar: expected a mapping, got 3'],
    ['a top-level list', '- mode\n', '(top level): expected a mapping'],
    [
      'a bad protocol',
      'defaultDeny:\n  dns:\n    ports: [{ port: 53, protocol: SCTP }]\n',
      'defaultDeny.dns.ports[0].protocol: expected one of UDP | TCP, got "SCTP"',
    ],
    [
      'a port entry without port',
      'defaultDeny:\n  dns:\n    ports: [{ protocol: UDP }]\n',
      'defaultDeny.dns.ports[0].port: required',
    ],
    [
      'a root proxy',
      'sidecar:\n  runAsUser: 0\n',
      'sidecar.runAsUser: expected an integer 1-2147483647, got 0',
    ],
    [
      'a short token',
      'sidecar:\n  token:\n    expirationSeconds: 60\n',
      'sidecar.token.expirationSeconds: expected an integer 600-',
    ],
    [
      'a bad quantity',
      'sidecar:\n  resources:\n    limits: { cpu: lots }\n',
      'sidecar.resources.limits.cpu: expected a resource quantity',
    ],
    [
      'a bad label value',
      'defaultDeny:\n  dns:\n    podSelector: { app: "a b" }\n',
      'defaultDeny.dns.podSelector.app: expected a label value',
    ],
    [
      'a non-boolean trust bundle switch',
      'sidecar:\n  distributeTrustBundle: "no"\n',
      'sidecar.distributeTrustBundle: expected true or false, got "no"',
    ],
    [
      'a numeric trust bundle switch',
      'sidecar:\n  distributeTrustBundle: 1\n',
      'sidecar.distributeTrustBundle: expected true or false, got 1',
    ],
    [
      'a misspelt trust bundle switch',
      'sidecar:\n  distributeTrustBundles: true\n',
      'sidecar.distributeTrustBundles: unknown key',
    ],
    [
      'inbound capture on the outbound port',
      'sidecar:\n  ports:\n    inbound: 15001\n',
      'sidecar.ports.outbound: 15001 is also sidecar.ports.inbound: each proxy port needs its own number',
    ],
    [
      'outbound capture on the health port',
      'sidecar:\n  ports:\n    outbound: 15021\n',
      'sidecar.ports.health: 15021 is also sidecar.ports.outbound',
    ],
    [
      'admin and health on one port',
      'sidecar:\n  ports:\n    admin: 15021\n',
      'sidecar.ports.admin: 15021 is also sidecar.ports.health',
    ],
    [
      'an IPv4 catch-all exclusion',
      'sidecar:\n  exclude:\n    outboundCIDRs: [10.0.0.0/8, 0.0.0.0/0]\n',
      'sidecar.exclude.outboundCIDRs[1]: 0.0.0.0/0 excludes every destination from capture',
    ],
    [
      'an IPv6 catch-all exclusion',
      'sidecar:\n  exclude:\n    outboundCIDRs: ["::/0"]\n',
      'sidecar.exclude.outboundCIDRs[0]: ::/0 excludes every destination',
    ],
    [
      'the DNS allowance named like the default deny',
      'defaultDeny:\n  dns:\n    policyName: ztgate-default-deny\n',
      'defaultDeny.dns.policyName: ztgate-default-deny is also defaultDeny.policyName',
    ],
    [
      'the init container named like the proxy',
      'sidecar:\n  initContainerName: ztgate-proxy\n',
      'sidecar.initContainerName: ztgate-proxy is also sidecar.containerName',
    ],
    ...[
      ['a scheme', 'spiffe://cluster.local'],
      ['a path that forges an identity', 'evil/ns/kube-system/sa/admin#'],
      ['a port', 'cluster.local:443'],
      ['uppercase', 'Cluster.Local'],
      ['an empty label', 'cluster..local'],
      ['a trailing dot', 'cluster.local.'],
      ['a space', 'cluster local'],
      ['an empty string', ''],
      ['too long', 'a'.repeat(256)],
    ].map(([what, value]): [string, string, string] => [
      `a trust domain with ${what}`,
      `sidecar:\n  trustDomain: ${JSON.stringify(value)}\n`,
      'sidecar.trustDomain: expected a SPIFFE trust domain such as cluster.local',
    ]),
    ['a duplicate key', 'mode: audit\nmode: enforce\n', 'ztgate.yaml: invalid YAML'],
    ['broken YAML', 'sidecar: [\n', 'ztgate.yaml: invalid YAML'],
  ])('%s', (_name, text, expected) => {
    expect(errorOf(text)).toContain(expected);
  });

  it('reports every problem at once, one line each', () => {
    const lines = errorOf('mode: x\nsidecar:\n  ports:\n    admin: -1\nfoo: 1\n').split('\n');
    expect(lines.map((line) => line.split(': ')[1])).toEqual(['foo', 'mode', 'sidecar.ports.admin']);
  });

  it('carries the ZT_ERR_CONFIG code', () => {
    expect(() => parseConfig('mode: 1', 'x')).toThrow(expect.objectContaining({ code: 'ZT_ERR_CONFIG' }));
  });
});

describe('loadConfig', () => {
  it('returns the defaults without a file', async () => {
    expect(await loadConfig()).toBe(DEFAULT_CONFIG);
  });

  it('reads and validates a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-config-'));
    const file = join(dir, 'ztgate.yaml');
    await writeFile(file, 'mode: audit\n');
    expect((await loadConfig(file)).mode).toBe('audit');
    await writeFile(file, 'mode: off\n');
    await expect(loadConfig(file)).rejects.toThrow(
      `${file}: mode: expected one of enforce | audit, got "off"`,
    );
  });

  it('names a missing file', async () => {
    await expect(loadConfig('/nonexistent/ztgate.yaml')).rejects.toThrow(
      '/nonexistent/ztgate.yaml: cannot read',
    );
  });
});

describe('parseConfig: the mesh section', () => {
  const builtin = (images: string): string => `mesh:\n  provider: builtin\n${images}`;

  it("defaults to Istio with no proxy images of ztgate's own", () => {
    const config = parseConfig('', 'ztgate.yaml');
    expect(config.mesh).toEqual({
      provider: 'istio',
      revision: '',
      proxyImages: [],
      controlPlaneNamespace: '',
      createStrictPeerAuthentication: true,
      exceptions: [],
    });
    expect([config.sidecar.image, config.sidecar.initImage]).toEqual(['', '']);
  });

  it('loads builtin with both images set by the admin', () => {
    const config = parseConfig(
      builtin('sidecar:\n  image: registry.example/proxy:2\n  initImage: registry.example/init:2\n'),
      'ztgate.yaml',
    );
    expect([config.mesh.provider, config.sidecar.image, config.sidecar.initImage]).toEqual([
      'builtin',
      'registry.example/proxy:2',
      'registry.example/init:2',
    ]);
  });

  it('loads exceptions, a missing workload meaning every workload of the namespace', () => {
    const config = parseConfig(
      [
        'mesh:',
        '  proxyImages: [my.registry:5000/mirror/istio/proxyv2, "*/istio/proxyv2"]',
        '  exceptions:',
        '    - namespace: payments',
        '      annotations: { traffic.sidecar.istio.io/excludeOutboundIPRanges: "169.254.169.254/32" }',
        '    - namespace: mail',
        '      workload: relay',
        '      annotations: { traffic.sidecar.istio.io/excludeOutboundPorts: "25, 587" }',
        '',
      ].join('\n'),
      'ztgate.yaml',
    );
    expect(config.mesh.exceptions).toEqual([
      {
        namespace: 'payments',
        workload: '',
        annotations: { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '169.254.169.254/32' },
      },
      {
        namespace: 'mail',
        workload: 'relay',
        annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '25, 587' },
      },
    ]);
  });

  it.each([
    [
      'builtin without images',
      builtin(''),
      [
        'sidecar.image: required with mesh.provider: builtin',
        'sidecar.initImage: required with mesh.provider: builtin',
      ],
    ],
    [
      'builtin without the init image',
      builtin('sidecar:\n  image: registry.example/proxy:2\n'),
      ['sidecar.initImage: required'],
    ],
    [
      'a pattern with a wildcard image name',
      'mesh:\n  proxyImages: ["*/*"]\n',
      ['mesh.proxyImages[0]: expected <registry>/<repository>'],
    ],
    ['a pattern without registry', 'mesh:\n  proxyImages: [proxyv2]\n', ['mesh.proxyImages[0]: expected']],
    [
      'a pattern with a tag',
      'mesh:\n  proxyImages: [docker.io/istio/proxyv2:1.24]\n',
      ['mesh.proxyImages[0]: expected'],
    ],
    [
      'a revision under Linkerd',
      'mesh:\n  provider: linkerd\n  revision: canary\n',
      ['mesh.revision: only mesh.provider istio'],
    ],
    [
      'an opt-out as exception',
      'mesh:\n  exceptions: [{ namespace: a, annotations: { sidecar.istio.io/inject: "false" } }]\n',
      [
        'mesh.exceptions[0].annotations.sidecar.istio.io/inject: not a capture exclusion mesh.provider istio reads',
      ],
    ],
    [
      "another mesh's key",
      'mesh:\n  exceptions: [{ namespace: a, annotations: { config.linkerd.io/skip-outbound-ports: "25" } }]\n',
      ['not a capture exclusion mesh.provider istio reads'],
    ],
    [
      'a catch-all range',
      'mesh:\n  exceptions: [{ namespace: a, annotations: { traffic.sidecar.istio.io/excludeOutboundIPRanges: "10.0.0.0/8,0.0.0.0/0" } }]\n',
      ['0.0.0.0/0 excludes every destination from capture'],
    ],
    [
      'a malformed port list',
      'mesh:\n  provider: linkerd\n  exceptions: [{ namespace: a, annotations: { config.linkerd.io/skip-outbound-ports: "25-30" } }]\n',
      ['expected ports such as 25,587'],
    ],
    [
      'an exception without annotations',
      'mesh:\n  exceptions: [{ namespace: a, annotations: {} }]\n',
      ['lists no annotation'],
    ],
    [
      'an exception without namespace',
      'mesh:\n  exceptions: [{ annotations: {} }]\n',
      ['mesh.exceptions[0].namespace: required'],
    ],
    [
      'builtin exceptions (it has sidecar.exclude)',
      'mesh:\n  provider: builtin\n  exceptions: [{ namespace: a, annotations: { x: "1" } }]\nsidecar: { image: r.example/p:1, initImage: r.example/i:1 }\n',
      ['exceptions may name: none'],
    ],
  ])('refuses %s, naming the keys', (_name, text, expected) => {
    let message = '';
    try {
      parseConfig(text, 'ztgate.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    for (const part of expected) expect(message).toContain(part);
  });
});
