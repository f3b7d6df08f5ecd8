/**
 * What cluster mode costs beyond a state folder: the bench's generated cluster (its core kinds:
 * Namespaces, ServiceAccounts, NetworkPolicies, paused Deployments and their ReplicaSets, at 0
 * replicas: no kubelet runs Pods) loaded into the e2e control plane (kube-apiserver 1.20), measured
 * once under `ztgate serve --kubeconfig` (watch cache + reconciler, which adds its default-deny
 * and DNS policies) and once under `serve --state` on an export of the very same objects.
 *   bash test/e2e/setup-control-plane.sh && npm run build &&
 *   node --import tsx test/bench/sizing-cluster.ts [--scale 0.1] [--requests 4000]
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeObject } from '../../src/policy/types.js';
import { startControlPlane } from '../e2e/control-plane.js';
import { kubectlOk, type KubectlTarget } from '../e2e/support/kubectl.js';
import { ensureBenchCerts } from './bench-certs.js';
import { ztgateArgs } from './commands.js';
import { generateCluster } from './generate.js';
import { generateReviews } from './gen-reviews.js';
import { startServer } from './server-process.js';
import { formatRow, measureServer, TABLE_HEADER } from './sizing-measure.js';

const WORK = '.bench';
const KINDS = new Set([
  'v1/Namespace',
  'v1/ServiceAccount',
  'networking.k8s.io/v1/NetworkPolicy',
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
]);
const CHUNK = 500;

function log(line: string): void {
  process.stderr.write(`sizing-cluster: ${line}\n`);
}

async function count(target: KubectlTarget, resource: string, selector: string[] = []): Promise<number> {
  const out = await kubectlOk(target, ['get', resource, '-A', '--no-headers', ...selector]);
  return out.split('\n').filter((line) => line.trim() !== '').length;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 2000));
  }
}

/** At 0 replicas; Deployments paused, so the controller manager makes no ReplicaSets of its own. */
function loadable(object: KubeObject): KubeObject {
  if (object.kind !== 'Deployment' && object.kind !== 'ReplicaSet') return object;
  const { ownerReferences: _owners, ...metadata } = object.metadata ?? {};
  const paused = object.kind === 'Deployment' ? { paused: true } : {};
  return { ...object, metadata, spec: { ...(object['spec'] as object), replicas: 0, ...paused } };
}

/** Creates the objects in chunks, ztgate's namespace and the tenants' first. */
async function load(target: KubectlTarget, objects: readonly KubeObject[]): Promise<void> {
  const home = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ztgate-system' } };
  const wanted = [home, ...objects.filter((o) => KINDS.has(`${o.apiVersion}/${o.kind}`)).map(loadable)];
  const ordered = [
    ...wanted.filter((o) => o.kind === 'Namespace'),
    ...wanted.filter((o) => o.kind !== 'Namespace'),
  ];
  for (let start = 0; start < ordered.length; start += CHUNK) {
    const items = ordered.slice(start, start + CHUNK);
    await kubectlOk(target, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    log(`created ${Math.min(start + CHUNK, ordered.length)}/${ordered.length}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '0.1' }, requests: { type: 'string', default: '4000' } },
  });
  const scale = Number(values.scale);
  const requests = Number(values.requests);
  const certs = await ensureBenchCerts(join(WORK, 'certs'));
  await mkdir(join(WORK, 'logs'), { recursive: true });
  const cluster = generateCluster({ scale, seed: 42 });
  const reviews = generateReviews(cluster, { pods: 100, deployments: 20, networkPolicies: 20 }, 42);
  const cp = await startControlPlane();
  const admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
  let table = TABLE_HEADER;
  try {
    await load(admin, cluster.objects);
    const namespaces = cluster.counts.namespaces;
    const listen = [
      '--port',
      '{port}',
      '--host',
      '127.0.0.1',
      '--tls-cert',
      certs.certFile,
      '--tls-key',
      certs.keyFile,
    ];
    const server = await startServer({
      label: 'ztgate --kubeconfig',
      args: ['bin/ztgate.js', 'serve', '--kubeconfig', resolve(cp.adminKubeconfig), ...listen],
      logFile: join(WORK, 'logs', `sizing-cluster-${scale}.log`),
      caFile: certs.certFile,
      readyTimeoutMs: 600_000,
    });
    let objects = 0;
    try {
      // The leader's DNS allowance in every tenant namespace (the default denies were loaded), then measure.
      await until('the reconciler', async () => {
        const dns = ['--field-selector', 'metadata.name=ztgate-allow-dns'];
        return (await count(admin, 'networkpolicies', dns)) >= namespaces;
      });
      const exported = await kubectlOk(admin, [
        'get',
        'namespaces,serviceaccounts,networkpolicies,deployments,replicasets',
        '-A',
        '-o',
        'json',
      ]);
      const dir = await mkdtemp(join(WORK, 'sizing-export-'));
      await writeFile(join(dir, 'cluster.json'), exported);
      objects = (JSON.parse(exported) as { items: unknown[] }).items.length;
      table += formatRow(
        `--kubeconfig`,
        namespaces,
        objects,
        await measureServer(server, certs, reviews, requests),
      );
      await server.stop();
      const state = await startServer({
        label: 'ztgate --state (export)',
        args: ztgateArgs('dist', dir, certs),
        logFile: join(WORK, 'logs', `sizing-cluster-state-${scale}.log`),
        caFile: certs.certFile,
        readyTimeoutMs: 600_000,
      });
      try {
        table += formatRow(
          '--state export',
          namespaces,
          objects,
          await measureServer(state, certs, reviews, requests),
        );
      } finally {
        await state.stop();
      }
    } finally {
      await server.stop();
    }
  } finally {
    await cp.stop();
  }
  process.stdout.write(table);
}

main().catch((error: unknown) => {
  process.stderr.write(`sizing-cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
