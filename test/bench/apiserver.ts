/**
 * `npm run bench:apiserver`: what a pod creation pays for ztgate through the real API server.
 *
 * One kube-apiserver 1.20 + etcd (the e2e control plane), one `ztgate serve` against it, and a
 * bare webhook in this process. Each phase has a namespace of its own, selected by webhook
 * configurations registered for it, so switching phase is switching namespace and the API server
 * is the same for all of them:
 * - `none`: no webhook;
 * - `bare`: a bare Fastify HTTPS server in its own process (ztgate's TLS settings) answering ztgate's own answers,
 *   recorded per pod body in the warm-up (the same patch bytes), with the webhook settings ztgate
 *   ships (reinvocation, timeouts, selectors' shape);
 * - `bare-small`: the same bare server answering a one-operation patch: what the patch's size
 *   costs the API server (applying and re-validating it, the reinvocation it triggers);
 * - `ztgate`: ztgate's /mutate and /validate;
 * - `mesh-bare` and `mesh-ztgate`: the configuration ztgate ships by default, where the mesh's own
 *   injector adds the proxy (Istio sidecars: Istio's injector registration, answered by the e2e
 *   suite's stand-in injector in this process) and ztgate registers only /validate for pods,
 *   answered by the bare webhook or by a second `ztgate serve` with the default config
 *   (`mesh.provider: istio`; a follower of the first one's Lease, so it judges and writes nothing).
 *
 * The workload: `POST /api/v1/namespaces/<ns>/pods?dryRun=All` of one 5 KB pod, sequential on one
 * keep-alive connection; the phases alternate round by round so noise hits them all. Webhook
 * calls per pod come from the API server's own metric
 * (apiserver_admission_webhook_admission_duration_seconds_count, by webhook name); CPU per pod of
 * the API server and of the phase's webhook server from /proc/<pid>/stat around each phase's
 * requests (the metric reads outside it), so a latency difference can be put on one of them.
 *
 * Flags: --rounds N (3), --requests N per phase and round (300), --quick (1 round × 40), --json FILE.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { controlPlaneAvailable, startControlPlane, type ControlPlane } from '../e2e/control-plane.js';
import { kubectlOk } from '../e2e/support/kubectl.js';
import { startMeshInjector, type MeshInjector } from '../e2e/support/mesh-injector.js';
import { istioSecurityCrds } from '../e2e/support/objects.js';
import { istioInjectorWebhooks } from '../support/mesh-webhooks.js';
import { renderWebhooksForUrl, type WebhookSpec } from '../e2e/support/manifests.js';
import { findFreePort, httpsGet, waitFor } from '../e2e/support/processes.js';
import {
  createServingCert,
  labelExemptNamespaces,
  startZtgate,
  type ServingCert,
  type Ztgate,
} from '../e2e/support/ztgate.js';
import { readCpuMs, SERVER_NODE_OPTIONS } from './server-process.js';
import {
  formatApiserverReport,
  judgeApiserverTargets,
  PHASES,
  type ApiserverReport,
  type Phase,
  type PhaseFigures,
} from './apiserver-report.js';
import { summarize, median } from './stats.js';

/** The label that puts a namespace under one phase's webhooks. */
const PHASE_LABEL = 'bench.ztgate.dev/phase';

/** ztgate's config for the bench: its own injector with test images (the pods are never run). */
const ZTGATE_CONFIG = {
  mesh: { provider: 'builtin' },
  sidecar: { image: 'registry.example/bench/proxy:1', initImage: 'registry.example/bench/proxy-init:1' },
};

/** The mesh phases' ztgate: the shipped defaults (Istio sidecars, injected by Istio's injector). */
const ZTGATE_MESH_CONFIG = {};

/** The phases where the mesh's injector adds the proxy and ztgate only validates. */
const MESH_PHASES: readonly Phase[] = ['mesh-bare', 'mesh-ztgate'];

const ONE_OP_PATCH = Buffer.from(
  // The bench pod has no annotations: `add` of the whole map (it replaces one that exists).
  JSON.stringify([{ op: 'add', path: '/metadata/annotations', value: { 'bench.ztgate.dev/seen': 'true' } }]),
).toString('base64');

function log(line: string): void {
  process.stderr.write(`bench:apiserver: ${line}\n`);
}

