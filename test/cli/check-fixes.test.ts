import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBECTL_YAML } from '../../src/adapters/state-dir/go-yaml.js';
import { runCli } from './run-cli.js';

// Issue 15 §2-3: the fixes `check` prints paste and apply, and a manifest that still holds a
// fix's placeholders is refused before kubectl apply fails on it.
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'check');
const STATE = join(FIXTURES, 'state');
const dir = mkdtempSync(join(tmpdir(), 'ztgate-check-fixes-'));
let files = 0;

function file(text: string): string {
  const path = join(dir, `m${(files += 1)}.yaml`);
  writeFileSync(path, text);
  return path;
}

interface Finding {
  rule: string;
  path: string;
  message: string;
  fix: string;
}
interface Result {
  kind: string;
  name: string;
  allowed: boolean;
  violations: Finding[];
  unknown: Finding[];
}

async function checkJson(...args: string[]): Promise<{ code: number; results: Result[] }> {
  const { code, stdout } = await runCli('check', [...args, '-o', 'json']);
  return { code, results: code === 2 ? [] : (JSON.parse(stdout) as { results: Result[] }).results };
}

/** The fix blocks of check's text output, as a reader copies them: indented, `---` at column 0. */
function printedFixes(text: string): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (/^ {2}fix for \[/.test(line)) {
      current = [];
      blocks.push('');
    } else if (current !== undefined && (line.startsWith('    ') || line === '---')) {
      current.push(line);
      blocks[blocks.length - 1] = current.join('\n');
    } else current = undefined;
  }
  return blocks;
}

function parse(text: string): unknown[] {
  return parseAllDocuments(text, KUBECTL_YAML).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS();
  });
}

afterEach(() => vi.restoreAllMocks());

const config = file('defaultDeny:\n  create: false\n');
const lab = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n---\n';
const bare = (kind: string, name: string) =>
  `apiVersion: ${kind === 'Pod' ? 'v1' : 'apps/v1'}\nkind: ${kind}\nmetadata: {name: ${name}, namespace: lab}\n`;

describe('printed fixes paste', () => {
  it('prints every fix so that the printed block parses to the fix itself; multi-document fixes keep --- at column 0', async () => {
    const pods = `${lab}${bare('Pod', 'tool')}spec:\n  hostNetwork: true\n  containers: [{name: t, image: t:1, securityContext: {capabilities: {add: [NET_ADMIN]}}}]\n`;
    const args = [
      '--config',
      config,
      '-f',
      file(pods),
      join(FIXTURES, 'manifests', 'violations.yaml'),
      '--state',
      STATE,
    ];
    const { stdout } = await runCli('check', args);
    const { results } = await checkJson(...args);
    const fixes = [...new Set(results.flatMap((r) => [...r.violations, ...r.unknown].map((f) => f.fix)))];
    const printed = printedFixes(stdout);
    expect(printed.length).toBeGreaterThan(5);
    // The default deny an admin must add here: two documents, the separator unindented.
    const multi = printed.find((block) => block.includes('ztgate-allow-dns'));
    expect(multi?.split('\n')).toContain('---');
    for (const block of printed) expect(parse(block)).toEqual(parse(block.replace(/^ {4}/gm, '')));
    expect(printed.map((block) => parse(block))).toEqual(
      expect.arrayContaining(fixes.map((fix) => parse(fix))),
    );
  });
});

