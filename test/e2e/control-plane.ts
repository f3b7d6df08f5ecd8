/**
 * A real Kubernetes control plane for the e2e suite: etcd, kube-apiserver and
 * kube-controller-manager on 127.0.0.1, from the binaries test/e2e/setup-control-plane.sh builds.
 * No kubelet or scheduler: Pods are admitted (and mutated) and then stay Pending.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E_USER, writeControlPlanePki, writeKubeconfig, type ControlPlanePki } from './support/pki.js';
import {
  findFreePort,
  httpsGet,
  isRunning,
  startProcess,
  stopProcess,
  tailLog,
  waitFor,
  type ManagedProcess,
} from './support/processes.js';

/** Options for {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Keep the temp dir (logs, certs, etcd data) after stop(); also set by ZTGATE_E2E_KEEP=1. */
  readonly keep?: boolean;
  /** Milliseconds to wait for the API server and the controller manager; default 90 s. */
  readonly startTimeoutMs?: number;
  /** kube-controller-manager's --controllers; default `*` (every controller). */
  readonly controllers?: string;
}

/** A running control plane. */
export interface ControlPlane {
  /** API server URL, https://127.0.0.1:<port>. */
  readonly server: string;
  /** CA that signed the API server's certificate. */
  readonly caFile: string;
  /** Kubeconfig of the admin (group system:masters); same as `adminKubeconfig`. */
  readonly kubeconfig: string;
  readonly adminKubeconfig: string;
  /** Kubeconfig of the non-admin user (group `developers`). */
  readonly userKubeconfig: string;
  readonly adminToken: string;
  readonly userToken: string;
  /** The non-admin user's name and group. */
  readonly user: typeof E2E_USER;
  /** The kubectl built with the API server (same minor version), or `kubectl` from PATH. */
  readonly kubectl: string;
  /** Temp dir holding certs, kubeconfigs, etcd data and the process logs. */
  readonly dir: string;
  /** The running kube-apiserver's process id (benches read its CPU time). */
  apiServerPid(): number | undefined;
  /** Kills kube-apiserver alone (etcd and the controller manager keep running): an outage. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and resolves once it is ready. */
  startApiServer(): Promise<void>;
  /** Stops all three processes and removes the temp dir. */
  stop(): Promise<void>;
}

/** Where setup-control-plane.sh puts the binaries. */
export const KUBE_BIN_DIR = join(
  process.env.ZTGATE_KUBE_CACHE ?? join(homedir(), '.cache', 'ztgate', 'kube'),
  'bin',
);

function findEtcd(): string {
  for (const candidate of [process.env.ZTGATE_ETCD, '/usr/bin/etcd', '/usr/local/bin/etcd']) {
    if (candidate !== undefined && existsSync(candidate)) return candidate;
  }
  return 'etcd';
}

/** Whether the binaries exist, so a suite can say why it skips instead of failing obscurely. */
export function controlPlaneAvailable(): boolean {
  const bins = ['kube-apiserver', 'kube-controller-manager'].map((b) => join(KUBE_BIN_DIR, b));
  return bins.every((b) => existsSync(b)) && findEtcd() !== 'etcd';
}