/** A pod of about 5 KB as a ReplicaSet's create carries it (env, probes, resources, labels). */
export function benchPod(name: string, targetBytes = 5_000): Record<string, unknown> {
  const env = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'api', 'pod-template-hash': '7c9d8f' } },
    spec: {
      serviceAccountName: 'api',
      containers: [
        {
          name: 'api',
          image: 'registry.example/shop/api:1.4.2',
          ports: [{ name: 'http', containerPort: 8080 }],
          env,
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10 },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
  for (let i = 0; JSON.stringify(pod).length < targetBytes; i++) {
    env.push({
      name: `APP_SETTING_${i}`,
      value: createHash('sha256').update(String(i)).digest('hex'),
    } as never);
  }
  return pod;
}

/** The pod's identity for the bare webhook's record: the object without what the API server varies. */
function bodyKey(object: Record<string, unknown> | undefined): string {
  const metadata = { ...((object?.['metadata'] as Record<string, unknown> | undefined) ?? {}) };
  for (const key of ['uid', 'creationTimestamp', 'managedFields', 'namespace', 'resourceVersion'])
    delete metadata[key];
  return createHash('sha256')
    .update(JSON.stringify({ ...object, metadata }))
    .digest('hex');
}

interface AdmissionBody {
  readonly request?: { readonly uid?: string; readonly object?: Record<string, unknown> };
}

/** The bare webhook: Fastify HTTPS with HTTP/2 and HTTP/1.1, answering recorded or one-op patches. */
async function startBareWebhook(
  cert: ServingCert,
  ztgateUrl: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const ca = readFileSync(cert.caFile);
  const recorded = new Map<string, string | undefined>();
  const agent = new Agent({ keepAlive: true, ca });
  const app: FastifyInstance = Fastify({
    http2: true,
    https: {
      allowHTTP1: true,
      key: readFileSync(cert.keyFile),
      cert: readFileSync(cert.certFile),
      minVersion: 'TLSv1.2',
    },
    bodyLimit: 3 * 1024 * 1024,
    logger: false,
  } as never) as unknown as FastifyInstance;
  const reply = (uid: string, patch: string | undefined): object => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response:
      patch === undefined ? { uid, allowed: true } : { uid, allowed: true, patchType: 'JSONPatch', patch },
  });
  app.post('/validate', async (req) => reply(String((req.body as AdmissionBody).request?.uid), undefined));
  app.post('/mutate-small', async (req) =>
    reply(String((req.body as AdmissionBody).request?.uid), ONE_OP_PATCH),
  );
  app.post('/mutate', async (req) => {
    const body = req.body as AdmissionBody;
    const key = bodyKey(body.request?.object);
    if (!recorded.has(key)) {
      // First sight of this body (the warm-up): ask ztgate once and keep its answer.
      const answer = await postJson<{ response?: { patch?: string } }>(`${ztgateUrl}/mutate`, body, agent);
      recorded.set(key, answer.response?.patch);
    }
    return reply(String(body.request?.uid), recorded.get(key));
  });
  const port = await findFreePort();
  await app.listen({ host: '127.0.0.1', port });
  return {
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      agent.destroy();
      await app.close();
    },
  };
}

