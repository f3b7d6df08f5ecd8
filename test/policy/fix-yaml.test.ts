/**
 * Issue 15 §2: every fix of every rule is YAML that pastes. The rules are enumerated from the
 * registry (RULES) and the rule names (RULE_NAMES), so a rule added without a case here fails
 * this test: each case is an input the rule refuses, and each of its fixes must parse as kubectl
 * reads YAML, hold only comments and mappings, and name a complete manifest wherever it names one.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBECTL_YAML } from '../../src/adapters/state-dir/go-yaml.js';
import { createClusterView } from '../../src/policy/cluster-view.js';
import { DEFAULT_CONFIG, deepFreeze, type ZtgateConfig } from '../../src/policy/config.js';
import { evaluate } from '../../src/policy/engine.js';
import { findPlaceholders, FIX_PLACEHOLDERS } from '../../src/policy/fix/index.js';
import { RULES, type Rule } from '../../src/policy/rules/index.js';
import { RULE_NAMES, type EvaluationInput, type KubeObject, type Violation } from '../../src/policy/types.js';

type Json = Record<string, unknown>;

const app = { name: 'app', image: 'registry.example/app:1', ports: [{ containerPort: 8080 }] };
const pod = (spec: Json, metadata: Json = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'w', namespace: 'shop', labels: { app: 'w' }, ...metadata },
  spec: { serviceAccountName: 'w', containers: [app], ...spec },
});
const withContainer = (extra: Json): KubeObject => pod({ containers: [{ ...app, ...extra }] });
const deployment = (spec: Json = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [app], ...spec } },
  },
});
const netpol = (name: string, spec: Json): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'shop' },
  spec,
});
const DENY = netpol('ztgate-default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const ALLOW_ALL = netpol('open', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] });

interface Case {
  readonly input: EvaluationInput;
  /** What the cluster holds besides namespace shop. */
  readonly state?: readonly KubeObject[];
  readonly config?: ZtgateConfig;
}

const create = (object: KubeObject, state?: readonly KubeObject[], config?: ZtgateConfig): Case => ({
  input: { operation: 'CREATE', object, namespace: 'shop' },
  ...(state === undefined ? {} : { state }),
  ...(config === undefined ? {} : { config }),
});
const builtin: ZtgateConfig = deepFreeze({
  ...structuredClone(DEFAULT_CONFIG),
  mesh: { ...DEFAULT_CONFIG.mesh, provider: 'builtin' as const },
});
const linkerd: ZtgateConfig = deepFreeze({
  ...structuredClone(DEFAULT_CONFIG),
  mesh: { ...DEFAULT_CONFIG.mesh, provider: 'linkerd' as const },
});
const templated = (metadata: Json): KubeObject => {
  const object = deployment({ serviceAccountName: 'web' }) as { spec: { template: { metadata: Json } } };
  object.spec.template.metadata = { labels: { app: 'web' }, ...metadata };
  return object as unknown as KubeObject;
};
const namespaceObject = (metadata: Json): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'shop', ...metadata },
});
const update = (oldObject: KubeObject, object: KubeObject, config?: ZtgateConfig): Case => ({
  input: { operation: 'UPDATE', oldObject, object, namespace: 'shop' },
  ...(config === undefined ? {} : { config }),
});
const istio = (kind: string, spec: Json): KubeObject => ({
  apiVersion: kind === 'DestinationRule' ? 'networking.istio.io/v1' : 'security.istio.io/v1',
  kind,
  metadata: { name: 'weak', namespace: 'shop' },
  spec,
});
const noCreate = deepFreeze({
  ...structuredClone(DEFAULT_CONFIG),
  defaultDeny: { ...DEFAULT_CONFIG.defaultDeny, create: false },
});

