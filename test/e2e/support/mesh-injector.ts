/**
 * A stand-in for the meshes' injectors in the e2e suite: one node:https server on 127.0.0.1
 * (the e2e serving certificate) that answers the API server's AdmissionReviews as Istio's
 * sidecar injector (path /inject) and Linkerd's proxy-injector (path /) do, with patches of the
 * shape they produce for Kubernetes 1.20 (classic sidecars, no native ones). Written from
 * Istio's injection template (files/injection-template.yaml, webhook.go's reorderPod: istio-init
 * last among init containers, the proxy last among containers) and Linkerd's patch templates
 * (charts/patch, partials proxy and proxy-init: the proxy first behind linkerd-await). The
 * containers are the verifier tests' (test/support/mesh-pods.ts); this file places them as the
 * injectors do and follows the pod's annotations. It does what matters for ztgate and nothing
 * else: no probe rewriting, no resource annotations.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  ISTIO_IMAGE,
  istioInit,
  istioIptablesArgs,
  istioProxy,
  LINKERD_IMAGE,
  linkerdInit,
  linkerdInitArgs,
  linkerdProxy,
} from '../../support/mesh-pods.js';
import type { ServingCert } from './ztgate.js';

type Json = Record<string, unknown>;
type Container = Json & { name: string };
type Pod = Json & {
  metadata: Json & { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Json & { containers: Container[]; initContainers?: Container[]; volumes?: Json[] };
};

/** How the injector reads a namespace (Linkerd copies its config annotations onto the pod). */
export interface ApiServerAccess {
  readonly server: string;
  readonly caFile: string;
  readonly token: string;
}

/** A running stand-in. */
export interface MeshInjector {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** The CA the API server trusts it by, base64 (caBundle). */
  readonly caBundle: string;
  /** Reviews answered so far, by mesh. */
  readonly calls: { istio: number; linkerd: number };
  stop(): Promise<void>;
}

const FALSE_VALUES = ['false', 'n', 'no', 'off', '0', 'f', 'F', 'FALSE', 'False'];

function annotation(pod: Pod, key: string, fallback: string): string {
  return pod.metadata.annotations?.[key] ?? fallback;
}

// ---- Istio -------------------------------------------------------------------------------------

