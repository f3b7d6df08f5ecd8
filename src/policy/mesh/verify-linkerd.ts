/**
 * Proof that a Linkerd pod carries Linkerd's own proxy and redirect. Facts: charts/partials
 * templates `_proxy.tpl`, `_proxy-init.tpl` and `_network-validator.tpl`, and the chart's default
 * values (proxy uid 2102, ports 4143/4140/4190/4191, proxyInit ignoring 4567,4568 both ways).
 */
import { asRecord } from '../sidecar/read.js';
import { listItems } from './exceptions.js';
import { LINKERD_EXCLUDED_INBOUND_PORTS, LINKERD_PROXY_UID, LINKERD_STRICT_POLICIES } from './linkerd.js';
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
import type { VerifyInput } from './verify-input.js';

const PROXY = 'linkerd-proxy';
const INIT = 'linkerd-init';
const VALIDATOR = 'linkerd-network-validator';
const MESH_NAMES = [PROXY, INIT, VALIDATOR];

/** Ports the chart's proxyInit ignores by default in both directions (Galera replication). */
const CHART_IGNORED_PORTS = ['4567', '4568'];

const INIT_COMMAND = '/usr/lib/linkerd/linkerd2-proxy-init';
const VALIDATOR_COMMAND = '/usr/lib/linkerd/linkerd2-network-validator';

/** Firewall binaries proxy-init may call: another path could be a binary that installs nothing. */
const FIREWALL_BINARIES = [
  'iptables',
  'iptables-save',
  'iptables-nft',
  'iptables-nft-save',
  'iptables-legacy',
  'iptables-legacy-save',
];

const INIT_FLAGS = {
  values: [
    '--incoming-proxy-port',
    '--outgoing-proxy-port',
    '--proxy-uid',
    '--proxy-gid',
    '--inbound-ports-to-ignore',
    '--outbound-ports-to-ignore',
    '--subnets-to-ignore',
    '--firewall-bin-path',
    '--firewall-save-bin-path',
    '--timeout-close-wait-secs',
    '--log-format',
    '--log-level',
    '--ipv6',
  ],
  booleans: [],
  equals: true,
};

const VALIDATOR_FLAGS = {
  values: ['--log-format', '--log-level', '--connect-addr', '--listen-addr', '--timeout'],
  booleans: [],
  equals: true,
};

/** The command must be Linkerd's (or, for the older proxy-init image, its entrypoint). */
function commandFindings(found: LocatedContainer, allowed: readonly string[] | undefined): PodFinding[] {
  const command = found.container['command'];
  if (isUnset(command)) return [];
  const list: readonly unknown[] = Array.isArray(command) ? command : [command];
  return allowed !== undefined && list.length === 1 && allowed.includes(String(list[0]))
    ? []
    : [findingAt(found, 'command', `runs ${JSON.stringify(command)} instead of Linkerd's binary`)];
}

function verifyProxy(found: LocatedContainer, input: VerifyInput): PodFinding[] {
  const findings: PodFinding[] = [];
  if (found.list === 'initContainers' && found.container['restartPolicy'] !== 'Always')
    findings.push(
      findingAt(
        found,
        'restartPolicy',
        'is an init container without restartPolicy: Always, so it exits before the app starts',
      ),
    );
  findings.push(...imageFindings(found, input.proxyImages), ...commandFindings(found, undefined));
  if (!isUnset(found.container['args']))
    findings.push(findingAt(found, 'args', 'has arguments (Linkerd passes none)'));
  const runAsUser = asRecord(found.container['securityContext'])?.['runAsUser'];
  if (runAsUser !== LINKERD_PROXY_UID)
    findings.push(
      findingAt(
        found,
        'securityContext.runAsUser',
        `runs as ${JSON.stringify(runAsUser)}, not ${LINKERD_PROXY_UID}`,
      ),
    );
  findings.push(...privilegeFindings(found, []));
  if (!isUnset(found.container['envFrom']))
    findings.push(findingAt(found, 'envFrom', 'loads environment variables (envFrom)'));
  const env = envOf(found.container);
  const policy = env.get('LINKERD2_PROXY_INBOUND_DEFAULT_POLICY');
  if (!LINKERD_STRICT_POLICIES.includes(policy ?? ''))
    findings.push(
      findingAt(
        found,
        'env',
        `has default inbound policy ${JSON.stringify(policy)}, which admits callers without a mesh identity`,
      ),
    );
  if (env.has('LINKERD2_PROXY_IDENTITY_DISABLED'))
    findings.push(findingAt(found, 'env', 'disables the proxy identity'));
  return findings;
}