/** One refused input per rule of the registry, keyed `<name>/<appliesTo>`. */
const CASES: Readonly<Record<string, readonly Case[]>> = {
  'dedicated-service-account/workload': [
    create(deployment()),
    create(pod({ serviceAccountName: 'default' })),
  ],
  'allow-list-policy/workload': [create(deployment({ serviceAccountName: 'web' }), [DENY])],
  'no-allow-all-policy/workload': [create(deployment({ serviceAccountName: 'web' }), [DENY, ALLOW_ALL])],
  'namespace-default-deny/workload': [create(deployment()), create(deployment(), [], noCreate)],
  'no-host-network/workload': [create(pod({ hostNetwork: true }))],
  'no-host-process/workload': [create(pod({ securityContext: { windowsOptions: { hostProcess: true } } }))],
  'no-host-namespaces/workload': [create(pod({ hostPID: true }))],
  'no-extra-capabilities/workload': [
    create(withContainer({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } })),
  ],
  'no-host-path/workload': [
    create(pod({ volumes: [{ name: 'sock', hostPath: { path: '/run/containerd/containerd.sock' } }] })),
  ],
  'no-host-ports/workload': [create(withContainer({ ports: [{ containerPort: 8080, hostPort: 8080 }] }))],
  'no-host-probes/workload': [
    create(withContainer({ livenessProbe: { httpGet: { host: '10.0.0.1', port: 8080, path: '/' } } })),
  ],
  'no-unconfined-apparmor/workload': [
    create(pod({ securityContext: { appArmorProfile: { type: 'Unconfined' } } })),
  ],
  'no-custom-selinux/workload': [
    create(withContainer({ securityContext: { seLinuxOptions: { type: 'spc_t' } } })),
  ],
  'no-unmasked-proc/workload': [create(withContainer({ securityContext: { procMount: 'Unmasked' } }))],
  'no-unconfined-seccomp/workload': [
    create(pod({ securityContext: { seccompProfile: { type: 'Unconfined' } } })),
  ],
  'no-unsafe-sysctls/workload': [
    create(pod({ securityContext: { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] } })),
  ],
  'no-proxy-identity/workload': [create(withContainer({ securityContext: { runAsUser: 1337 } }))],
  'no-proxy-process-access/workload': [
    create(
      pod({
        ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'istio-proxy' }],
      }),
    ),
  ],
  'no-proxy-ports/workload': [create(withContainer({ ports: [{ containerPort: 15021 }] }))],
  'no-net-admin/workload': [
    create(withContainer({ securityContext: { capabilities: { add: ['NET_ADMIN'] } } })),
  ],
  'mtls-sidecar/workload': [
    create(pod({}), [], builtin),
    create(pod({ containers: [app, { name: 'istio-proxy', image: 'docker.io/attacker/proxyv2:1' }] })),
    create(pod({ containers: [app, { name: 'istio-proxy', image: 'not a reference' }] })),
  ],
  'mesh-enrolment/workload': [create(deployment()), create(deployment(), [], linkerd)],
  'mesh-opt-out/workload': [
    create(templated({ labels: { app: 'web', 'sidecar.istio.io/inject': 'false' } })),
    create(templated({ annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' } })),
    create(templated({ annotations: { 'sidecar.istio.io/proxyImage': 'my.mirror/istio/proxyv2:1' } })),
    create(templated({ annotations: { 'config.linkerd.io/skip-outbound-ports': '5432' } }), [], linkerd),
  ],
  'strict-mtls/workload': [create(deployment()), create(deployment(), [], linkerd)],
  'mesh-enrolment/namespace': [
    update(namespaceObject({ labels: { 'istio-injection': 'enabled' } }), namespaceObject({})),
  ],
  'mesh-opt-out/namespace': [
    update(
      namespaceObject({ annotations: { 'linkerd.io/inject': 'enabled' } }),
      namespaceObject({
        annotations: { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/skip-outbound-ports': '5432' },
      }),
      linkerd,
    ),
  ],
  'strict-mtls/namespace': [
    update(
      namespaceObject({ annotations: { 'config.linkerd.io/default-inbound-policy': 'all-authenticated' } }),
      namespaceObject({}),
      linkerd,
    ),
  ],
  'strict-mtls/mesh-policy': [
    create(istio('PeerAuthentication', { mtls: { mode: 'PERMISSIVE' } })),
    create(istio('DestinationRule', { host: 'web', trafficPolicy: { tls: { mode: 'DISABLE' } } })),
  ],
  'no-allow-all-policy/policy': [create(ALLOW_ALL)],
  'default-deny-protected/policy': [
    { input: { operation: 'DELETE', oldObject: DENY, object: undefined, namespace: 'shop' } },
    {
      input: {
        operation: 'UPDATE',
        oldObject: DENY,
        object: netpol('ztgate-default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
        namespace: 'shop',
      },
    },
  ],
  'protected-namespace-labels/namespace': [
    create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'lab', labels: { 'ztgate.dev/mode': 'audit' } },
    }),
  ],
  // Not a registry entry: the engine reports what it cannot read.
  'invalid-object/engine': [
    create(pod({ hostNetwork: 'true' })),
    create({ ...deployment(), metadata: { name: 12345 as unknown as string, namespace: 'shop' } }),
    create(netpol('bad', { podSelector: { matchLabels: { app: 7 } } })),
  ],
};

const SHOP: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };

