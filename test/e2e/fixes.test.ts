/**
 * Issue 15 §2: the fixes `ztgate check` prints apply. Each fix is taken from check's text output
 * as a developer copies it (indented, `---` at column 0) and sent with `kubectl apply
 * --dry-run=server` to a real kube-apiserver 1.20 with ztgate's webhooks registered: a complete
 * fix is accepted; one that still holds placeholders is refused by the API server, and accepted
 * once they are filled in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBECTL_YAML } from '../../src/adapters/state-dir/go-yaml.js';
import { FIX_PLACEHOLDERS, findPlaceholders } from '../../src/policy/fix/index.js';
import { kubectl, kubectlOk } from './support/kubectl.js';
import { istioAuthorizationPolicyCrd, list } from './support/objects.js';
import { startScenario, type Scenario } from './support/scenario.js';
import { REPO_DIR, ztgateCommand } from './support/ztgate.js';

const NAMESPACE = 'fixes';

/** What a developer fills in for each placeholder. */
const FILLED: Readonly<Record<string, string>> = {
  '<caller-namespace>': NAMESPACE,
  '<caller>': 'api',
  '<caller-serviceaccount>': 'api',
  '<port>': '8080',
  '<namespace>': NAMESPACE,
  '<service>': 'db',
};

/** Runs the built CLI; resolves whatever the exit code. */
function ztgate(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...ztgateCommand(), ...args], { cwd: REPO_DIR }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

/** The fix blocks of check's text output, as printed (4-space indent, `---` at column 0). */
function printedFixes(text: string): { header: string; block: string }[] {
  const fixes: { header: string; block: string }[] = [];
  let current: { header: string; lines: string[] } | undefined;
  const flush = () => {
    if (current !== undefined) fixes.push({ header: current.header, block: `${current.lines.join('\n')}\n` });
  };
  for (const line of text.split('\n')) {
    if (/^ {2}fix for \[/.test(line)) {
      flush();
      current = { header: line.trim(), lines: [] };
    } else if (current !== undefined && (line.startsWith('    ') || line === '---')) current.lines.push(line);
    else {
      flush();
      current = undefined;
    }
  }
  flush();
  return fixes;
}

/** Whether every document of a fix is a whole Kubernetes object (not a fragment to paste). */
function isComplete(block: string): boolean {
  const values = parseAllDocuments(block, KUBECTL_YAML)
    .map((document) => document.toJS() as Record<string, unknown> | null)
    .filter((value) => value !== null);
  return values.length > 0 && values.every((value) => typeof value['apiVersion'] === 'string');
}

const pod = (name: string, spec: string, labels = `{app: ${name}}`) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${NAMESPACE}, labels: ${labels}}\nspec:\n${spec}`;

/** Workloads that break the rules whose fixes are manifests. */
const MANIFESTS = [
  // No ServiceAccount, no allow-list: a ServiceAccount and a NetworkPolicy with placeholders.
  `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NAMESPACE}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example/web:1, ports: [{containerPort: 8080}]}]`,
  // A pod with generateName and a ServiceAccount that does not exist.
  `apiVersion: v1
