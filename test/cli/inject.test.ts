import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { registerInjectCommand } from '../../src/cli/inject.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { findPodTemplate, isInjected } from '../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../src/policy/types.js';
import { BUILTIN_CONFIG, BUILTIN_CONFIG_YAML } from '../support/builtin-config.js';
import { captureOutput, runCli } from './run-cli.js';

const MANIFESTS = `# shop config, kept as written
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings # inline comment
  namespace: shop
data:
  mode: strict
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example/web:1
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: job, image: registry.example/job:1}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db, namespace: shop}
    spec:
      template:
        spec:
          containers: [{name: db, image: registry.example/db:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: dns-debug, namespace: kube-system}
spec:
  containers: [{name: debug, image: registry.example/debug:1}]
---
`;

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ztgate-inject-'));
  await writeFile(join(dir, 'app.yaml'), MANIFESTS);
  await writeFile(join(dir, 'builtin.yaml'), BUILTIN_CONFIG_YAML);
  await writeFile(join(dir, 'native.yaml'), `${BUILTIN_CONFIG_YAML}  native: true\n`);
  await writeFile(join(dir, 'istio.yaml'), 'mesh:\n  provider: istio\n');
  await writeFile(join(dir, 'bad-config.yaml'), 'sidecar:\n  nativ: true\n');
  await writeFile(join(dir, 'broken.yaml'), 'kind: Pod\n  metadata: [\n');
  await mkdir(join(dir, 'folder'));
  await writeFile(
    join(dir, 'folder', 'b.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: b}]}\n',
  );
  await writeFile(
    join(dir, 'folder', 'a.json'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a' },
      spec: { containers: [{ name: 'a' }] },
    }),
  );
  await writeFile(join(dir, 'folder', 'notes.txt'), 'not a manifest');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `ztgate inject …` on a program with only this command; returns what it printed. Without
 * `--config` it runs with the builtin provider and the test images (inject is builtin-only).
 */
async function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command('ztgate').exitOverride().configureOutput({ writeErr: () => undefined });
  registerInjectCommand(program);
  const config = args.includes('--config') ? [] : ['--config', join(dir, 'builtin.yaml')];
  const { stdout, stderr } = await captureOutput(() =>
    program.parseAsync(['inject', ...args, ...config], { from: 'user' }),
  );
  return { stdout, stderr };
}