const ISTIO_VOLUMES = [
  { name: 'workload-socket', emptyDir: {} },
  { name: 'credential-socket', emptyDir: {} },
  { name: 'workload-certs', emptyDir: {} },
  { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
  { name: 'istio-data', emptyDir: {} },
  {
    name: 'istio-podinfo',
    downwardAPI: {
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      ],
    },
  },
  {
    name: 'istio-token',
    projected: {
      sources: [
        { serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' } },
      ],
    },
  },
  { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
];

/** istio-iptables' arguments as the template renders them from the pod's annotations. */
function iptablesArgs(pod: Pod): string[] {
  const args = istioIptablesArgs();
  const set = (flag: string, value: string) => (args[args.indexOf(flag) + 1] = value);
  set('-m', annotation(pod, 'sidecar.istio.io/interceptionMode', 'REDIRECT'));
  set('-i', annotation(pod, 'traffic.sidecar.istio.io/includeOutboundIPRanges', '*'));
  set('-x', annotation(pod, 'traffic.sidecar.istio.io/excludeOutboundIPRanges', ''));
  set('-b', annotation(pod, 'traffic.sidecar.istio.io/includeInboundPorts', '*'));
  const excluded = annotation(pod, 'traffic.sidecar.istio.io/excludeInboundPorts', '');
  if (excluded !== '') set('-d', `15090,15021,15020,${excluded}`);
  const outbound = pod.metadata.annotations?.['traffic.sidecar.istio.io/excludeOutboundPorts'];
  if (outbound !== undefined) args.push('-o', outbound);
  return args;
}

/** Istio's proxy for this pod: the template's, with the pod's app containers and ports in its env. */
function proxyFor(pod: Pod, image: string, apps: readonly string[]): Container {
  const proxy = istioProxy(false) as Container & { env: Json[] };
  const ports = pod.spec.containers.flatMap((c) => (Array.isArray(c['ports']) ? (c['ports'] as Json[]) : []));
  const env = proxy.env.map((entry) =>
    entry['name'] === 'ISTIO_META_APP_CONTAINERS' ? { ...entry, value: apps.join(',') } : entry,
  );
  return { ...proxy, image, env: [...env, { name: 'ISTIO_META_POD_PORTS', value: JSON.stringify(ports) }] };
}

/** Istio's merge of a container the pod declares under one of its names: the pod's fields win. */
function mergeDeclared(template: Container, declared: Container | undefined): Container {
  return declared === undefined ? template : { ...template, ...declared };
}

/** The injected pod as Istio's injector returns it, or undefined when it skips the pod. */
function injectIstio(pod: Pod): Pod | undefined {
  const annotations = pod.metadata.annotations ?? {};
  if (pod.spec['hostNetwork'] === true || annotations['sidecar.istio.io/status'] !== undefined)
    return undefined;
  if (FALSE_VALUES.includes(annotations['sidecar.istio.io/inject'] ?? '')) return undefined;
  const image = annotation(pod, 'sidecar.istio.io/proxyImage', ISTIO_IMAGE);
  const apps = pod.spec.containers.filter((c) => c.name !== 'istio-proxy').map((c) => c.name);
  const proxy = mergeDeclared(
    proxyFor(pod, image, apps),
    pod.spec.containers.find((c) => c.name === 'istio-proxy'),
  );
  const init = mergeDeclared(
    { ...(istioInit(false) as Container), image, args: iptablesArgs(pod) },
    pod.spec.initContainers?.find((c) => c.name === 'istio-init'),
  );
  const labels = pod.metadata.labels ?? {};
  const app =
    labels['app.kubernetes.io/name'] ?? labels['app'] ?? String(pod.metadata['generateName'] ?? 'pod');
  const status = {
    initContainers: ['istio-init'],
    containers: ['istio-proxy'],
    volumes: ISTIO_VOLUMES.map((volume) => volume.name),
    imagePullSecrets: null,
    revision: 'default',
  };
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      labels: {
        ...labels,
        'security.istio.io/tlsMode': labels['security.istio.io/tlsMode'] ?? 'istio',
        'service.istio.io/canonical-name': labels['service.istio.io/canonical-name'] ?? app,
        'service.istio.io/canonical-revision': labels['service.istio.io/canonical-revision'] ?? 'latest',
      },
      annotations: {
        ...annotations,
        'istio.io/rev': 'default',
        'kubectl.kubernetes.io/default-container':
          annotations['kubectl.kubernetes.io/default-container'] ?? apps[0] ?? '',
        'kubectl.kubernetes.io/default-logs-container':
          annotations['kubectl.kubernetes.io/default-logs-container'] ?? apps[0] ?? '',
        'prometheus.io/path': '/stats/prometheus',
        'prometheus.io/port': '15020',
        'prometheus.io/scrape': 'true',
        'sidecar.istio.io/status': JSON.stringify(status),
      },
    },
    spec: {
      ...pod.spec,
      // reorderPod: istio-init last among init containers, the proxy last among containers.
      initContainers: [...(pod.spec.initContainers ?? []).filter((c) => c.name !== 'istio-init'), init],
      containers: [...pod.spec.containers.filter((c) => c.name !== 'istio-proxy'), proxy],
      volumes: [...(pod.spec.volumes ?? []), ...ISTIO_VOLUMES],
    },
  };
}

// ---- Linkerd -----------------------------------------------------------------------------------

const LINKERD_INJECT = 'linkerd.io/inject';
/** Pod annotations Linkerd reads, which its injector copies from the namespace when the pod lacks them. */
const LINKERD_COPIED = /^(config\.linkerd\.io|config\.alpha\.linkerd\.io)\/|^linkerd\.io\/inject$/;

