/**
 * The ceiling: the best this stack does on this machine. A bare Fastify HTTPS server with the
 * TLS settings ztgate uses (HTTP/2 with HTTP/1.1 through ALPN, TLS 1.2 minimum, the same
 * certificate and body limit) that parses the same bodies and answers a canned AdmissionReview.
 * With `--patches FILE` (uid → base64 patch, ztgate's own answers recorded by the bench runner)
 * /mutate answers each body with ztgate's patch for it, so both servers send the same bytes;
 * without, with the typical patch below.
 * With `--work-us N` every admission request first busy-waits N µs: the budget session, which shows
 * how much handler work a throughput ratio leaves room for on this machine.
 * Run as its own process: `node --import tsx test/bench/ceiling.ts --port P --tls-cert F --tls-key F [--patches F] [--work-us N]`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

/** A typical sidecar patch (container, init container, volumes, annotation), base64 as on the wire. */
const CANNED_PATCH = Buffer.from(
  JSON.stringify([
    {
      op: 'add',
      path: '/spec/initContainers',
      value: [
        {
          name: 'ztgate-init',
          image: 'registry.example/ztgate-bench/proxy-init:1.0',
          args: ['--inbound', '15006', '--outbound', '15001', '--uid', '1337'],
          securityContext: {
            capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
            runAsUser: 0,
            runAsNonRoot: false,
          },
        },
      ],
    },
    {
      op: 'add',
      path: '/spec/containers/-',
      value: {
        name: 'ztgate-proxy',
        image: 'registry.example/ztgate-bench/proxy:1.0',
        ports: [{ containerPort: 15006 }, { containerPort: 15021, name: 'ztgate-health' }],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        securityContext: {
          runAsUser: 1337,
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [
          { name: 'ztgate-token', mountPath: '/var/run/secrets/ztgate/token', readOnly: true },
          { name: 'ztgate-trust-bundle', mountPath: '/var/run/secrets/ztgate/ca', readOnly: true },
        ],
      },
    },
    {
      op: 'add',
      path: '/spec/volumes/-',
      value: {
        name: 'ztgate-token',
        projected: {
          sources: [
            { serviceAccountToken: { audience: 'ztgate-mtls', expirationSeconds: 3600, path: 'token' } },
          ],
        },
      },
    },
    {
      op: 'add',
      path: '/spec/volumes/-',
      value: { name: 'ztgate-trust-bundle', configMap: { name: 'ztgate-trust-bundle' } },
    },
    { op: 'add', path: '/metadata/annotations/ztgate.dev~1injected', value: 'true' },
  ]),
).toString('base64');

interface ReviewBody {
  readonly request?: { readonly uid?: string };
}

/** The canned answer echoing the request's uid, or undefined when the body is no AdmissionReview. */
function answer(
  body: ReviewBody | undefined,
  patches: ReadonlyMap<string, string> | undefined,
): object | undefined {
  const uid = body?.request?.uid;
  if (typeof uid !== 'string') return undefined;
  // /validate gets no patches; /mutate ztgate's recorded one when there is a record, else the typical one.
  const patch = patches === undefined ? undefined : patches.size > 0 ? patches.get(uid) : CANNED_PATCH;
  const response =
    patch !== undefined ? { uid, allowed: true, patchType: 'JSONPatch', patch } : { uid, allowed: true };
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** Keeps the event loop busy for `ms`, as a handler's own work would. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Spinning on purpose: the work stands in for a decision's CPU time.
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '127.0.0.1' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      patches: { type: 'string' },
      'work-us': { type: 'string', default: '0' },
    },
  });
  const workMs = Number(values['work-us']) / 1000;
  if (!Number.isFinite(workMs) || workMs < 0) throw new Error('--work-us must be a number ≥ 0');
  const patches = new Map<string, string>(
    values.patches === undefined
      ? []
      : Object.entries(JSON.parse(readFileSync(values.patches, 'utf8')) as Record<string, string>),
  );
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  if (certFile === undefined || keyFile === undefined)
    throw new Error('--tls-cert and --tls-key are required');
  const app = Fastify({
    http2: true,
    https: {
      allowHTTP1: true,
      minVersion: 'TLSv1.2',
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
    },
    bodyLimit: 3 * 1024 * 1024,
    logger: false,
  });
  for (const [path, withPatches] of [
    ['/mutate', patches],
    ['/validate', undefined],
  ] as const) {
    app.post<{ Body: ReviewBody }>(path, async (request, reply) => {
      if (workMs > 0) busyWait(workMs);
      const payload = answer(request.body, withPatches);
      return payload ?? reply.code(400).send({ message: 'not an AdmissionReview v1 with a request' });
    });
  }
  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async () => 'ok');
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
  await app.listen({ port: Number(values.port), host: values.host });
}

main().catch((error: unknown) => {
  process.stderr.write(`ceiling: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