/** The objects of a stream; empty documents (a trailing `---`, kept as written) have none. */
function documentsOf(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

function workloadsIn(objects: readonly KubeObject[]): KubeObject[] {
  return objects.flatMap((object) => (object.kind === 'List' ? (object['items'] as KubeObject[]) : [object]));
}

function injectedByName(
  objects: readonly KubeObject[],
  config = BUILTIN_CONFIG.sidecar,
): Record<string, boolean> {
  const result: Record<string, boolean> = {};
  for (const object of workloadsIn(objects)) {
    const template = findPodTemplate(object);
    if (template !== undefined)
      result[`${object.kind}/${object.metadata?.name}`] = isInjected(template.pod, config);
  }
  return result;
}

describe('ztgate inject', () => {
  it('adds the proxy to every pod template outside exempt namespaces and keeps the documents', async () => {
    const { stdout, stderr } = await run('-f', join(dir, 'app.yaml'));
    const objects = documentsOf(stdout);
    expect(objects.map((object) => object.kind)).toEqual([
      'ConfigMap',
      'Deployment',
      'CronJob',
      'Service',
      'List',
      'Pod',
    ]);
    expect(injectedByName(objects)).toEqual({
      'Deployment/web': true,
      'CronJob/nightly': true,
      'StatefulSet/db': true,
      'Pod/dns-debug': false,
    });
    const input = documentsOf(MANIFESTS);
    expect(objects[0]).toEqual(input[0]);
    expect(objects[3]).toEqual(input[3]);
    expect(objects[5]).toEqual(input[5]);
    expect(stdout.startsWith('# shop config, kept as written\n')).toBe(true);
    expect(stdout).toContain('name: settings # inline comment');
    expect(stderr).toBe('ztgate inject: Pod/dns-debug: not injected, namespace "kube-system" is exempt\n');
  });

  it('uses --namespace for objects that name none, and the object namespace otherwise', async () => {
    const { stdout } = await run('-f', join(dir, 'app.yaml'), '--namespace', 'batch');
    const spiffeIds = workloadsIn(documentsOf(stdout)).flatMap((object) => {
      const spec = findPodTemplate(object)?.pod['spec'] as
        { containers: { name: string; env?: { name: string; value?: string }[] }[] } | undefined;
      const proxy = spec?.containers.find((container) => container.name === 'ztgate-proxy');
      return proxy === undefined
        ? []
        : [proxy.env?.find((entry) => entry.name === 'ZTGATE_SPIFFE_ID')?.value];
    });
    expect(spiffeIds).toEqual([
      'spiffe://cluster.local/ns/shop/sa/web',
      'spiffe://cluster.local/ns/batch/sa/default',
      'spiffe://cluster.local/ns/shop/sa/default',
    ]);
  });

  it('changes nothing when its output is injected again', async () => {
    const first = await run('-f', join(dir, 'app.yaml'));
    await writeFile(join(dir, 'injected.yaml'), first.stdout);
    const second = await run('-f', join(dir, 'injected.yaml'));
    expect(documentsOf(second.stdout)).toEqual(documentsOf(first.stdout));
  });

  it('prints JSON: a v1 List of every document', async () => {
    const { stdout } = await run('-f', join(dir, 'app.yaml'), '-o', 'json');
    const list = JSON.parse(stdout) as KubeObject & { items: KubeObject[] };
    expect({ apiVersion: list.apiVersion, kind: list.kind, count: list.items.length }).toEqual({
      apiVersion: 'v1',
      kind: 'List',
      count: 6,
    });
    expect(Object.values(injectedByName(list.items))).toEqual([true, true, true, false]);
  });

  it('reads the sidecar settings from --config (native mode)', async () => {
    const { stdout } = await run('-f', join(dir, 'app.yaml'), '--config', join(dir, 'native.yaml'));
    const deployment = documentsOf(stdout)[1] ?? {};
    const spec = findPodTemplate(deployment)?.pod['spec'] as {
      initContainers: { name: string; restartPolicy?: string }[];
    };
    expect(spec.initContainers.map(({ name, restartPolicy }) => ({ name, restartPolicy }))).toEqual([
      { name: 'ztgate-init', restartPolicy: undefined },
      { name: 'ztgate-proxy', restartPolicy: 'Always' },
    ]);
  });

  it('reads the manifest files of a folder in name order', async () => {
    const { stdout } = await run('-f', join(dir, 'folder'), '-o', 'json');
    const list = JSON.parse(stdout) as { items: KubeObject[] };
    expect(list.items.map((item) => item.metadata?.name)).toEqual(['a', 'b']);
    expect(injectedByName(list.items)).toEqual({ 'Pod/a': true, 'Pod/b': true });
  });

  it('prints a single object as itself in JSON', async () => {
    const { stdout } = await run('-f', join(dir, 'folder', 'b.yaml'), '-o', 'json');
    expect((parse(stdout) as KubeObject).kind).toBe('Pod');
  });

  it.each([
    ['a missing file', ['-f', '/nonexistent/ztgate.yaml'], /nonexistent\/ztgate\.yaml: cannot read/],
    ['invalid YAML', ['-f', 'broken.yaml'], /broken\.yaml: invalid YAML/],
    ['a bad config key', ['-f', 'app.yaml', '--config', 'bad-config.yaml'], /sidecar\.nativ/],
  ])('fails with a usage error on %s', async (_name, args, message) => {
    const resolved = args.map((arg) =>
      arg.endsWith('.yaml') && !arg.startsWith('/') ? join(dir, arg) : arg,
    );
    await expect(run(...resolved)).rejects.toThrow(UsageError);
    await expect(run(...resolved)).rejects.toThrow(message);
  });

  it('refuses under a mesh provider, whose own injector adds the proxy', async () => {
    const attempt = run('-f', join(dir, 'app.yaml'), '--config', join(dir, 'istio.yaml'));
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(run('-f', join(dir, 'app.yaml'), '--config', join(dir, 'istio.yaml'))).rejects.toThrow(
      /mesh\.provider istio the mesh's own injector adds its proxy/,
    );
  });

  it.each([
    ['no -f', []],
    ['an unknown output format', ['-f', 'x.yaml', '-o', 'xml']],
  ])('rejects %s as bad usage', async (_name, args) => {
    await expect(run(...args)).rejects.toThrow(CommanderError);
  });
});

// Issue 15 §5: what inject does not change, it prints as written; what it does, kubectl reads back
// as inject read it (YAML 1.1, as go-yaml v2 in kubectl).
describe('ztgate inject passes documents through byte for byte', () => {
  const untouched = `# not a workload: kept with its comments, flow style and quoting
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}   # trailing comment
data:
  flag: 'on'
  octal: "0755"
---
# exempt namespace: not injected, so not reformatted
apiVersion: v1
kind: Pod
metadata: {name: cni, namespace: kube-system}
spec:
  containers:
    - name: cni
      image: example/cni:1
      securityContext:
        capabilities: {add: [NET_ADMIN]}
...
`;

  it('prints a stream it changes nothing in exactly as written', async () => {
    const path = join(dir, 'untouched.yaml');
    await writeFile(path, untouched);
    const { code, stdout, stderr } = await runCli('inject', [
      '-f',
      path,
      '--config',
      join(dir, 'builtin.yaml'),
    ]);
    expect(code).toBe(0);
    expect(stdout).toBe(untouched);
    expect(stderr).toBe('ztgate inject: Pod/cni: not injected, namespace "kube-system" is exempt\n');
  });

  it('changes only the injected document; the others keep their bytes around it', async () => {
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: web, image: example/web:1, env: [{name: MODE, value: "on"}, {name: PERMS, value: "0755"}]}]
`;
    const path = join(dir, 'mixed.yaml');
    await writeFile(path, `${untouched}---\n${pod}`);
    const { stdout } = await runCli('inject', ['-f', path, '--config', join(dir, 'builtin.yaml')]);
    expect(stdout.startsWith(`${untouched}---\n`)).toBe(true);
    // Read back as kubectl reads it (YAML 1.1): the strings stay strings.
    const injected = parseAllDocuments(stdout.slice(untouched.length), { version: '1.1' })
      .map((document) => document.toJS() as KubeObject)
      .find((object) => object?.kind === 'Pod');
    const spec = findPodTemplate(injected ?? {})?.pod['spec'] as {
      containers: { name: string; env?: { name: string; value: unknown }[] }[];
    };
    expect(spec.containers.map((container) => container.name)).toEqual(['ztgate-proxy', 'web']);
    expect(spec.containers[1]?.env).toEqual([
      { name: 'MODE', value: 'on' },
      { name: 'PERMS', value: '0755' },
    ]);
  });

  it('reads YAML 1.1 as kubectl does: hostNetwork: yes is true', async () => {
    const path = join(dir, 'yes.yaml');
    await writeFile(
      path,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: h, namespace: shop}\nspec:\n  hostNetwork: yes\n  containers: [{name: h, image: h:1}]\n',
    );
    const { stderr } = await runCli('inject', ['-f', path, '--config', join(dir, 'builtin.yaml')]);
    expect(stderr).toBe(
      'ztgate inject: Pod/h: not injected, hostNetwork pods are refused in enforced namespaces (no-host-network)\n',
    );
  });
});
