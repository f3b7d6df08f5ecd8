/**
 * `npm run bench:cluster`: what `ztgate serve --kubeconfig` costs on a cluster of the bench's
 * generated size, against a real kube-apiserver 1.20 + etcd (the e2e control plane):
 * 1. ztgate on the empty control plane (the base for extrapolating);
 * 2. the generated cluster loaded (cluster-load.ts), timed;
 * 3. the API server's lists alone, as ztgate makes them (cluster-lists.ts): start-up's baseline;
 *    then ztgate started on it: start → /readyz, RSS once ready, once its controllers settled and
 *    after a quiet minute;
 * 4. ztgate's Pod webhooks registered (builtin injector, as test/bench/ztgate-config.yaml), then
 *    publish time after a one-namespace change (cluster-publish.ts);
 * 5. pod churn through the webhooks with RSS read every 10 s (cluster-churn.ts);
 * 6. one table with the targets (cluster-report.ts), `--json FILE`.
 * Flags: --scale N (1), --churn-minutes N (10), --rate N (20 pods/s), --publish-changes N (10),
 * --quiet-seconds N (60: RSS is read again this long after the controllers settled),
 * --quick (scale 0.02, 1 minute, 5 changes, 5 s of quiet: CI's smoke run), --strict (fail on missed targets
 * too; otherwise only errors fail), --json FILE.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { controlPlaneAvailable, startControlPlane, type ControlPlane } from '../e2e/control-plane.js';
import { renderWebhooksForUrl } from '../e2e/support/manifests.js';
import { waitFor } from '../e2e/support/processes.js';
import { ztgateCommand } from '../e2e/support/ztgate.js';
import { ensureBenchCerts, type BenchCerts } from './bench-certs.js';
import { churnObjects, churnPod, runChurn, type ChurnOptions } from './cluster-churn.js';
import { timeLists } from './cluster-lists.js';
import { loadCluster, planLoad } from './cluster-load.js';
import { measurePublish, probeObjects } from './cluster-publish.js';
import { checkTargets, formatReport, type ClusterBenchFigures, type ServeFigures } from './cluster-report.js';
import { BENCH_CONFIG_FILE, listenArgs } from './commands.js';
import { generateCluster, namespaceName } from './generate.js';
import { createAgent, send } from './https-client.js';
import { createKubeApi, objectPath, type KubeApi } from './kube-api.js';
import { startServer, type RunningServer } from './server-process.js';

const WORK = '.bench';
/**
 * kube-controller-manager without the controllers whose catch-up on a freshly loaded cluster would
 * outlast the load (each writes at its client's 20 requests/s: a token Secret for each of 20,000
 * ServiceAccounts, status for 20,000 Deployments and ReplicaSets). None of it reaches ztgate's
 * view: it strips status and watches no Secrets. The churn's pods mount no API token.
 */
const CONTROLLERS = '*,-serviceaccount-token,-deployment,-replicaset';
const EXEMPT = new Set(DEFAULT_CONFIG.exemptNamespaces);
const SIDECAR = DEFAULT_CONFIG.sidecar.containerName;

function log(line: string): void {
  process.stderr.write(`bench:cluster: ${line}\n`);
}

/** Namespaces ztgate enforces in: every namespace but the exempt ones. */
async function enforcedNamespaces(api: KubeApi): Promise<number> {
  const items = (await api.send('GET', '/api/v1/namespaces')).body?.['items'] as {
    metadata: { name: string };
  }[];
  return items.filter((ns) => !EXEMPT.has(ns.metadata.name)).length;
}

/** ztgate's DNS allowances in the cluster: its default-deny controller has reached that many namespaces. */
async function dnsAllowances(api: KubeApi): Promise<number> {
  const name = DEFAULT_CONFIG.defaultDeny.dns.policyName;
  const path = `/apis/networking.k8s.io/v1/networkpolicies?fieldSelector=metadata.name%3D${name}`;
  return ((await api.send('GET', path)).body?.['items'] as unknown[]).length;
}