async function startEtcd(dir: string): Promise<{ proc: ManagedProcess; url: string }> {
  const [client, peer] = [await findFreePort(), await findFreePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = startProcess(
    'etcd',
    findEtcd(),
    [
      '--name=e2e',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=e2e=${peerUrl}`,
    ],
    join(dir, 'etcd.log'),
  );
  return { proc, url };
}

function apiServerArgs(pki: ControlPlanePki, etcdUrl: string, port: number, dir: string): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    '--insecure-port=0',
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${pki.serverCertFile}`,
    `--tls-private-key-file=${pki.serverKeyFile}`,
    `--token-auth-file=${pki.tokenFile}`,
    '--authorization-mode=RBAC',
    '--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota',
    '--service-cluster-ip-range=10.0.0.0/24',
    `--service-account-key-file=${pki.serviceAccountKeyFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--api-audiences=https://kubernetes.default.svc.cluster.local',
    '--allow-privileged=true',
    '--profiling=false',
  ];
}

function controllerManagerArgs(pki: ControlPlanePki, kubeconfig: string, controllers: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    // No serving ports: readiness is judged by what the controllers create, and parallel runs
    // must not fight over 10252/10257.
    '--port=0',
    '--secure-port=0',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccountKeyFile}`,
    `--root-ca-file=${pki.caFile}`,
    `--controllers=${controllers}`,
    '--leader-elect=false',
  ];
}

/** Starts etcd, kube-apiserver and kube-controller-manager; resolves once Pods can be created. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  if (!controlPlaneAvailable()) {
    throw new Error(`control plane binaries missing in ${KUBE_BIN_DIR}: run test/e2e/setup-control-plane.sh`);
  }
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const keep = options.keep === true || process.env.ZTGATE_E2E_KEEP === '1';
  const dir = mkdtempSync(join(tmpdir(), 'ztgate-e2e-'));
  const procs: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const proc of [...procs].reverse()) await stopProcess(proc);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = writeControlPlanePki(dir);
    const etcd = await startEtcd(dir);
    procs.push(etcd.proc);
    const port = await findFreePort();
    const server = `https://127.0.0.1:${port}`;
    const ca = readFileSync(pki.caFile, 'utf8');
    let apiserver: ManagedProcess | undefined;
    let starts = 0;
    const startApiServer = async (): Promise<void> => {
      starts += 1;
      const started = startProcess(
        'kube-apiserver',
        join(KUBE_BIN_DIR, 'kube-apiserver'),
        apiServerArgs(pki, etcd.url, port, dir),
        join(dir, starts === 1 ? 'kube-apiserver.log' : `kube-apiserver-${starts}.log`),
      );
      apiserver = started;
      procs.push(started);
      await waitFor(
        async () =>
          isRunning(started) && (await httpsGet(`${server}/readyz`, ca, pki.adminToken)).status === 200,
        timeoutMs,
        () =>
          `kube-apiserver not ready within ${timeoutMs} ms:\n${tailLog(started)}\n--- etcd:\n${tailLog(etcd.proc)}`,
      );
    };
    await startApiServer();
    const adminKubeconfig = writeKubeconfig(
      join(dir, 'admin.kubeconfig'),
      server,
      pki.caFile,
      'admin',
      pki.adminToken,
    );
    const userKubeconfig = writeKubeconfig(
      join(dir, 'user.kubeconfig'),
      server,
      pki.caFile,
      E2E_USER.name,
      pki.userToken,
    );
    const kcm = startProcess(
      'kube-controller-manager',
      join(KUBE_BIN_DIR, 'kube-controller-manager'),
      controllerManagerArgs(pki, adminKubeconfig, options.controllers ?? '*'),
      join(dir, 'kube-controller-manager.log'),
    );
    procs.push(kcm);
    // Pods in 1.20 need the namespace's default ServiceAccount and its token Secret (the
    // ServiceAccount admission plugin refuses them until the tokens controller has run), unless
    // the tokens controller is off (then only pods that mount no token are admitted).
    const tokens = !(options.controllers ?? '*').split(',').includes('-serviceaccount-token');
    await waitFor(
      async () => {
        const res = await httpsGet(
          `${server}/api/v1/namespaces/default/serviceaccounts/default`,
          ca,
          pki.adminToken,
        );
        const sa = res.status === 200 ? (JSON.parse(res.body) as { secrets?: unknown[] }) : {};
        return isRunning(kcm) && res.status === 200 && (!tokens || (sa.secrets?.length ?? 0) > 0);
      },
      timeoutMs,
      () => `kube-controller-manager made no default ServiceAccount within ${timeoutMs} ms:\n${tailLog(kcm)}`,
    );
    const kubectlBin = join(KUBE_BIN_DIR, 'kubectl');
    return {
      server,
      caFile: pki.caFile,
      kubeconfig: adminKubeconfig,
      adminKubeconfig,
      userKubeconfig,
      adminToken: pki.adminToken,
      userToken: pki.userToken,
      user: E2E_USER,
      kubectl: existsSync(kubectlBin) ? kubectlBin : 'kubectl',
      dir,
      apiServerPid: () => (apiserver !== undefined && isRunning(apiserver) ? apiserver.child.pid : undefined),
      stopApiServer: async () => {
        // SIGKILL: an outage, not a graceful shutdown (that lets watches drain for seconds).
        if (apiserver === undefined || !isRunning(apiserver)) return;
        apiserver.child.kill('SIGKILL');
        await apiserver.exited;
      },
      startApiServer,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