/** linkerd-init for this pod: the chart's arguments with the pod's skip annotations added. */
function linkerdInitFor(annotations: Record<string, string>, image: string): Container {
  const args = linkerdInitArgs();
  const skipInbound = annotations['config.linkerd.io/skip-inbound-ports'];
  if (skipInbound !== undefined) {
    const at = args.indexOf('--inbound-ports-to-ignore') + 1;
    args[at] = `${args[at]},${skipInbound}`;
  }
  const skipOutbound = annotations['config.linkerd.io/skip-outbound-ports'];
  if (skipOutbound !== undefined) {
    const at = args.indexOf('--outbound-ports-to-ignore') + 1;
    args[at] = `${args[at]},${skipOutbound}`;
  }
  const subnets = annotations['config.linkerd.io/skip-subnets'];
  if (subnets !== undefined) args.push('--subnets-to-ignore', subnets);
  return { ...(linkerdInit(false) as Container), image, args };
}

/** Linkerd's proxy, held before the app by linkerd-await (proxy.await, the chart's default). */
function linkerdProxyFor(image: string, policy: string): Container {
  const proxy = linkerdProxy(false, policy) as Container & { volumeMounts: Json[] };
  return {
    ...proxy,
    image,
    lifecycle: {
      postStart: { exec: { command: ['/usr/lib/linkerd/linkerd-await', '--timeout=2m', '--port=4191'] } },
    },
    volumeMounts: [
      ...proxy.volumeMounts,
      { mountPath: '/var/run/secrets/tokens', name: 'linkerd-identity-token' },
    ],
  };
}

const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** Linkerd's patch (charts/patch/templates/patch.json, classic sidecar), or undefined when it skips. */
function injectLinkerd(pod: Pod, namespaceAnnotations: Record<string, string>): Json[] | undefined {
  const podAnnotations = pod.metadata.annotations ?? {};
  const inject = podAnnotations[LINKERD_INJECT] ?? namespaceAnnotations[LINKERD_INJECT];
  if (inject !== 'enabled' && inject !== 'ingress') return undefined;
  // A pod with a proxy already (Linkerd's or Istio's) counts as injected: Linkerd leaves it alone.
  const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name);
  if (pod.spec['hostNetwork'] === true || names.includes('linkerd-proxy') || names.includes('istio-proxy'))
    return undefined;
  const copied = Object.fromEntries(
    Object.entries(namespaceAnnotations).filter(
      ([key]) => LINKERD_COPIED.test(key) && !(key in podAnnotations),
    ),
  );
  const effective = { ...copied, ...podAnnotations };
  const image = effective['config.linkerd.io/proxy-image'] ?? LINKERD_IMAGE;
  const policy = effective['config.linkerd.io/default-inbound-policy'] ?? 'all-unauthenticated';
  const hash = pod.metadata.labels?.['pod-template-hash'];
  const generated = String(pod.metadata['generateName'] ?? '');
  const deployment = hash === undefined ? '' : generated.replace(new RegExp(`-${hash}-$`), '');
  const ops: Json[] = [];
  const add = (path: string, value: unknown) => ops.push({ op: 'add', path, value });
  if (pod.metadata.annotations === undefined) add('/metadata/annotations', {});
  const annotations: Record<string, string> = {
    ...copied,
    'linkerd.io/created-by': 'linkerd/proxy-injector edge-24.11.8',
    'linkerd.io/proxy-version': 'edge-24.11.8',
    'linkerd.io/trust-root-sha256': 'e2e'.padEnd(64, '0'),
  };
  for (const [key, value] of Object.entries(annotations)) add(`/metadata/annotations/${escape(key)}`, value);
  if (pod.metadata.labels === undefined) add('/metadata/labels', {});
  const labels: Record<string, string> = {
    'linkerd.io/control-plane-ns': 'linkerd',
    ...(deployment === '' ? {} : { 'linkerd.io/proxy-deployment': deployment }),
    'linkerd.io/workload-ns': String(pod.metadata['namespace'] ?? ''),
  };
  for (const [key, value] of Object.entries(labels)) add(`/metadata/labels/${escape(key)}`, value);
  if (pod.spec.volumes === undefined) add('/spec/volumes', []);
  if (pod.spec.initContainers === undefined) add('/spec/initContainers', []);
  add('/spec/volumes/-', { emptyDir: {}, name: 'linkerd-proxy-init-xtables-lock' });
  // Classic mode appends proxy-init to the init containers ($initIndex "-").
  add('/spec/initContainers/-', linkerdInitFor(effective, image));
  add('/spec/volumes/-', { name: 'linkerd-identity-end-entity', emptyDir: { medium: 'Memory' } });
  add('/spec/volumes/-', {
    name: 'linkerd-identity-token',
    projected: {
      sources: [
        {
          serviceAccountToken: {
            audience: 'identity.l5d.io',
            expirationSeconds: 86400,
            path: 'linkerd-identity-token',
          },
        },
      ],
    },
  });
  // proxy.await (the chart's default): the proxy first, the app held by linkerd-await.
  add('/spec/containers/0', linkerdProxyFor(image, policy));
  return ops;
}