/** Starts ztgate on the control plane and measures it until its controllers have reached every namespace. */
async function startZtgate(
  cp: ControlPlane,
  api: KubeApi,
  certs: BenchCerts,
  label: string,
  quietS: number,
): Promise<{ server: RunningServer; figures: ServeFigures }> {
  const server = await startServer({
    label: `ztgate (${label})`,
    args: [
      ...ztgateCommand(),
      'serve',
      '--kubeconfig',
      cp.adminKubeconfig,
      '--config',
      BENCH_CONFIG_FILE,
      ...listenArgs(certs),
    ],
    logFile: join(WORK, 'logs', `cluster-${label}.log`),
    caFile: certs.certFile,
    readyTimeoutMs: 600_000,
  });
  const ready = await server.memory();
  const wanted = await enforcedNamespaces(api);
  const started = performance.now();
  await waitFor(
    async () => (await dnsAllowances(api)) >= wanted,
    600_000,
    () => `ztgate's controllers did not reach ${wanted} namespaces in 10 minutes`,
    1000,
  ).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const settled = await server.memory();
  const reconcileS = (performance.now() - started) / 1000;
  // The settled reading comes right after the controllers' last write, before V8's memory reducer
  // has had an idle moment to collect what the writes left: read again once the server was quiet.
  await new Promise((resolve) => setTimeout(resolve, quietS * 1000));
  const quiet = await server.memory();
  log(
    `${label}: ready in ${(server.readyMs / 1000).toFixed(2)} s, RSS ${ready.rssMiB.toFixed(0)} → ${settled.rssMiB.toFixed(0)} MiB, ${quiet.rssMiB.toFixed(0)} MiB ${quietS} s later`,
  );
  return {
    server,
    figures: {
      readyS: server.readyMs / 1000,
      readyMiB: ready.rssMiB,
      settledMiB: settled.rssMiB,
      peakMiB: settled.peakMiB,
      reconcileS,
      quietMiB: quiet.rssMiB,
      quietS,
    },
  };
}

/** Labels the system namespaces as 1.21+ does (the webhooks' namespaceSelector reads the label) and makes ztgate's own. */
async function prepareSystemNamespaces(api: KubeApi): Promise<void> {
  for (const name of ['kube-system', 'kube-public', 'kube-node-lease', 'default']) {
    const patch = { metadata: { labels: { 'kubernetes.io/metadata.name': name } } };
    await api.send('PATCH', `/api/v1/namespaces/${name}`, patch);
  }
  const labels = { 'kubernetes.io/metadata.name': 'ztgate-system', 'ztgate.dev/exempt': 'true' };
  await api.send(
    'POST',
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ztgate-system', labels } },
    [409],
  );
}

/** Registers ztgate's webhooks (manifests/ plus the builtin overlay's Pod webhook) and waits until a pod is injected. */
async function registerWebhooks(
  api: KubeApi,
  port: number,
  certs: BenchCerts,
  churn: ChurnOptions,
): Promise<void> {
  for (const configuration of renderWebhooksForUrl(`https://127.0.0.1:${port}`, certs.cert, {
    builtin: true,
  }))
    await api.send('POST', objectPath(configuration), configuration);
  const pod = churnPod(churn, 0);
  const check = { ...pod, metadata: { ...pod.metadata, name: 'bench-webhook-check' } };
  let last = '';
  await waitFor(
    async () => {
      const answer = await api.call('POST', objectPath(check), check);
      last = `HTTP ${answer.status} ${answer.text.slice(0, 400)}`;
      if (answer.status !== 201) return false;
      await api.send('DELETE', objectPath(check, true));
      const containers = (answer.body?.['spec'] as { containers: { name: string }[] }).containers;
      return containers.some((c) => c.name === SIDECAR);
    },
    60_000,
    () => `no pod was created with ztgate's sidecar within 60 s; last answer: ${last}`,
    500,
  );
}