kind: Pod
metadata: {generateName: catalog-7c9d8f-, namespace: ${NAMESPACE}, labels: {app: catalog, pod-template-hash: 7c9d8f}}
spec:
  serviceAccountName: catalog-reader
  containers: [{name: catalog, image: example/catalog:1, ports: [{containerPort: 9090}]}]`,
  // Two workloads sharing one ServiceAccount named after one of them: the others move out.
  pod('api', '  serviceAccountName: api\n  containers: [{name: api, image: example/api:1}]'),
  pod('api-worker', '  serviceAccountName: api\n  containers: [{name: w, image: example/w:1}]'),
  `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: ${NAMESPACE}}`,
].join('\n---\n');

describe('the fixes check prints apply to kube-apiserver 1.20 (kubectl apply --dry-run=server)', () => {
  let s: Scenario;
  let fixes: { header: string; block: string }[] = [];

  beforeAll(async () => {
    // An admin owns the default deny here, so its fix (two documents) is printed too.
    s = await startScenario({ defaultDeny: { create: false } });
    await s.createNamespace(NAMESPACE, { waitForDefaultDeny: false });
    // Under Istio (the default provider) the allow-list fix pairs an AuthorizationPolicy: its CRD,
    // and the right to write it, as a team on an Istio cluster has.
    await kubectlOk(
      s.admin,
      ['apply', '-f', '-'],
      list(istioAuthorizationPolicyCrd(), ...authorizationPolicyGrant(s.cp.user.group)),
    );
    const state = mkdtempSync(join(s.cp.dir, 'state-'));
    const work = mkdtempSync(join(s.cp.dir, 'work-'));
    // The state as kubectl reads it back: the namespace is known whole.
    writeFileSync(
      join(state, 'state.yaml'),
      await kubectlOk(s.admin, [
        'get',
        'namespace,serviceaccount,networkpolicy',
        '-n',
        NAMESPACE,
        '-o',
        'yaml',
      ]),
    );
    writeFileSync(join(work, 'config.yaml'), 'defaultDeny:\n  create: false\n');
    writeFileSync(join(work, 'app.yaml'), MANIFESTS);
    const result = await ztgate([
      'check',
      '-f',
      join(work, 'app.yaml'),
      '--state',
      state,
      '--config',
      join(work, 'config.yaml'),
    ]);
    expect([result.code, result.stderr]).toEqual([1, '']);
    fixes = printedFixes(result.stdout);
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('prints the fixes this test applies', () => {
    expect(fixes.map((fix) => fix.header)).toEqual(
      expect.arrayContaining([
        'fix for [dedicated-service-account] spec.template.spec.serviceAccountName:',
        'fix for [allow-list-policy] spec.template.metadata.labels:',
        'fix for [namespace-default-deny] metadata.namespace:',
        'fix for [dedicated-service-account] spec.serviceAccountName:',
      ]),
    );
    // The default deny and its DNS allowance: two documents, the separator at column 0.
    expect(fixes.some((fix) => fix.block.split('\n').includes('---'))).toBe(true);
    expect(fixes.filter((fix) => isComplete(fix.block)).length).toBeGreaterThanOrEqual(5);
  });

  it('applies every complete fix without placeholders as printed', async () => {
    const complete = fixes.filter((fix) => isComplete(fix.block) && !/<[a-z-]+>/.test(fix.block));
    expect(complete.length).toBeGreaterThanOrEqual(3);
    for (const fix of complete) {
      const result = await kubectl(s.user, ['apply', '--dry-run=server', '-f', '-'], fix.block);
      expect({ fix: fix.header, code: result.code, stderr: result.stderr }).toEqual({
        fix: fix.header,
        code: 0,
        stderr: '',
      });
      expect(result.stdout).toMatch(/created \(server dry run\)/);
    }
  });

  it('refuses a fix that still holds placeholders, and applies it once they are filled in', async () => {
    const templates = fixes.filter((fix) => isComplete(fix.block) && /<[a-z-]+>/.test(fix.block));
    expect(templates.length).toBeGreaterThanOrEqual(1);
    for (const fix of templates) {
      const refused = await kubectl(s.user, ['apply', '--dry-run=server', '-f', '-'], fix.block);
      expect(refused.code, fix.header).toBe(1);
      expect(refused.stderr).toMatch(/Invalid value: "<caller/);
      const values = parseAllDocuments(fix.block, KUBECTL_YAML).map((document) => document.toJS());
      for (const { placeholder } of values.flatMap((value) => findPlaceholders(value)))
        expect(Object.keys(FIX_PLACEHOLDERS)).toContain(placeholder);
      let filled = fix.block;
      for (const [placeholder, value] of Object.entries(FILLED))
        filled = filled.replaceAll(placeholder, value);
      const applied = await kubectl(s.user, ['apply', '--dry-run=server', '-f', '-'], filled);
      expect({ fix: fix.header, code: applied.code, stderr: applied.stderr }).toEqual({
        fix: fix.header,
        code: 0,
        stderr: '',
      });
    }
  });

  it('persists nothing: the dry runs created no object', async () => {
    const result = await kubectlOk(s.admin, [
      'get',
      'serviceaccount,networkpolicy',
      '-n',
      NAMESPACE,
      '-o',
      'name',
    ]);
    expect(result.split('\n').filter((line) => line !== '' && !line.endsWith('/default'))).toEqual([]);
  });
});

/** Lets the developers' group write Istio AuthorizationPolicies (the fix's second document). */
function authorizationPolicyGrant(group: string): Record<string, unknown>[] {
  const name = 'developer-authorizationpolicies';
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        {
          apiGroups: ['security.istio.io'],
          resources: ['authorizationpolicies'],
          verbs: ['get', 'list', 'create', 'update', 'patch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
    },
  ];
}
