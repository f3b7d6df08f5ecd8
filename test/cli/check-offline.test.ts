import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Issue 12 §7: `check` gives the verdict the cluster will give. It reads YAML as kubectl does
// (go-yaml v2, YAML 1.1) and judges the Namespaces of the change as the webhook would.
const STATE = join(import.meta.dirname, '..', 'fixtures', 'check', 'state');
const dir = mkdtempSync(join(tmpdir(), 'ztgate-check-offline-'));
let files = 0;

function file(text: string): string {
  const path = join(dir, `m${(files += 1)}.yaml`);
  writeFileSync(path, text);
  return path;
}

interface Result {
  kind: string;
  namespace: string | null;
  name: string;
  allowed: boolean;
  violations: { rule: string; path: string }[];
  warnings: string[];
}

async function check(...args: string[]): Promise<{ code: number; results: Result[]; stderr: string }> {
  const { code, stdout, stderr } = await runCli('check', [...args, '--output', 'json']);
  return { code, stderr, results: code === 2 ? [] : (JSON.parse(stdout) as { results: Result[] }).results };
}

const verdicts = (results: Result[]) =>
  results.map((r) => ({
    object: `${r.kind} ${r.namespace ?? ''}/${r.name}`,
    allowed: r.allowed,
    rules: r.violations.map((v) => `${v.rule} ${v.path}`),
  }));

afterEach(() => {
  vi.restoreAllMocks();
});