/** ztgate's answered requests by route, from its /metrics. */
async function ztgateCalls(port: number, ca: string): Promise<{ mutate: number; validate: number }> {
  const agent = createAgent(ca, 1);
  try {
    const text = (await send(agent, port, 'GET', '/metrics')).text;
    const calls = { mutate: 0, validate: 0 };
    for (const line of text.split('\n')) {
      if (!line.startsWith('ztgate_admission_requests_total{')) continue;
      const route = /route="(\w+)"/.exec(line)?.[1];
      if (route === 'mutate' || route === 'validate')
        calls[route] += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return calls;
  } finally {
    agent.destroy();
  }
}

interface RunOptions {
  readonly scale: number;
  /** Seconds of quiet after the controllers settled before RSS is read again. */
  readonly quietS: number;
  readonly churn: ChurnOptions;
  readonly publishChanges: number;
}

async function run(options: RunOptions): Promise<ClusterBenchFigures> {
  mkdirSync(join(WORK, 'logs'), { recursive: true });
  const certs = await ensureBenchCerts(join(WORK, 'certs'));
  const cluster = generateCluster({ scale: options.scale, seed: 42 });
  const probeNamespace = namespaceName(0);
  log(
    `generated ${cluster.objects.length} objects (${cluster.counts.namespaces} namespaces); starting etcd and kube-apiserver`,
  );
  const loadAverage = loadavg();
  const cp = await startControlPlane({ controllers: CONTROLLERS });
  const api = createKubeApi(cp.server, readFileSync(cp.caFile, 'utf8'), cp.adminToken);
  let server: RunningServer | undefined;
  try {
    await prepareSystemNamespaces(api);
    const empty = await startZtgate(cp, api, certs, 'empty', 0);
    await empty.server.stop();
    const plan = planLoad(cluster.objects, [...probeObjects(probeNamespace), ...churnObjects(options.churn)]);
    const load = await loadCluster(api, plan, log);
    const lists = await timeLists(cp.adminKubeconfig);
    log(
      `the API server's lists alone: ${lists.runsS.map((s) => s.toFixed(2)).join(', ')} s (${lists.objects} objects)`,
    );
    const loaded = await startZtgate(cp, api, certs, `scale-${options.scale}`, options.quietS);
    server = loaded.server;
    await registerWebhooks(api, server.port, certs, options.churn);
    log(
      `measuring publish time: ${options.publishChanges} Deployments added and removed in ${probeNamespace}`,
    );
    const publish = await measurePublish(
      api,
      server.port,
      certs.cert,
      probeNamespace,
      options.publishChanges,
    );
    log(
      `churn: ${options.churn.rate} pods/s for ${options.churn.minutes} min in ${options.churn.namespaces} namespaces`,
    );
    const before = await ztgateCalls(server.port, certs.cert);
    const running = server;
    const churn = await runChurn(
      api,
      () => running.memory(),
      { ...options.churn, sidecarName: SIDECAR },
      log,
    );
    const after = await ztgateCalls(server.port, certs.cert);
    const perPod = (route: 'mutate' | 'validate'): number =>
      (after[route] - before[route]) / Math.max(1, churn.created);
    return {
      date: new Date().toISOString(),
      scale: options.scale,
      namespaces: cluster.counts.namespaces,
      generated: cluster.objects.length,
      loadAverage,
      load,
      lists,
      empty: empty.figures,
      loaded: loaded.figures,
      publish,
      churn,
      webhookCallsPerPod: { mutate: perPod('mutate'), validate: perPod('validate') },
    };
  } finally {
    api.close();
    await server?.stop();
    await cp.stop();
  }
}

function number(value: string | undefined, flag: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${flag} takes a number ≥ ${min}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string' },
      'churn-minutes': { type: 'string' },
      rate: { type: 'string', default: '20' },
      'publish-changes': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'quiet-seconds': { type: 'string' },
      strict: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  if (!controlPlaneAvailable())
    throw new Error('the control plane binaries are missing: run bash test/e2e/setup-control-plane.sh first');
  const quick = values.quick;
  const options: RunOptions = {
    scale: number(values.scale ?? (quick ? '0.02' : '1'), 'scale', 0.0005),
    quietS: number(values['quiet-seconds'] ?? (quick ? '5' : '60'), 'quiet-seconds', 0),
    publishChanges: number(values['publish-changes'] ?? (quick ? '5' : '10'), 'publish-changes', 1),
    churn: {
      rate: number(values.rate, 'rate', 0.1),
      minutes: number(values['churn-minutes'] ?? (quick ? '1' : '10'), 'churn-minutes', 0.1),
      namespaces: 4,
      lifetimeS: 10,
      sampleS: 10,
    },
  };
  const figures = await run(options);
  process.stdout.write(`${formatReport(figures)}\n`);
  const targets = checkTargets(figures);
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ ...figures, targets }, null, 2));
  if (figures.churn.errors > 0)
    throw new Error(
      `${figures.churn.errors} churn requests failed: ${figures.churn.errorSamples.join('; ')}`,
    );
  const missed = targets.filter((row) => row.pass === false);
  if (values.strict && missed.length > 0)
    throw new Error(`targets not met: ${missed.map((m) => m.name).join('; ')}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
