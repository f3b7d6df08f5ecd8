/**
 * Proof that an Istio sidecar pod carries Istio's own proxy and redirect. Istio merges a
 * container the pod declares under one of its names over its template (user fields win), and
 * even moves the redirect's exempt uid to a user-set proxy uid, so a name proves nothing: the
 * image, command, arguments, privileges and the environment that steers the proxy and
 * istio-iptables are what decide. Facts: injection-template.yaml and tools/istio-iptables.
 */
import { asRecord, type JsonRecord } from '../sidecar/read.js';
import { listItems } from './exceptions.js';
import {
  ISTIO_CAPTURE_PORTS,
  ISTIO_EXCLUDED_INBOUND_PORTS,
  ISTIO_PROXY_UID,
  ISTIOD_XDS_PORT,
} from './istio.js';
import {
  envOf,
  findingAt,
  imageFindings,
  isUnset,
  locate,
  parseFlags,
  privilegeFindings,
  runsFirst,
  type LocatedContainer,
  type PodFinding,
} from './pod-containers.js';
import { parsePortList } from './values.js';
import type { VerifyInput } from './verify-input.js';

const PROXY = 'istio-proxy';
const INIT = 'istio-init';
const VALIDATION = 'istio-validation';
const MESH_NAMES = [PROXY, INIT, VALIDATION];

/** pilot-agent flags the template passes after `proxy sidecar`. */
const AGENT_FLAGS = {
  values: [
    '--domain',
    '--serviceCluster',
    '--proxyLogLevel',
    '--proxyComponentLogLevel',
    '--log_output_level',
    '--stsPort',
    '--outlierLogPath',
  ],
  booleans: ['--log_as_json'],
  equals: true,
};

/** istio-iptables flags in the template's spelling (short flags with a separate value). */
const IPTABLES_FLAGS = {
  values: [
    '-p',
    '-z',
    '-u',
    '-g',
    '-m',
    '-i',
    '-x',
    '-b',
    '-d',
    '-q',
    '-o',
    '-k',
    '-c',
    '--log_output_level',
  ],
  booleans: ['--log_as_json', '--run-validation', '--skip-rule-apply', '--force-apply', '--native-nftables'],
  equals: true,
};

/**
 * istio-iptables reads each setting from an env variable too (pkg/flag BindEnv) when the flag is
 * not given: these would switch the redirect off, narrow it, or move it elsewhere.
 */
const IPTABLES_ENV = [
  'DRY_RUN',
  'SKIP_RULE_APPLY',
  'CLEANUP_ONLY',
  'RUN_VALIDATION',
  'NETWORK_NAMESPACE',
  'CNI_MODE',
  'FORCE_IPTABLES_BINARY',
  'PROXY_UID',
  'PROXY_GID',
  'INBOUND_CAPTURE_PORT',
  'INBOUND_TUNNEL_PORT',
  'ISTIO_INBOUND_INTERCEPTION_MODE',
  'ISTIO_INBOUND_TPROXY_MARK',
  'ISTIO_INBOUND_TPROXY_ROUTE_TABLE',
  'ISTIO_INBOUND_PORTS',
  'ISTIO_LOCAL_EXCLUDE_PORTS',
  'ISTIO_EXCLUDE_INTERFACES',
  'ISTIO_SERVICE_CIDR',
  'ISTIO_SERVICE_EXCLUDE_CIDR',
  'ISTIO_OUTBOUND_PORTS',
  'ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE',
  'KUBE_VIRT_INTERFACES',
];

/** Where Istio's template mounts volumes into the proxy (plus the API token the SA admission adds). */
const PROXY_MOUNT_PATHS = [
  '/var/run/secrets/workload-spiffe-uds',
  '/var/run/secrets/credential-uds',
  '/var/run/secrets/workload-spiffe-credentials',
  '/var/run/secrets/istio',
  '/var/run/secrets/istio/crl',
  '/var/lib/istio/data',
  '/etc/istio/proxy',
  '/var/run/secrets/tokens',
  '/etc/istio/pod',
  '/var/run/secrets/kubernetes.io/serviceaccount',
];

/** A mesh container runs its image's entrypoint: a `command` replaces pilot-agent or istio-iptables. */
function commandFindings(found: LocatedContainer): PodFinding[] {
  return isUnset(found.container['command'])
    ? []
    : [findingAt(found, 'command', 'replaces the image entrypoint (command)')];
}

/** Env and envFrom must not steer istio-iptables; envFrom could hide any of it. */
function envFindings(found: LocatedContainer, forbidden: readonly string[]): PodFinding[] {
  const findings: PodFinding[] = [];
  if (!isUnset(found.container['envFrom']))
    findings.push(findingAt(found, 'envFrom', 'loads environment variables (envFrom)'));
  const env = envOf(found.container);
  const set = forbidden.filter((name) => env.has(name));
  if (set.length > 0)
    findings.push(findingAt(found, 'env', `sets ${set.join(', ')}, which steer the redirect`));
  return findings;
}