// ---- the server --------------------------------------------------------------------------------

function readBody(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    stream.on('error', reject);
  });
}

/** GETs a namespace from the API server (Linkerd's injector reads it for its annotations). */
function readNamespace(api: ApiServerAccess, name: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      `${api.server}/api/v1/namespaces/${encodeURIComponent(name)}`,
      { ca: readFileSync(api.caFile), headers: { authorization: `Bearer ${api.token}` } },
      (response) => {
        readBody(response).then((text) => {
          const object = JSON.parse(text) as { metadata?: { annotations?: Record<string, string> } };
          resolve(object.metadata?.annotations ?? {});
        }, reject);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** The whole-field JSON Patch from an original pod to Istio's injected one. */
function istioPatch(original: Pod, injected: Pod): Json[] {
  const ops: Json[] = [];
  const put = (path: string, before: unknown, after: unknown) =>
    ops.push({ op: before === undefined ? 'add' : 'replace', path, value: after });
  put('/metadata/labels', original.metadata.labels, injected.metadata.labels);
  put('/metadata/annotations', original.metadata.annotations, injected.metadata.annotations);
  put('/spec/initContainers', original.spec.initContainers, injected.spec.initContainers);
  put('/spec/containers', original.spec.containers, injected.spec.containers);
  put('/spec/volumes', original.spec.volumes, injected.spec.volumes);
  return ops;
}

/** Starts the stand-in injectors on 127.0.0.1 with the e2e serving certificate. */
export async function startMeshInjector(cert: ServingCert, api: ApiServerAccess): Promise<MeshInjector> {
  const calls = { istio: 0, linkerd: 0 };
  const server: Server = createServer(
    { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    (request, response) => {
      void (async () => {
        const review = JSON.parse(await readBody(request)) as { request: Json & { uid: string } };
        const admission = review.request;
        const pod = admission['object'] as Pod;
        const namespace = String(admission['namespace'] ?? '');
        let ops: Json[] | undefined;
        if ((admission['kind'] as Json)['kind'] === 'Pod') {
          // The API server appends `?timeout=10s` to the registered path.
          if (new URL(request.url ?? '/', 'https://127.0.0.1').pathname === '/inject') {
            calls.istio += 1;
            const injected = injectIstio(pod);
            ops = injected === undefined ? undefined : istioPatch(pod, injected);
          } else {
            calls.linkerd += 1;
            ops = injectLinkerd(
              { ...pod, metadata: { ...pod.metadata, namespace } },
              await readNamespace(api, namespace),
            );
          }
        }
        const answer: Json = { uid: admission.uid, allowed: true };
        if (ops !== undefined) {
          answer['patchType'] = 'JSONPatch';
          answer['patch'] = Buffer.from(JSON.stringify(ops)).toString('base64');
        }
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: answer }),
        );
      })().catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caBundle: readFileSync(cert.caFile).toString('base64'),
    calls,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