describe('check refuses what still holds a fix placeholder', () => {
  const web = `${lab}apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: lab}\n---\n${bare('Deployment', 'web')}spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      serviceAccountName: web\n      containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]\n`;

  it('names each placeholder and its field, refuses the policy, and does not count it as the allow-list', async () => {
    const first = await checkJson('-f', file(web), '--state', STATE);
    const fix = first.results
      .find((r) => r.name === 'web')
      ?.violations.find((v) => v.rule === 'allow-list-policy')?.fix;
    expect(fix).toContain('<caller-namespace>');
    const { code, results } = await checkJson('-f', file(web), file(fix ?? ''), '--state', STATE);
    expect(code).toBe(1);
    const policy = results.find((r) => r.kind === 'NetworkPolicy');
    expect(policy?.allowed).toBe(false);
    expect(policy?.violations.map((v) => `${v.rule} ${v.path}: ${v.message}`)).toEqual([
      "invalid-object spec.ingress[0].from[0].namespaceSelector.matchLabels.kubernetes.io/metadata.name: still holds the placeholder <caller-namespace> from ztgate's fix: replace it with the namespace of a workload that calls this one",
      "invalid-object spec.ingress[0].from[0].podSelector.matchLabels.app: still holds the placeholder <caller> from ztgate's fix: replace it with the caller's pod label value (or name)",
    ]);
    // kubectl apply would fail on the policy: the Deployment is judged without it.
    expect(results.find((r) => r.name === 'web')?.violations.map((v) => v.rule)).toEqual([
      'allow-list-policy',
    ]);
  });

  it('allows the same policy once the placeholders are filled in', async () => {
    const first = await checkJson('-f', file(web), '--state', STATE);
    const fix =
      first.results.find((r) => r.name === 'web')?.violations.find((v) => v.rule === 'allow-list-policy')
        ?.fix ?? '';
    // Under Istio (the default) the fix pairs the NetworkPolicy with an AuthorizationPolicy: fill both.
    const filled = fix
      .replaceAll('<caller-namespace>', 'shop')
      .replaceAll('<caller-serviceaccount>', 'api')
      .replaceAll('<caller>', 'api');
    const { code, results } = await checkJson('-f', file(web), file(filled), '--state', STATE);
    expect(code).toBe(0);
    expect(results.map((r) => [r.kind, r.allowed, r.violations.length])).toEqual([
      ['Namespace', true, 0],
      ['Deployment', true, 0],
      ['NetworkPolicy', true, 0],
      ['AuthorizationPolicy', true, 0],
    ]);
  });

  it('refuses a placeholder the API server would store: an Istio principal', async () => {
    const policy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  action: ALLOW
  rules: [{from: [{source: {principals: [cluster.local/ns/<caller-namespace>/sa/<caller-serviceaccount>]}}]}]
`;
    const { code, results } = await checkJson('-f', file(policy), '--state', STATE);
    expect(code).toBe(1);
    expect(results[0]?.violations.map((v) => [v.rule, v.path])).toEqual([
      ['invalid-object', 'spec.rules[0].from[0].source.principals[0]'],
    ]);
  });
});

describe('fixes for Pods', () => {
  const catalog = (metadata: string) => `apiVersion: v1
kind: Pod
metadata:
${metadata}
  namespace: shop
spec:
  containers: [{name: catalog, image: catalog:1, ports: [{containerPort: 8080}, {containerPort: 9090, protocol: UDP}]}]
`;

  it("name a generateName pod after its prefix (the ReplicaSet's template hash dropped), list only the app's ports, say 'the pod'", async () => {
    const { results } = await checkJson(
      '-f',
      file(catalog('  generateName: catalog-7c9d8f-\n  labels: {pod-template-hash: 7c9d8f}')),
      '--state',
      STATE,
    );
    const [sa, allowList] = results[0]?.violations ?? [];
    expect(sa?.message).toBe(
      'the pod sets no serviceAccountName, so it runs as the shared `default` identity',
    );
    expect(sa?.fix.split('\n')[0]).toBe(
      '# Create a ServiceAccount for this workload alone and set spec.serviceAccountName: catalog',
    );
    expect(parse(sa?.fix ?? '')).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'catalog', namespace: 'shop' } },
    ]);
    const [policy] = parse(allowList?.fix ?? '') as {
      metadata: { name: string };
      spec: { ingress: { ports: unknown }[] };
    }[];
    expect(policy?.metadata.name).toBe('catalog-allow-ingress');
    // check judges the Pod as ztgate's webhook leaves it: with the proxy, whose ports are not the app's.
    expect(policy?.spec.ingress[0]?.ports).toEqual([
      { protocol: 'TCP', port: 8080 },
      { protocol: 'UDP', port: 9090 },
    ]);
  });

  it('without a template hash, keeps the prefix without its trailing dash; a pod without labels is told to label the pod', async () => {
    const { results } = await checkJson(
      '-f',
      file(catalog('  generateName: catalog-7c9d8f-')),
      '--state',
      STATE,
    );
    const allowList = results[0]?.violations.find((v) => v.rule === 'allow-list-policy');
    expect(allowList?.fix.split('\n')[0]).toBe(
      '# Label the pod (app: catalog-7c9d8f) and create a NetworkPolicy (the kernel, by pod labels) and an AuthorizationPolicy (the proxy, by mTLS identity) that list who may call it; fill in the callers:',
    );
    expect(allowList?.fix).toContain('name: catalog-7c9d8f-allow-ingress');
  });

  it("keeps 'the pod template' for kinds that have one", async () => {
    const { results } = await checkJson(
      '-f',
      join(FIXTURES, 'manifests', 'violations.yaml'),
      '--state',
      STATE,
    );
    expect(results[0]?.violations[0]?.message).toBe(
      'the pod template sets no serviceAccountName, so its pods run as the shared `default` identity',
    );
  });
});