function discoveryAddressAllowed(address: unknown, input: VerifyInput): boolean {
  if (typeof address !== 'string') return false;
  const namespace = input.controlPlaneNamespace;
  const pattern = new RegExp(
    `^istiod(-[a-z0-9-]+)?\\.${namespace}\\.svc(\\.[a-z0-9.-]+)?:${ISTIOD_XDS_PORT}$`,
  );
  return pattern.test(address);
}

/** PROXY_CONFIG is the proxy's configuration: no other interception, bootstrap or control plane. */
function proxyConfigFindings(found: LocatedContainer, input: VerifyInput): PodFinding[] {
  const env = envOf(found.container);
  if (!env.has('PROXY_CONFIG')) return [];
  const text = env.get('PROXY_CONFIG');
  let parsed: JsonRecord | undefined;
  try {
    parsed = text === undefined ? undefined : asRecord(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined)
    return [findingAt(found, 'env', 'sets PROXY_CONFIG to something other than a JSON object')];
  const problems: string[] = [];
  const mode = parsed['interceptionMode'];
  if (mode !== undefined && mode !== 'REDIRECT') problems.push(`interceptionMode ${JSON.stringify(mode)}`);
  for (const key of ['proxyBootstrapTemplatePath', 'customConfigFile']) {
    if (!isUnset(parsed[key]) && parsed[key] !== '') problems.push(key);
  }
  if (parsed['discoveryAddress'] !== undefined && !discoveryAddressAllowed(parsed['discoveryAddress'], input))
    problems.push(
      `discoveryAddress ${JSON.stringify(parsed['discoveryAddress'])} (not istiod in ${input.controlPlaneNamespace})`,
    );
  return problems.length === 0
    ? []
    : [findingAt(found, 'env', `sets PROXY_CONFIG with ${problems.join(', ')}`)];
}

function proxyArgFindings(found: LocatedContainer, input: VerifyInput): PodFinding[] {
  const args = found.container['args'];
  if (input.pending && args === undefined) return [];
  const list: readonly unknown[] = Array.isArray(args) ? args : [];
  if (list[0] !== 'proxy' || list[1] !== 'sidecar')
    return [findingAt(found, 'args', 'does not run `pilot-agent proxy sidecar`')];
  const parsed = parseFlags(list.slice(2), AGENT_FLAGS);
  return parsed.errors.length === 0
    ? []
    : [findingAt(found, 'args', `has arguments Istio does not pass (${parsed.errors.join('; ')})`)];
}

function verifyProxy(found: LocatedContainer, input: VerifyInput, images: readonly string[]): PodFinding[] {
  const findings: PodFinding[] = [];
  const restartPolicy = found.container['restartPolicy'];
  if (found.list === 'initContainers' && restartPolicy !== 'Always')
    findings.push(
      findingAt(
        found,
        'restartPolicy',
        'is an init container without restartPolicy: Always, so it exits before the app starts',
      ),
    );
  findings.push(
    ...imageFindings(found, images, input.pending ? [undefined, 'auto'] : []),
    ...commandFindings(found),
    ...proxyArgFindings(found, input),
  );
  const runAsUser = asRecord(found.container['securityContext'])?.['runAsUser'];
  if (!(input.pending && runAsUser === undefined) && runAsUser !== ISTIO_PROXY_UID)
    findings.push(
      findingAt(
        found,
        'securityContext.runAsUser',
        `runs as ${JSON.stringify(runAsUser)}, not ${ISTIO_PROXY_UID} (Istio then exempts that uid from the redirect instead)`,
      ),
    );
  findings.push(...privilegeFindings(found, []), ...envFindings(found, ['ISTIO_BOOTSTRAP_OVERRIDE']));
  findings.push(...proxyConfigFindings(found, input));
  const mounts = found.container['volumeMounts'];
  for (const item of Array.isArray(mounts) ? mounts : []) {
    const path = asRecord(item)?.['mountPath'];
    if (typeof path !== 'string' || !PROXY_MOUNT_PATHS.includes(path))
      findings.push(
        findingAt(
          found,
          'volumeMounts',
          `mounts a volume at ${JSON.stringify(path)}, where Istio mounts none`,
        ),
      );
  }
  return findings;
}

/** Why an istio-iptables flag's value is not Istio's own (or an approved exclusion); undefined when fine. */
function iptablesValueProblem(
  flag: string,
  value: string | true | undefined,
  input: VerifyInput,
): string | undefined {
  const approved = (key: string): ReadonlySet<string> =>
    input.approved.get(`traffic.sidecar.istio.io/${key}`) ?? new Set();
  const within = (allowed: ReadonlySet<string>, own: readonly string[] = []) =>
    typeof value !== 'string' || listItems(value).every((item) => own.includes(item) || allowed.has(item));
  const exact: Readonly<Record<string, string>> = {
    '-p': String(ISTIO_CAPTURE_PORTS.outbound),
    '-z': String(ISTIO_CAPTURE_PORTS.inbound),
    '-u': String(ISTIO_PROXY_UID),
    '-m': 'REDIRECT',
    '-i': '*',
    '-b': '*',
  };
  if (flag in exact)
    return value === exact[flag]
      ? undefined
      : `${flag} ${JSON.stringify(value)} (Istio passes ${exact[flag]})`;
  switch (flag) {
    case '-g':
      return value === undefined || value === String(ISTIO_PROXY_UID)
        ? undefined
        : `-g ${JSON.stringify(value)}`;
    case '-d':
      return within(approved('excludeInboundPorts'), ISTIO_EXCLUDED_INBOUND_PORTS.map(String))
        ? undefined
        : `-d ${JSON.stringify(value)} excludes inbound ports beyond Istio's own`;
    case '-x':
      return within(approved('excludeOutboundIPRanges'))
        ? undefined
        : `-x ${JSON.stringify(value)} excludes destinations`;
    case '-o':
      return within(approved('excludeOutboundPorts'))
        ? undefined
        : `-o ${JSON.stringify(value)} excludes outbound ports`;
    case '-c':
      return within(approved('excludeInterfaces'))
        ? undefined
        : `-c ${JSON.stringify(value)} excludes interfaces`;
    case '-q':
      return typeof value === 'string' && parsePortList(value) === undefined
        ? `-q ${JSON.stringify(value)} is no port list`
        : undefined;
    default:
      return undefined;
  }
}

function iptablesArgFindings(found: LocatedContainer, input: VerifyInput): PodFinding[] {
  const args = found.container['args'];
  if (input.pending && args === undefined) return [];
  const list: readonly unknown[] = Array.isArray(args) ? args : [];
  if (list[0] !== 'istio-iptables') return [findingAt(found, 'args', 'does not run istio-iptables')];
  const { flags, errors } = parseFlags(list.slice(1), IPTABLES_FLAGS);
  const problems = [...errors];
  for (const flag of ['-p', '-z', '-u', '-m', '-i', '-b', '-d']) {
    if (!flags.has(flag)) problems.push(`${flag} missing`);
  }
  for (const flag of IPTABLES_FLAGS.values) {
    if (!flags.has(flag) && flag !== '-g') continue;
    const problem = iptablesValueProblem(flag, flags.get(flag), input);
    if (problem !== undefined) problems.push(problem);
  }
  // The CNI plugin installs the redirect and istio-validation only checks it (failing the pod when
  // it is missing); istio-init with --skip-rule-apply would install nothing.
  const validation = found.container['name'] === VALIDATION;
  for (const flag of ['--run-validation', '--skip-rule-apply']) {
    if (flags.has(flag) !== validation)
      problems.push(validation ? `${flag} missing` : `${flag} (installs no redirect)`);
  }
  return problems.length === 0
    ? []
    : [findingAt(found, 'args', `does not install Istio's full redirect: ${problems.join('; ')}`)];
}

function verifyRedirect(
  found: LocatedContainer,
  input: VerifyInput,
  images: readonly string[],
): PodFinding[] {
  if (found.list !== 'initContainers')
    return [findingAt(found, 'name', 'is an app container: the redirect must be an init container')];
  const validation = found.container['name'] === VALIDATION;
  const findings = [
    ...imageFindings(found, images, input.pending ? [undefined, 'auto'] : []),
    ...commandFindings(found),
    ...iptablesArgFindings(found, input),
    ...envFindings(found, IPTABLES_ENV),
    ...privilegeFindings(found, validation ? [] : ['NET_ADMIN', 'NET_RAW']),
  ];
  // Init containers before the redirect would run with the network uncaptured.
  if (!validation && !runsFirst(input.spec, found.index, MESH_NAMES))
    findings.push(
      findingAt(found, 'name', 'runs after other init containers, whose traffic would skip the proxy'),
    );
  return findings;
}

/** Every finding on an Istio sidecar pod's mesh containers (missing ones only after injection). */
export function verifyIstioPod(input: VerifyInput): PodFinding[] {
  const images = input.proxyImages;
  const findings: PodFinding[] = [];
  const proxies = locate(input.spec, [PROXY]);
  const redirects = locate(input.spec, [INIT, VALIDATION]);
  if (proxies.length === 0 && !input.pending)
    findings.push({
      path: 'spec.containers',
      message: `lacks Istio's proxy container "${PROXY}"`,
      missing: true,
    });
  if (redirects.length === 0 && !input.pending)
    findings.push({
      path: 'spec.initContainers',
      message: `lacks Istio's redirect init container ("${INIT}", or "${VALIDATION}" with the CNI plugin)`,
      missing: true,
    });
  for (const found of proxies) findings.push(...verifyProxy(found, input, images));
  for (const found of redirects) findings.push(...verifyRedirect(found, input, images));
  return findings;
}