function postJson<T>(url: string, body: unknown, agent: Agent, token?: string): Promise<T> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300)
            reject(new Error(`${url}: ${res.statusCode} ${text.slice(0, 600)}`));
          else resolve(JSON.parse(text) as T);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function getText(url: string, agent: Agent, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Calls per webhook name so far, from the API server's admission metric. */
export function webhookCalls(metrics: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_admission_webhook_admission_duration_seconds_count{')) continue;
    const name = /[{,]name="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (name !== undefined && Number.isFinite(value)) calls.set(name, (calls.get(name) ?? 0) + value);
  }
  return calls;
}

/**
 * The pod webhooks ztgate ships, renamed and re-pointed for one phase: same rules, reinvocation,
 * timeouts and failure policy, selecting only the phase's namespace.
 */
function phaseWebhooks(phase: Phase, url: string, caPem: string): Record<string, unknown>[] {
  // ztgate runs its own injector here (ZTGATE_CONFIG): the base plus manifests-builtin/'s Pod webhook.
  // Under a mesh's injector ztgate registers no Pod mutation (manifests/ without manifests-builtin/).
  const configurations = renderWebhooksForUrl(url, caPem, { builtin: !MESH_PHASES.includes(phase) });
  const selects = (webhook: WebhookSpec): boolean =>
    webhook.rules.some((rule) => rule.resources.includes('pods') && rule.operations.includes('CREATE'));
  return configurations
    .map((configuration) => {
      const webhooks = configuration.webhooks.filter(selects).map((webhook) => {
        const target = new URL(webhook.clientConfig.url ?? url);
        if (phase === 'bare-small' && configuration.kind === 'MutatingWebhookConfiguration')
          target.pathname = '/mutate-small';
        return {
          ...webhook,
          name: `${phase}.${webhook.name}`,
          clientConfig: { ...webhook.clientConfig, url: target.toString() },
          namespaceSelector: { matchLabels: { [PHASE_LABEL]: phase } },
          objectSelector: undefined,
        };
      });
      return { ...configuration, metadata: { name: `bench-${phase}` }, webhooks };
    })
    .filter((configuration) => configuration.webhooks.length > 0);
}

interface PhaseRound {
  readonly samples: number[];
  readonly calls: Map<string, number>;
  /** CPU per pod (ms) of the API server and of the phase's webhook server (undefined for none). */
  readonly apiserverCpuMs: number;
  readonly webhookCpuMs: number | undefined;
}

/** The processes whose CPU a phase reads: the API server's, and the webhook server's if any. */
interface PhasePids {
  readonly apiserver: number | undefined;
  readonly webhook: number | undefined;
}

/** CPU time (ms) of a process, or NaN when it is not known. */
async function cpuOf(pid: number | undefined): Promise<number> {
  return pid === undefined ? Number.NaN : readCpuMs(pid);
}

async function runPhase(
  cp: ControlPlane,
  agent: Agent,
  phase: Phase,
  count: number,
  pod: Record<string, unknown>,
  pids: PhasePids,
): Promise<PhaseRound> {
  const metricsUrl = `${cp.server}/metrics`;
  const before = webhookCalls(await getText(metricsUrl, agent, cp.adminToken));
  const cpuBefore = [await cpuOf(pids.apiserver), await cpuOf(pids.webhook)];
  const url = `${cp.server}/api/v1/namespaces/bench-${phase}/pods?dryRun=All`;
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const created = await postJson<{ metadata?: { name?: string } }>(url, pod, agent, cp.adminToken);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (created.metadata?.name !== pod['metadata'] && created.metadata?.name === undefined)
      throw new Error(`${phase}: the API server answered no pod`);
  }
  const cpuAfter = [await cpuOf(pids.apiserver), await cpuOf(pids.webhook)];
  const perPod = (i: number): number => ((cpuAfter[i] ?? Number.NaN) - (cpuBefore[i] ?? Number.NaN)) / count;
  const after = webhookCalls(await getText(metricsUrl, agent, cp.adminToken));
  const calls = new Map<string, number>();
  for (const [name, value] of after) {
    if (!name.startsWith(`${phase}.`)) continue;
    calls.set(name.slice(phase.length + 1), (value - (before.get(name) ?? 0)) / count);
  }
  return {
    samples,
    calls,
    apiserverCpuMs: perPod(0),
    webhookCpuMs: pids.webhook === undefined ? undefined : perPod(1),
  };
}

async function prepareNamespace(cp: ControlPlane, phase: Phase): Promise<void> {
  const admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
  const ns = `bench-${phase}`;
  const mesh = MESH_PHASES.includes(phase);
  // The mesh phases' namespaces as ztgate's leader would leave them under Istio: enrolled for
  // injection, STRICT mTLS in force (this bench's leader runs the builtin config, so they are
  // written here).
  const meshObjects = mesh
    ? [
        {
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          metadata: { name: 'strict', namespace: ns },
          spec: { mtls: { mode: 'STRICT' } },
        },
      ]
    : [];
  const objects = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ns,
          labels: {
            [PHASE_LABEL]: phase,
            'kubernetes.io/metadata.name': ns,
            ...(mesh ? { 'istio-injection': 'enabled' } : {}),
          },
        },
      },
      ...meshObjects,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: ns } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'api', namespace: ns },
        spec: {
          podSelector: { matchLabels: { app: 'api' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }],
        },
      },
    ],
  };
  await kubectlOk(admin, ['apply', '-f', '-'], JSON.stringify(objects));
}