function violationsOf(rule: Rule | undefined, name: string, testCase: Case): Violation[] {
  const view = createClusterView([SHOP, ...(testCase.state ?? [])], {
    istioRootNamespace: 'istio-system',
    serviceAccountsComplete: true,
  });
  const config = testCase.config ?? DEFAULT_CONFIG;
  const decision = evaluate(testCase.input, view, config, rule === undefined ? [] : [rule]);
  return decision.violations.filter((violation) => violation.rule === name);
}

const isRecord = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every problem with one fix text; empty when it pastes. */
function problemsOf(fix: string): string[] {
  const problems: string[] = [];
  if (fix.trim() === '') return ['empty fix'];
  // Prose with a colon parses as a mapping: only a comment line says it is prose.
  if (!fix.trimStart().startsWith('#'))
    problems.push('the fix does not open with a comment saying what to do');
  for (const document of parseAllDocuments(fix, KUBECTL_YAML)) {
    for (const error of document.errors) problems.push(`YAML error: ${error.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    // A fragment to paste into a policy may be a list of rules.
    if (Array.isArray(value) && value.every(isRecord)) continue;
    if (!isRecord(value)) {
      problems.push(`a document is ${JSON.stringify(value)}, not a mapping (prose must be a comment)`);
      continue;
    }
    if (value['apiVersion'] === undefined && value['kind'] === undefined) continue; // a fragment to paste
    const metadata = value['metadata'];
    if (typeof value['apiVersion'] !== 'string' || typeof value['kind'] !== 'string' || !isRecord(metadata))
      problems.push('a manifest without apiVersion, kind or metadata');
    else if (
      typeof metadata['name'] !== 'string' ||
      !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(metadata['name'])
    )
      problems.push(`a manifest named ${JSON.stringify(metadata['name'])}, not a DNS name`);
    for (const { placeholder } of findPlaceholders(value)) {
      if (!(placeholder in FIX_PLACEHOLDERS))
        problems.push(`placeholder ${placeholder} is not in FIX_PLACEHOLDERS`);
    }
  }
  return problems;
}

describe('every fix of every rule is YAML that pastes', () => {
  it('has a case for every rule of the registry and every rule name', () => {
    const keys = new Set(Object.keys(CASES));
    const missing = [
      ...RULES.map((rule) => `${rule.name}/${rule.appliesTo}`).filter((key) => !keys.has(key)),
      ...RULE_NAMES.filter((name) => ![...keys].some((key) => key.startsWith(`${name}/`))),
    ];
    expect(missing, 'add a refused input for each to CASES in test/policy/fix-yaml.test.ts').toEqual([]);
  });

  const entries = [
    ...RULES.map((rule) => ({ key: `${rule.name}/${rule.appliesTo}`, rule, name: rule.name as string })),
    { key: 'invalid-object/engine', rule: undefined, name: 'invalid-object' },
  ];
  it.each(entries)('$key', ({ key, rule, name }) => {
    for (const testCase of CASES[key] ?? []) {
      const violations = violationsOf(rule, name, testCase);
      expect(violations.length, `${key}: the case is not refused by the rule`).toBeGreaterThan(0);
      for (const violation of violations) {
        expect({ path: violation.path, problems: problemsOf(violation.fix) }).toEqual({
          path: violation.path,
          problems: [],
        });
      }
    }
  });

  it('finds a fix written as sentences, broken YAML, a bad manifest name and an unknown placeholder', () => {
    const opening = 'the fix does not open with a comment saying what to do';
    expect(problemsOf('Remove it: then apply')).toEqual([opening]);
    expect(problemsOf('Correct spec.x; ztgate denies what it cannot read.')).toEqual([
      opening,
      'a document is "Correct spec.x; ztgate denies what it cannot read.", not a mapping (prose must be a comment)',
    ]);
    expect(problemsOf('# x\napiVersion: v1\nkind: [').length).toBeGreaterThan(0);
    expect(
      problemsOf('# x\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: catalog-7c9d8f-}'),
    ).toEqual(['a manifest named "catalog-7c9d8f-", not a DNS name']);
    expect(
      problemsOf('# x\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: <hostname>}'),
    ).toEqual(['placeholder <hostname> is not in FIX_PLACEHOLDERS']);
    expect(
      problemsOf('# a fragment to paste\n- action: Allow\n  source: {selector: app == "<caller>"}'),
    ).toEqual([]);
  });
});