function initArgProblems(found: LocatedContainer, input: VerifyInput): string[] {
  const args = found.container['args'];
  const { flags, errors } = parseFlags(Array.isArray(args) ? args : [], INIT_FLAGS);
  const problems = [...errors];
  const approved = (key: string): ReadonlySet<string> =>
    input.approved.get(`config.linkerd.io/${key}`) ?? new Set();
  const within = (flag: string, own: readonly string[], allowed: ReadonlySet<string>): void => {
    const value = flags.get(flag);
    if (
      typeof value === 'string' &&
      !listItems(value).every((item) => own.includes(item) || allowed.has(item))
    )
      problems.push(`${flag} ${JSON.stringify(value)}`);
  };
  const exact: Readonly<Record<string, string>> = {
    '--incoming-proxy-port': '4143',
    '--outgoing-proxy-port': '4140',
    '--proxy-uid': String(LINKERD_PROXY_UID),
  };
  for (const [flag, wanted] of Object.entries(exact)) {
    if (flags.get(flag) !== wanted)
      problems.push(`${flag} ${JSON.stringify(flags.get(flag))} (Linkerd passes ${wanted})`);
  }
  const gid = flags.get('--proxy-gid');
  if (gid !== undefined && gid !== String(LINKERD_PROXY_UID))
    problems.push(`--proxy-gid ${JSON.stringify(gid)}`);
  within(
    '--inbound-ports-to-ignore',
    [...LINKERD_EXCLUDED_INBOUND_PORTS.map(String), ...CHART_IGNORED_PORTS],
    approved('skip-inbound-ports'),
  );
  within('--outbound-ports-to-ignore', CHART_IGNORED_PORTS, approved('skip-outbound-ports'));
  within('--subnets-to-ignore', [], approved('skip-subnets'));
  for (const flag of ['--firewall-bin-path', '--firewall-save-bin-path']) {
    const value = flags.get(flag);
    if (value !== undefined && !FIREWALL_BINARIES.includes(String(value)))
      problems.push(`${flag} ${JSON.stringify(value)}`);
  }
  return problems;
}

function validatorArgProblems(found: LocatedContainer): string[] {
  const args = found.container['args'];
  const { flags, errors } = parseFlags(Array.isArray(args) ? args : [], VALIDATOR_FLAGS);
  const problems = [...errors];
  // The validator listens on the outbound proxy port and dials an outside address: it succeeds
  // only when the redirect brings that connection back to it. A loopback target would always succeed.
  if (!['0.0.0.0:4140', '[::]:4140'].includes(String(flags.get('--listen-addr'))))
    problems.push(`--listen-addr ${JSON.stringify(flags.get('--listen-addr'))}`);
  if (!['1.1.1.1:20001', '[fd00::1]:20001'].includes(String(flags.get('--connect-addr'))))
    problems.push(`--connect-addr ${JSON.stringify(flags.get('--connect-addr'))}`);
  return problems;
}

function verifyRedirect(found: LocatedContainer, input: VerifyInput): PodFinding[] {
  if (found.list !== 'initContainers')
    return [findingAt(found, 'name', 'is an app container: the redirect must be an init container')];
  const validator = found.container['name'] === VALIDATOR;
  const findings = [
    ...imageFindings(found, input.proxyImages),
    ...commandFindings(found, validator ? [VALIDATOR_COMMAND] : [INIT_COMMAND]),
    ...privilegeFindings(found, validator ? [] : ['NET_ADMIN', 'NET_RAW']),
  ];
  if (!isUnset(found.container['envFrom']))
    findings.push(findingAt(found, 'envFrom', 'loads environment variables (envFrom)'));
  const problems = validator ? validatorArgProblems(found) : initArgProblems(found, input);
  if (problems.length > 0)
    findings.push(
      findingAt(found, 'args', `does not install Linkerd's full redirect: ${problems.join('; ')}`),
    );
  if (!validator && !runsFirst(input.spec, found.index, MESH_NAMES))
    findings.push(
      findingAt(found, 'name', 'runs after other init containers, whose traffic would skip the proxy'),
    );
  return findings;
}

/**
 * Every finding on a Linkerd pod's mesh containers. Linkerd's injector treats a pod that already
 * has a proxy container (its own or Istio's) as injected and leaves it as it is, so before
 * injection a declared one is judged as final; a pod declaring none gets Linkerd's.
 */
export function verifyLinkerdPod(input: VerifyInput): PodFinding[] {
  const findings: PodFinding[] = [];
  const proxies = locate(input.spec, [PROXY]);
  const redirects = locate(input.spec, [INIT, VALIDATOR]);
  const foreign = locate(input.spec, ['istio-proxy']);
  for (const found of foreign)
    findings.push(
      findingAt(
        found,
        'name',
        "is Istio's proxy name, which makes Linkerd's injector treat the pod as injected",
      ),
    );
  const declared = proxies.length > 0 || redirects.length > 0;
  if (input.pending && !declared) return findings;
  if (proxies.length === 0)
    findings.push({
      path: 'spec.containers',
      message: `lacks Linkerd's proxy container "${PROXY}"`,
      missing: true,
    });
  if (redirects.length === 0)
    findings.push({
      path: 'spec.initContainers',
      message: `lacks Linkerd's redirect init container ("${INIT}", or "${VALIDATOR}" with the CNI plugin)`,
      missing: true,
    });
  for (const found of proxies) findings.push(...verifyProxy(found, input));
  for (const found of redirects) findings.push(...verifyRedirect(found, input));
  return findings;
}
