/**
 * ztgate outside the cluster, as the e2e suite runs it: `node bin/ztgate.js serve --kubeconfig`
 * on 127.0.0.1 with a certificate from `ztgate certs`, registered through webhook configurations
 * rendered from manifests/webhooks.yaml.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { ControlPlane } from '../control-plane.js';
import { kubectlOk } from './kubectl.js';
import { renderWebhooksForUrl } from './manifests.js';
import {
  findFreePort,
  httpsGet,
  isRunning,
  startProcess,
  stopProcess,
  tailLog,
  waitFor,
  type ManagedProcess,
} from './processes.js';

const run = promisify(execFile);

/** The repository root, where bin/ztgate.js lives. */
export const REPO_DIR = join(import.meta.dirname, '..', '..', '..');

/** Newest modification time (ms) of the files under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * How to start the CLI: `node bin/ztgate.js` (dist/, what users run), or src/ through tsx when
 * ZTGATE_E2E_FROM_SOURCE=1. A dist/ older than src/ is refused: it would test stale code.
 */
export function ztgateCommand(): string[] {
  if (process.env.ZTGATE_E2E_FROM_SOURCE === '1') {
    return ['--import', 'tsx', join(import.meta.dirname, 'run-ztgate-from-source.ts')];
  }
  const dist = join(REPO_DIR, 'dist');
  let built = 0;
  try {
    built = statSync(join(dist, 'cli', 'main.js')).mtimeMs;
  } catch {
    // reported below
  }
  if (built < newestMtime(join(REPO_DIR, 'src'))) {
    throw new Error(
      'dist/ is missing or older than src/: run `npm run build` (or set ZTGATE_E2E_FROM_SOURCE=1)',
    );
  }
  return [join(REPO_DIR, 'bin', 'ztgate.js')];
}

/** The serving certificate ztgate presents, and the CA the API server trusts it by. */
export interface ServingCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/** Runs the ztgate CLI; rejects with its stderr on a non-zero exit. */
export async function runZtgate(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [...ztgateCommand(), ...args], { cwd: REPO_DIR });
}

/** Makes a CA and a serving certificate for 127.0.0.1 with `ztgate certs`. */
export async function createServingCert(dir: string): Promise<ServingCert> {
  // --no-manifests: the repository's manifests/ must stay as committed.
  await runZtgate(['certs', '--ip', '127.0.0.1', '--out', dir, '--no-manifests']);
  return { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') };
}

/** A running ztgate. */
export interface Ztgate {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly cert: ServingCert;
  readonly process: ManagedProcess;
  /** The JSON log lines ztgate wrote so far. */
  logLines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `ztgate serve` against the control plane with `config` (YAML-serialised) and waits for /readyz; as the admin unless `options.kubeconfig`. */
export async function startZtgate(
  cp: ControlPlane,
  config: Record<string, unknown>,
  cert: ServingCert,
  options: { port?: number; kubeconfig?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<Ztgate> {
  const dir = mkdtempSync(join(cp.dir, 'ztgate-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(config));
  const listen = options.port ?? (await findFreePort());
  const url = `https://127.0.0.1:${listen}`;
  const args = [
    ...ztgateCommand(),
    'serve',
    '--kubeconfig',
    options.kubeconfig ?? cp.adminKubeconfig,
    '--config',
    configFile,
    '--host',
    '127.0.0.1',
    '--port',
    String(listen),
    '--tls-cert',
    cert.certFile,
    '--tls-key',
    cert.keyFile,
  ];
  const proc = startProcess('ztgate', process.execPath, args, join(dir, 'ztgate.log'), {
    ...process.env,
    ...options.env,
    POD_NAME: `ztgate-e2e-${listen}`,
  });
  const ca = readFileSync(cert.caFile, 'utf8');
  await waitFor(
    async () => isRunning(proc) && (await httpsGet(`${url}/readyz`, ca)).status === 200,
    60_000,
    () => `ztgate not ready on ${url}:\n${tailLog(proc)}`,
  ).catch(async (error: unknown) => {
    await stopProcess(proc);
    throw error;
  });
  return {
    url,
    cert,
    process: proc,
    logLines: () =>
      readFileSync(proc.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    // The dir lives in the control plane's temp dir, removed (or kept) with it.
    stop: () => stopProcess(proc),
  };
}

/**
 * Registers the webhook configurations of manifests/webhooks.yaml (with manifests-builtin/'s Pod
 * webhook when `builtin`), pointed at `url`.
 */
export async function registerWebhooks(
  cp: ControlPlane,
  url: string,
  caFile: string,
  options: { builtin?: boolean } = {},
): Promise<void> {
  const rendered = renderWebhooksForUrl(url, readFileSync(caFile, 'utf8'), options);
  const list = { apiVersion: 'v1', kind: 'List', items: rendered };
  await kubectlOk(
    { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig },
    ['apply', '-f', '-'],
    JSON.stringify(list),
  );
}

/**
 * Labels the exempt namespaces (creating ztgate-system) as 1.21+ does by itself
 * (kubernetes.io/metadata.name) and as the README tells 1.20 admins to (ztgate.dev/exempt=true):
 * the API server 1.20 here sets neither label.
 */
export async function labelExemptNamespaces(cp: ControlPlane, namespaces: readonly string[]): Promise<void> {
  const admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
  for (const ns of namespaces) {
    const manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    await kubectlOk(admin, ['apply', '-f', '-'], JSON.stringify(manifest));
    await kubectlOk(admin, [
      'label',
      '--overwrite',
      'namespace',
      ns,
      `kubernetes.io/metadata.name=${ns}`,
      'ztgate.dev/exempt=true',
    ]);
  }
}
