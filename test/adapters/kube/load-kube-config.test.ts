import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  chooseKubeConfig,
  loadKubeConfig,
  SERVICE_ACCOUNT_TOKEN,
  type KubeConfigEnvironment,
  type KubeConfigSource,
} from '../../../src/adapters/kube/load-kube-config.js';

const HOME_CONFIG = '/home/dev/.kube/config';
const POD_ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

function environment(files: readonly string[], env: Record<string, string> = {}): KubeConfigEnvironment {
  return { env, homeDir: '/home/dev', exists: (file) => files.includes(file) };
}

describe('chooseKubeConfig: the order kubectl uses', () => {
  const cases: [string, KubeConfigSource, KubeConfigEnvironment, string, string[]][] = [
    [
      '--kubeconfig beats everything',
      { kubeconfig: '/etc/k.yaml' },
      environment(['/etc/k.yaml', '/env.yaml', HOME_CONFIG, SERVICE_ACCOUNT_TOKEN], {
        KUBECONFIG: '/env.yaml',
        ...POD_ENV,
      }),
      '--kubeconfig',
      ['/etc/k.yaml'],
    ],
    [
      '$KUBECONFIG beats ~/.kube/config and the pod',
      {},
      environment(['/a.yaml', '/b.yaml', HOME_CONFIG, SERVICE_ACCOUNT_TOKEN], {
        KUBECONFIG: ['/a.yaml', '/missing.yaml', '/b.yaml'].join(delimiter),
        ...POD_ENV,
      }),
      '$KUBECONFIG',
      ['/a.yaml', '/b.yaml'],
    ],
    [
      '$KUBECONFIG naming no file that exists falls through to ~/.kube/config',
      {},
      environment([HOME_CONFIG], { KUBECONFIG: '/missing.yaml' }),
      '~/.kube/config',
      [HOME_CONFIG],
    ],
    [
      '~/.kube/config beats the pod',
      {},
      environment([HOME_CONFIG, SERVICE_ACCOUNT_TOKEN], POD_ENV),
      '~/.kube/config',
      [HOME_CONFIG],
    ],
    ['the pod last', {}, environment([SERVICE_ACCOUNT_TOKEN], POD_ENV), 'in-cluster', []],
    [
      '--in-cluster skips the files',
      { inCluster: true },
      environment([HOME_CONFIG, SERVICE_ACCOUNT_TOKEN], POD_ENV),
      'in-cluster',
      [],
    ],
  ];
  it.each(cases)('%s', (_name, source, env, from, files) => {
    expect(chooseKubeConfig(source, env)).toEqual({ from, files });
  });

  it.each([
    [
      'nothing at all',
      {},
      environment([]),
      `no Kubernetes configuration found: no --kubeconfig given, $KUBECONFIG is unset, ${HOME_CONFIG} is absent, and this is not a pod (KUBERNETES_SERVICE_HOST/PORT are unset); pass --kubeconfig FILE, or --state DIR for a folder of manifests`,
    ],
    [
      'a $KUBECONFIG of missing files and a pod without its token',
      {},
      environment([], { KUBECONFIG: '/missing.yaml', ...POD_ENV }),
      `no Kubernetes configuration found: no --kubeconfig given, $KUBECONFIG names no file that exists, ${HOME_CONFIG} is absent, and this is not a pod (${SERVICE_ACCOUNT_TOKEN} is absent); pass --kubeconfig FILE, or --state DIR for a folder of manifests`,
    ],
    [
      'a --kubeconfig that is not there',
      { kubeconfig: '/nope.yaml' },
      environment([HOME_CONFIG]),
      'no kubeconfig at /nope.yaml (given with --kubeconfig)',
    ],
    [
      '--in-cluster outside a pod',
      { inCluster: true },
      environment([HOME_CONFIG]),
      'no in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT are unset (is this running in a pod?)',
    ],
  ])('says in one sentence what is missing: %s', (_name, source, env, message) => {
    expect(() => chooseKubeConfig(source, env)).toThrow(message);
    expect(message.split('. ')).toHaveLength(1);
  });
});

function kubeconfigYaml(cluster: string, server: string, context = cluster): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server } }],
    users: [{ name: `${cluster}-user`, user: { token: 't' } }],
    contexts: [{ name: context, context: { cluster, user: `${cluster}-user` } }],
    'current-context': context,
  });
}

describe('loadKubeConfig', () => {
  async function files(texts: Record<string, string>): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-kubeconfig-'));
    const paths: Record<string, string> = {};
    for (const [name, text] of Object.entries(texts)) {
      paths[name] = join(dir, name);
      await writeFile(paths[name], text);
    }
    return paths;
  }
  const real = (env: Record<string, string>): KubeConfigEnvironment => ({
    env,
    homeDir: '/nonexistent-home',
    exists: (file) => !file.startsWith('/nonexistent'),
  });

  it('merges $KUBECONFIG files with the first one winning, as kubectl does', async () => {
    const paths = await files({
      'a.yaml': kubeconfigYaml('prod', 'https://prod.example:6443'),
      'b.yaml': kubeconfigYaml('prod', 'https://other.example:6443', 'other'),
    });
    const kubeConfig = loadKubeConfig(
      {},
      real({ KUBECONFIG: [paths['a.yaml'], paths['b.yaml']].join(delimiter) }),
    );
    expect([kubeConfig.getCurrentContext(), kubeConfig.getCurrentCluster()?.server]).toEqual([
      'prod',
      'https://prod.example:6443',
    ]);
    expect(kubeConfig.getContexts().map((context) => context.name)).toEqual(['prod', 'other']);
  });

  it.each([
    [
      'a plain-HTTP server',
      kubeconfigYaml('local', 'http://localhost:8080'),
      'points at http://localhost:8080: ztgate talks to the API server over HTTPS only',
    ],
    [
      'a current context without a cluster',
      stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'gone' }),
      'has no cluster for its current context "gone"',
    ],
    ['a file that is not YAML', '{ [', 'cannot read'],
  ])('refuses %s with a sentence naming the file', async (_name, text, message) => {
    const paths = await files({ 'k.yaml': text });
    const load = () => loadKubeConfig({ kubeconfig: paths['k.yaml'] }, real({}));
    expect(load).toThrow(message);
    expect(load).toThrow(paths['k.yaml']);
    expect(load).not.toThrow(/skipTLSVerify/);
  });
});
