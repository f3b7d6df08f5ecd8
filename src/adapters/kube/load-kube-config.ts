import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** Where to find the cluster: a kubeconfig file, the pod's in-cluster credentials, or the lookup. */
export interface KubeConfigSource {
  readonly kubeconfig?: string;
  readonly inCluster?: boolean;
}

/** What the lookup reads from the process: its environment, home folder and file system. */
export interface KubeConfigEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly exists: (file: string) => boolean;
}

/** Which source the lookup picked, and the files it reads (none for in-cluster). */
export interface KubeConfigChoice {
  readonly from: '--kubeconfig' | '$KUBECONFIG' | '~/.kube/config' | 'in-cluster';
  readonly files: readonly string[];
}

/** The ServiceAccount token every pod gets (unless automountServiceAccountToken is false). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** This process's environment, read at each lookup (tests change $HOME and $KUBECONFIG). */
function processEnvironment(): KubeConfigEnvironment {
  return { env: process.env, homeDir: homedir(), exists: existsSync };
}

function inClusterProblem(environment: KubeConfigEnvironment): string | undefined {
  if (!environment.env['KUBERNETES_SERVICE_HOST'] || !environment.env['KUBERNETES_SERVICE_PORT'])
    return 'KUBERNETES_SERVICE_HOST/PORT are unset';
  if (!environment.exists(SERVICE_ACCOUNT_TOKEN)) return `${SERVICE_ACCOUNT_TOKEN} is absent`;
  return undefined;
}

/**
 * Picks the configuration as kubectl does: --kubeconfig, else the files of $KUBECONFIG that exist,
 * else ~/.kube/config, else the pod's in-cluster credentials. Throws one sentence naming what was
 * tried when none is there (client-node would fall back to http://localhost:8080 instead).
 */
export function chooseKubeConfig(
  source: KubeConfigSource = {},
  environment: KubeConfigEnvironment = processEnvironment(),
): KubeConfigChoice {
  if (source.kubeconfig !== undefined) {
    if (!environment.exists(source.kubeconfig))
      throw new Error(`no kubeconfig at ${source.kubeconfig} (given with --kubeconfig)`);
    return { from: '--kubeconfig', files: [source.kubeconfig] };
  }
  const inCluster = inClusterProblem(environment);
  if (source.inCluster === true) {
    if (inCluster !== undefined)
      throw new Error(`no in-cluster configuration: ${inCluster} (is this running in a pod?)`);
    return { from: 'in-cluster', files: [] };
  }
  const listed = (environment.env['KUBECONFIG'] ?? '').split(delimiter).filter((file) => file !== '');
  const present = listed.filter((file) => environment.exists(file));
  if (present.length > 0) return { from: '$KUBECONFIG', files: present };
  const home = join(environment.homeDir, '.kube', 'config');
  if (environment.exists(home)) return { from: '~/.kube/config', files: [home] };
  if (inCluster === undefined) return { from: 'in-cluster', files: [] };
  const kubeconfigVariable =
    listed.length === 0 ? '$KUBECONFIG is unset' : `$KUBECONFIG names no file that exists`;
  throw new Error(
    `no Kubernetes configuration found: no --kubeconfig given, ${kubeconfigVariable}, ${home} is absent, ` +
      `and this is not a pod (${inCluster}); pass --kubeconfig FILE, or --state DIR for a folder of manifests`,
  );
}

function readFiles(files: readonly string[]): KubeConfig {
  const [first, ...rest] = files;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(first as string);
  // Like kubectl: the first file that names a cluster, user, context or current context wins.
  for (const file of rest) {
    const other = new KubeConfig();
    other.loadFromFile(file);
    const has = (list: readonly { name: string }[], name: string): boolean =>
      list.some((item) => item.name === name);
    for (const cluster of other.clusters)
      if (!has(kubeConfig.clusters, cluster.name)) kubeConfig.addCluster(cluster);
    for (const user of other.users) if (!has(kubeConfig.users, user.name)) kubeConfig.addUser(user);
    for (const context of other.contexts)
      if (!has(kubeConfig.contexts, context.name)) kubeConfig.addContext(context);
    if (!kubeConfig.getCurrentContext()) kubeConfig.setCurrentContext(other.getCurrentContext());
  }
  return kubeConfig;
}

/**
 * Loads the KubeConfig `chooseKubeConfig` picks and checks it can reach a cluster over HTTPS.
 * Every failure is an Error with one sentence naming the file or the source.
 */
export function loadKubeConfig(
  source: KubeConfigSource = {},
  environment: KubeConfigEnvironment = processEnvironment(),
): KubeConfig {
  const choice = chooseKubeConfig(source, environment);
  const where = choice.files.length > 0 ? choice.files.join(delimiter) : 'the in-cluster configuration';
  let kubeConfig: KubeConfig;
  try {
    kubeConfig = choice.files.length > 0 ? readFiles(choice.files) : new KubeConfig();
    if (choice.files.length === 0) kubeConfig.loadFromCluster();
  } catch (error) {
    throw new Error(`cannot read ${where} (${choice.from}): ${(error as Error).message}`);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new Error(
      `${where} (${choice.from}) has no cluster for its current context "${kubeConfig.getCurrentContext()}"`,
    );
  }
  // ztgate's watches carry credentials; client-node refuses http:// only at the first request.
  if (!cluster.server.startsWith('https://')) {
    throw new Error(
      `${where} (${choice.from}) points at ${cluster.server}: ztgate talks to the API server over HTTPS only`,
    );
  }
  return kubeConfig;
}