/** ztgate's own time per call, from its decision log (durationMs by webhook route). */
function handlerTimes(lines: readonly Record<string, unknown>[]): string {
  const byRoute = new Map<string, number[]>();
  for (const line of lines) {
    const route = line['webhook'];
    const duration = line['durationMs'];
    if (typeof route !== 'string' || typeof duration !== 'number') continue;
    byRoute.set(route, [...(byRoute.get(route) ?? []), duration]);
  }
  const parts = [...byRoute].map(([route, samples]) => {
    const summary = summarize(samples);
    return `${route} p50 ${summary.p50.toFixed(3)} ms, p99 ${summary.p99.toFixed(3)} ms (${samples.length} calls)`;
  });
  return `ztgate's handler time, from its decision log: ${parts.length === 0 ? 'no decisions logged' : parts.join('; ')}`;
}

/**
 * The bare webhook in a process of its own, as ztgate is: sharing the bench's process would let it
 * skip the wake-up and scheduling a separate server pays on every call.
 */
async function spawnBareWebhook(
  cert: ServingCert,
  ztgateUrl: string,
): Promise<{ url: string; pid: number | undefined; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--bare-webhook',
      '--cert',
      cert.certFile,
      '--key',
      cert.keyFile,
      '--ca',
      cert.caFile,
      '--ztgate',
      ztgateUrl,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: SERVER_NODE_OPTIONS } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = /^listening (\S+)\n/m.exec(text);
      if (line?.[1] !== undefined) resolve(line[1]);
    });
    child.once('exit', (code) => reject(new Error(`the bare webhook exited (${code}) before listening`)));
  });
  return {
    url,
    pid: child.pid,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `--bare-webhook`: serve the bare webhook until SIGTERM (spawnBareWebhook's child). */
async function serveBareWebhook(values: Record<string, string | boolean | undefined>): Promise<void> {
  const cert = {
    certFile: String(values['cert']),
    keyFile: String(values['key']),
    caFile: String(values['ca']),
  };
  const bare = await startBareWebhook(cert, String(values['ztgate']));
  process.stdout.write(`listening ${bare.url}\n`);
  process.once('SIGTERM', () => {
    void bare.close().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string', default: '300' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      'bare-webhook': { type: 'boolean', default: false },
      cert: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
      ztgate: { type: 'string' },
    },
  });
  if (values['bare-webhook']) return serveBareWebhook(values);
  const rounds = values.quick ? 1 : Number(values.rounds);
  const requests = values.quick ? 40 : Number(values.requests);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(requests) || requests < 1)
    throw new Error('--rounds and --requests take whole numbers ≥ 1');
  if (!controlPlaneAvailable())
    throw new Error('the control plane binaries are missing: run bash test/e2e/setup-control-plane.sh first');

  log('starting etcd and kube-apiserver');
  const cp = await startControlPlane();
  let ztgate: Ztgate | undefined;
  let ztgateMesh: Ztgate | undefined;
  let injector: MeshInjector | undefined;
  let bare: { url: string; pid: number | undefined; close(): Promise<void> } | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(cp.caFile) });
  try {
    // ztgate-system as manifests/namespace.yaml makes it: the leader's Lease lives there.
    await labelExemptNamespaces(cp, ['ztgate-system']);
    const cert = await createServingCert(`${cp.dir}/bench-certs`);
    const admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
    // Istio's security CRDs before ztgate starts, so its watch cache serves PeerAuthentications.
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: istioSecurityCrds() }),
    );
    // The same Node options for every server (the Deployment's semi-space setting).
    const env = { NODE_OPTIONS: SERVER_NODE_OPTIONS };
    ztgate = await startZtgate(cp, ZTGATE_CONFIG, cert, { env });
    // The builtin ztgate must hold the Lease before the mesh one starts: a mesh leader would
    // enrol every namespace for injection, the builtin phases' included.
    const first = ztgate;
    const caPem = readFileSync(cert.caFile, 'utf8');
    await waitFor(
      async () => /^ztgate_leader 1$/m.test((await httpsGet(`${first.url}/metrics`, caPem)).body),
      30_000,
      () => 'the first ztgate did not become leader within 30 s',
    );
    // Started second: the first holds the Lease, so this one only answers admissions.
    ztgateMesh = await startZtgate(cp, ZTGATE_MESH_CONFIG, cert, { env });
    bare = await spawnBareWebhook(cert, ztgate.url);
    injector = await startMeshInjector(cert, { server: cp.server, caFile: cp.caFile, token: cp.adminToken });
    const servers = { bare: bare.pid, ztgate: ztgate.process.child.pid, mesh: ztgateMesh.process.child.pid };
    const pidsOf = (phase: Phase): PhasePids => ({
      apiserver: cp.apiServerPid(),
      webhook:
        phase === 'none'
          ? undefined
          : phase === 'ztgate'
            ? servers.ztgate
            : phase === 'mesh-ztgate'
              ? servers.mesh
              : servers.bare,
    });
    for (const phase of PHASES) await prepareNamespace(cp, phase);
    const registrations = [
      ...phaseWebhooks('bare', bare.url, caPem),
      ...phaseWebhooks('bare-small', bare.url, caPem),
      ...phaseWebhooks('ztgate', ztgate.url, caPem),
      ...phaseWebhooks('mesh-bare', bare.url, caPem),
      ...phaseWebhooks('mesh-ztgate', ztgateMesh.url, caPem),
      // Istio's injector as its chart registers it (namespaces labelled istio-injection=enabled).
      istioInjectorWebhooks('', { url: `${injector.url}/inject`, caBundle: injector.caBundle }),
    ];
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: registrations }),
    );
    const pod = benchPod('api-7c9d8f-x2x4q');
    log(`pod body ${JSON.stringify(pod).length} bytes; waiting for ztgate's default deny and the webhooks`);
    // The pod is admitted in every phase once ztgate's view has the namespace's default deny and
    // the API server's webhook informer has the registrations.
    let refusal = '';
    await waitFor(
      async () => {
        try {
          for (const phase of PHASES) await runPhase(cp, agent, phase, 1, pod, pidsOf(phase));
          return true;
        } catch (error) {
          refusal = error instanceof Error ? error.message : String(error);
          return false;
        }
      },
      60_000,
      () => `the pod was not admitted in every phase within 60 s: ${refusal}`,
    );
    // Warm-up: connections, JIT, the bare webhook's record of ztgate's patch.
    for (const phase of PHASES) await runPhase(cp, agent, phase, Math.min(50, requests), pod, pidsOf(phase));

    const logStart = ztgate.logLines().length;
    const meshLogStart = ztgateMesh.logLines().length;
    const perPhase = new Map<Phase, PhaseRound[]>(PHASES.map((phase) => [phase, []]));
    for (let round = 0; round < rounds; round++) {
      // Alternate the order round by round so no phase always follows another.
      const order = round % 2 === 0 ? PHASES : [...PHASES].reverse();
      for (const phase of order)
        perPhase.get(phase)?.push(await runPhase(cp, agent, phase, requests, pod, pidsOf(phase)));
      log(`round ${round + 1}/${rounds} done`);
    }
    const figures: PhaseFigures[] = PHASES.map((phase) => {
      const results = perPhase.get(phase) ?? [];
      const summaries = results.map((r) => summarize(r.samples));
      const calls: Record<string, number> = {};
      for (const name of new Set(results.flatMap((r) => [...r.calls.keys()])))
        calls[name] = median(results.map((r) => r.calls.get(name) ?? 0));
      return {
        phase,
        p50: median(summaries.map((s) => s.p50)),
        p99: median(summaries.map((s) => s.p99)),
        rounds: summaries,
        calls,
        apiserverCpuMs: median(results.map((r) => r.apiserverCpuMs)),
        webhookCpuMs: phase === 'none' ? undefined : median(results.map((r) => r.webhookCpuMs ?? Number.NaN)),
      };
    });
    const report: ApiserverReport = {
      date: new Date().toISOString(),
      rounds,
      requests,
      phases: figures,
      targets: judgeApiserverTargets(figures),
    };
    process.stdout.write(`${formatApiserverReport(report)}\n`);
    process.stdout.write(`${handlerTimes(ztgate.logLines().slice(logStart))}\n`);
    process.stdout.write(`mesh phases: ${handlerTimes(ztgateMesh.logLines().slice(meshLogStart))}\n`);
    if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(report, null, 2));
  } finally {
    agent.destroy();
    await bare?.close();
    await injector?.stop();
    await ztgateMesh?.stop();
    await ztgate?.stop();
    await cp.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:apiserver: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