/** The state's compliant Deployment web, with `podSpec` lines added to its pod spec. */
function web(podSpec: string, container = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
${podSpec}
      containers:
        - name: web
          image: example/web:1
          ports: [{containerPort: 8080}]
${container}`;
}

describe('check reads YAML as kubectl does (the scalars that change a verdict)', () => {
  it.each([
    ['hostNetwork: yes', web('      hostNetwork: yes'), ['no-host-network spec.template.spec.hostNetwork']],
    ['hostNetwork: on', web('      hostNetwork: on'), ['no-host-network spec.template.spec.hostNetwork']],
    ['hostNetwork: Y', web('      hostNetwork: Y'), ['no-host-network spec.template.spec.hostNetwork']],
    ['hostNetwork: no', web('      hostNetwork: no'), []],
    ['hostNetwork: off', web('      hostNetwork: off'), []],
    [
      'privileged: on',
      web('', '          securityContext: {privileged: on}'),
      ['no-net-admin spec.template.spec.containers[0].securityContext.privileged'],
    ],
    [
      'a merge key that overrides privileged: false written before it',
      `base: &root {privileged: true}\n${web('', '          securityContext:\n            privileged: false\n            <<: *root')}`,
      ['no-net-admin spec.template.spec.containers[0].securityContext.privileged'],
    ],
    [
      'a merged pod spec carrying hostNetwork',
      web('      <<: {hostNetwork: true}'),
      ['no-host-network spec.template.spec.hostNetwork'],
    ],
    // A quoted "true" is a string; the API server cannot decode it into the bool field.
    [
      'hostNetwork: "true"',
      web('      hostNetwork: "true"'),
      ['invalid-object spec.template.spec.hostNetwork'],
    ],
    [
      'privileged: "yes"',
      web('', '          securityContext: {privileged: "yes"}'),
      ['invalid-object spec.template.spec.containers[0].securityContext.privileged'],
    ],
    [
      'runAsUser: 1337.5',
      web('', '          securityContext: {runAsUser: 1337.5}'),
      ['invalid-object spec.template.spec.containers[0].securityContext.runAsUser'],
    ],
  ])('%s', async (_name, text, rules) => {
    const { code, results } = await check('-f', file(text), '--state', STATE);
    expect(verdicts(results)).toEqual([
      { object: 'Deployment shop/web', allowed: rules.length === 0, rules },
    ]);
    expect(code).toBe(rules.length === 0 ? 0 : 1);
  });

  it('reads runAsUser: 02471 as the octal 1337 (the proxy uid), not 2471', async () => {
    const { parseYaml } = await import('../../src/adapters/state-dir/parse.js');
    const { listContainers, effectiveId } = await import('../../src/policy/pod-spec/typed.js');
    const [object] = parseYaml(web('      securityContext: {runAsUser: 02471}'), 'x.yaml').objects;
    const spec = (object?.['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
    const [container] = listContainers(spec);
    if (container === undefined) throw new Error('no container');
    expect(effectiveId(spec, container, 'runAsUser')).toBe(1337);
  });
});

const namespace = (name: string, labels: Record<string, string>) =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: ${JSON.stringify(labels)}\n---\n`;
// A pod that breaks rules in any namespace: no ServiceAccount.
const pod = (ns: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: tool, namespace: ${ns}}\nspec:\n  containers: [{name: tool, image: tool:1}]\n`;

describe('check judges Namespaces given with -f', () => {
  it("refuses a developer's Namespace labelled audit, and its pod is judged in enforce mode (no warnings-only pass)", async () => {
    const { code, results } = await check(
      '-f',
      file(namespace('lab', { 'ztgate.dev/mode': 'audit' }) + pod('lab')),
      '--state',
      STATE,
    );
    expect(code).toBe(1);
    expect(verdicts(results).map(({ object, allowed }) => ({ object, allowed }))).toEqual([
      { object: 'Namespace /lab', allowed: false },
      { object: 'Pod lab/tool', allowed: false },
    ]);
    expect(results[0]?.violations.map((v) => `${v.rule} ${v.path}`)).toEqual([
      'protected-namespace-labels metadata.labels.ztgate.dev/mode',
    ]);
    expect(results[1]?.warnings).toEqual([]);
  });

  it('refuses the same label on an existing namespace (UPDATE) and keeps judging its workloads as enforced', async () => {
    const { results } = await check(
      '-f',
      file(namespace('shop', { team: 'shop', 'ztgate.dev/mode': 'audit' }) + pod('shop')),
      '--state',
      STATE,
    );
    expect(verdicts(results).map(({ object, allowed }) => ({ object, allowed }))).toEqual([
      { object: 'Namespace /shop', allowed: false },
      { object: 'Pod shop/tool', allowed: false },
    ]);
  });

  it("refuses a developer's Namespace labelled exempt, and its pod is still judged", async () => {
    const { results } = await check(
      '-f',
      file(namespace('lab', { 'ztgate.dev/exempt': 'true' }) + pod('lab')),
      '--state',
      STATE,
    );
    expect(verdicts(results).map(({ object, allowed }) => ({ object, allowed }))).toEqual([
      { object: 'Namespace /lab', allowed: false },
      { object: 'Pod lab/tool', allowed: false },
    ]);
  });

  it('with --as-admin, the labels are allowed and take effect as they would in the cluster', async () => {
    const audit = await check(
      '--as-admin',
      '-f',
      file(namespace('lab', { 'ztgate.dev/mode': 'audit' }) + pod('lab')),
      '--state',
      STATE,
    );
    expect(audit.code).toBe(0);
    expect(audit.results.map((r) => r.allowed)).toEqual([true, true]);
    expect(audit.results[1]?.warnings.length).toBeGreaterThan(0);
    const exempt = await check(
      '--as-admin',
      '-f',
      file(namespace('lab', { 'ztgate.dev/exempt': 'true' }) + pod('lab')),
      '--state',
      STATE,
    );
    expect(exempt.results[1]).toMatchObject({
      allowed: true,
      violations: [],
      warnings: ['not judged: namespace "lab" is labelled ztgate.dev/exempt=true, so the webhooks skip it'],
    });
  });

  it('lets anyone remove the audit label: the namespace is enforced again in the same change', async () => {
    const { results } = await check(
      '-f',
      file(namespace('trial', { team: 'x' }) + pod('trial')),
      '--state',
      STATE,
    );
    expect(verdicts(results).map(({ object, allowed }) => ({ object, allowed }))).toEqual([
      { object: 'Namespace /trial', allowed: true },
      { object: 'Pod trial/tool', allowed: false },
    ]);
  });

  it('admits a plain Namespace and counts it as judged', async () => {
    const { code, stdout } = await runCli('check', [
      '-f',
      file(namespace('lab', { team: 'lab' })),
      '--state',
      STATE,
    ]);
    expect(code).toBe(0);
    expect(stdout).toBe('ALLOWED Namespace lab\n\n1 judged: 1 allowed, 0 denied\n');
  });

  it('refuses --as-admin when the config names no admin (exit 2)', async () => {
    const config = file('admins:\n  groups: []\n  users: []\n');
    const { code, stderr } = await check('--as-admin', '--config', config, '-f', file(pod('shop')));
    expect(code).toBe(2);
    expect(stderr).toContain('--as-admin: the ztgate config names no admins');
  });
});
