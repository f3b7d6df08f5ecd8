/**
 * A stand-in for the meshes' injectors in the e2e suite: one node:https server on 127.0.0.1
 * (the e2e serving certificate) that answers the API server's AdmissionReviews as Istio's
 * sidecar injector (path /inject) and Linkerd's proxy-injector (path /) do, with patches of the
 * shape they produce for Kubernetes 1.20 (classic sidecars, no native ones). Written from
 * Istio's injection template (files/injection-template.yaml, webhook.go's reorderPod: istio-init
 * last among init containers, the proxy last among containers) and Linkerd's patch templates
 * (charts/patch, partials proxy and proxy-init: the proxy first behind linkerd-await). It does
 * what matters for ztgate and nothing else: no probe rewriting, no resource annotations.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServingCert } from './ztgate.js';

type Json = Record<string, unknown>;
type Container = Json & { name: string };
type Pod = Json & {
  metadata: Json & { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Json & { containers: Container[]; initContainers?: Container[]; volumes?: Json[] };
};

/** The images the stand-ins inject: Istio's and Linkerd's release repositories. */
export const ISTIO_PROXY_IMAGE = 'docker.io/istio/proxyv2:1.24.0';
export const LINKERD_PROXY_IMAGE = 'cr.l5d.io/linkerd/proxy:edge-24.11.8';

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
  { name: 'istio-ca-crl', configMap: { name: 'istio-ca-crl', optional: true } },
];

const fieldEnv = (name: string, fieldPath: string): Json => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});

function istioInit(pod: Pod, image: string): Container {
  const excluded = annotation(pod, 'traffic.sidecar.istio.io/excludeInboundPorts', '');
  const args = [
    'istio-iptables',
    '-p',
    '15001',
    '-z',
    '15006',
    '-u',
    '1337',
    '-m',
    annotation(pod, 'sidecar.istio.io/interceptionMode', 'REDIRECT'),
    '-i',
    annotation(pod, 'traffic.sidecar.istio.io/includeOutboundIPRanges', '*'),
    '-x',
    annotation(pod, 'traffic.sidecar.istio.io/excludeOutboundIPRanges', ''),
    '-b',
    annotation(pod, 'traffic.sidecar.istio.io/includeInboundPorts', '*'),
    '-d',
    ['15090', '15021', '15020', ...(excluded === '' ? [] : [excluded])].join(','),
  ];
  const outbound = pod.metadata.annotations?.['traffic.sidecar.istio.io/excludeOutboundPorts'];
  if (outbound !== undefined) args.push('-o', outbound);
  args.push('--log_output_level=default:info');
  return {
    name: 'istio-init',
    image,
    args,
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

function istioProxy(pod: Pod, namespace: string, image: string, apps: readonly string[]): Container {
  const ports = pod.spec.containers.flatMap((container) =>
    Array.isArray(container['ports']) ? (container['ports'] as Json[]) : [],
  );
  return {
    name: 'istio-proxy',
    image,
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    args: [
      'proxy',
      'sidecar',
      '--domain',
      '$(POD_NAMESPACE).svc.cluster.local',
      '--proxyLogLevel=warning',
      '--proxyComponentLogLevel=misc:error',
      '--log_output_level=default:info',
    ],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('INSTANCE_IP', 'status.podIP'),
      fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      fieldEnv('HOST_IP', 'status.hostIP'),
      { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } },
      { name: 'PROXY_CONFIG', value: '{}\n' },
      { name: 'ISTIO_META_POD_PORTS', value: JSON.stringify(ports) },
      { name: 'ISTIO_META_APP_CONTAINERS', value: apps.join(',') },
      { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1' } } },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
      { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
      { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
      { name: 'TRUST_DOMAIN', value: 'cluster.local' },
    ],
    readinessProbe: {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 0,
      periodSeconds: 15,
      timeoutSeconds: 3,
      failureThreshold: 4,
    },
    startupProbe: {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 0,
      periodSeconds: 1,
      timeoutSeconds: 3,
      failureThreshold: 600,
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1337,
      runAsGroup: 1337,
    },
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'istio-ca-crl', mountPath: '/var/run/secrets/istio/crl' },
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
}

/** Istio's merge of a container the pod declares under the proxy's name: the pod's fields win. */
function mergeDeclared(template: Container, declared: Container | undefined): Container {
  return declared === undefined ? template : { ...template, ...declared };
}

/** The injected pod as Istio's injector returns it, or undefined when it skips the pod. */
function injectIstio(pod: Pod, namespace: string): Pod | undefined {
  const annotations = pod.metadata.annotations ?? {};
  if (pod.spec['hostNetwork'] === true || annotations['sidecar.istio.io/status'] !== undefined)
    return undefined;
  if (FALSE_VALUES.includes(annotations['sidecar.istio.io/inject'] ?? '')) return undefined;
  const image = annotation(pod, 'sidecar.istio.io/proxyImage', ISTIO_PROXY_IMAGE);
  const apps = pod.spec.containers.filter((c) => c.name !== 'istio-proxy').map((c) => c.name);
  const declared = pod.spec.containers.find((c) => c.name === 'istio-proxy');
  const proxy = mergeDeclared(istioProxy(pod, namespace, image, apps), declared);
  const init = mergeDeclared(
    istioInit(pod, image),
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

function linkerdInit(pod: Pod, image: string): Container {
  const inbound = ['4190', '4191', '4567', '4568'];
  const skipInbound = pod.metadata.annotations?.['config.linkerd.io/skip-inbound-ports'];
  if (skipInbound !== undefined) inbound.push(...skipInbound.split(','));
  const args = [
    '--firewall-bin-path',
    'iptables-nft',
    '--firewall-save-bin-path',
    'iptables-nft-save',
    '--ipv6=false',
    '--incoming-proxy-port',
    '4143',
    '--outgoing-proxy-port',
    '4140',
    '--proxy-uid',
    '2102',
    '--inbound-ports-to-ignore',
    inbound.join(','),
    '--outbound-ports-to-ignore',
    '4567,4568',
  ];
  const subnets = pod.metadata.annotations?.['config.linkerd.io/skip-subnets'];
  if (subnets !== undefined) args.push('--subnets-to-ignore', subnets);
  return {
    name: 'linkerd-init',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/usr/lib/linkerd/linkerd2-proxy-init'],
    args,
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'] },
      privileged: false,
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      readOnlyRootFilesystem: true,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: 'linkerd-proxy-init-xtables-lock', mountPath: '/run' }],
  };
}

function linkerdProxy(image: string, policy: string): Container {
  const value = (name: string, text: string): Json => ({ name, value: text });
  return {
    name: 'linkerd-proxy',
    image,
    imagePullPolicy: 'IfNotPresent',
    env: [
      fieldEnv('_pod_name', 'metadata.name'),
      fieldEnv('_pod_ns', 'metadata.namespace'),
      fieldEnv('_pod_nodeName', 'spec.nodeName'),
      value('LINKERD2_PROXY_LOG', 'warn,linkerd=info,hickory=error'),
      value('LINKERD2_PROXY_DESTINATION_SVC_ADDR', 'linkerd-dst-headless.linkerd.svc.cluster.local.:8086'),
      value('LINKERD2_PROXY_POLICY_SVC_ADDR', 'linkerd-policy.linkerd.svc.cluster.local.:8090'),
      value('LINKERD2_PROXY_POLICY_WORKLOAD', '{"ns":"$(_pod_ns)", "pod":"$(_pod_name)"}\n'),
      value('LINKERD2_PROXY_INBOUND_DEFAULT_POLICY', policy),
      value('LINKERD2_PROXY_CONTROL_LISTEN_ADDR', '0.0.0.0:4190'),
      value('LINKERD2_PROXY_ADMIN_LISTEN_ADDR', '0.0.0.0:4191'),
      value('LINKERD2_PROXY_OUTBOUND_LISTEN_ADDR', '127.0.0.1:4140'),
      value('LINKERD2_PROXY_INBOUND_LISTEN_ADDR', '0.0.0.0:4143'),
      fieldEnv('_pod_sa', 'spec.serviceAccountName'),
      value('_l5d_ns', 'linkerd'),
      value('_l5d_trustdomain', 'cluster.local'),
      value('LINKERD2_PROXY_IDENTITY_DIR', '/var/run/linkerd/identity/end-entity'),
      value('LINKERD2_PROXY_IDENTITY_TOKEN_FILE', '/var/run/secrets/tokens/linkerd-identity-token'),
      value('LINKERD2_PROXY_IDENTITY_SVC_ADDR', 'linkerd-identity-headless.linkerd.svc.cluster.local.:8080'),
      value(
        'LINKERD2_PROXY_IDENTITY_LOCAL_NAME',
        '$(_pod_sa).$(_pod_ns).serviceaccount.identity.linkerd.cluster.local',
      ),
      value(
        'LINKERD2_PROXY_IDENTITY_SVC_NAME',
        'linkerd-identity.linkerd.serviceaccount.identity.linkerd.cluster.local',
      ),
    ],
    livenessProbe: { httpGet: { path: '/live', port: 4191 }, initialDelaySeconds: 10, timeoutSeconds: 1 },
    readinessProbe: { httpGet: { path: '/ready', port: 4191 }, initialDelaySeconds: 2, timeoutSeconds: 1 },
    lifecycle: {
      postStart: { exec: { command: ['/usr/lib/linkerd/linkerd-await', '--timeout=2m', '--port=4191'] } },
    },
    ports: [
      { containerPort: 4143, name: 'linkerd-proxy' },
      { containerPort: 4191, name: 'linkerd-admin' },
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 2102,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [
      { name: 'linkerd-identity-end-entity', mountPath: '/var/run/linkerd/identity/end-entity' },
      { name: 'linkerd-identity-token', mountPath: '/var/run/secrets/tokens' },
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
  const image = effective['config.linkerd.io/proxy-image'] ?? LINKERD_PROXY_IMAGE;
  const policy = effective['config.linkerd.io/default-inbound-policy'] ?? 'all-unauthenticated';
  const owner = pod.metadata.labels?.['pod-template-hash'];
  const generated = String(pod.metadata['generateName'] ?? '');
  const deployment = owner === undefined ? '' : generated.replace(new RegExp(`-${owner}-$`), '');
  const ops: Json[] = [];
  if (pod.metadata.annotations === undefined)
    ops.push({ op: 'add', path: '/metadata/annotations', value: {} });
  const added: Record<string, string> = {
    ...copied,
    'linkerd.io/created-by': 'linkerd/proxy-injector edge-24.11.8',
    'linkerd.io/proxy-version': 'edge-24.11.8',
    'linkerd.io/trust-root-sha256': 'e2e0000000000000000000000000000000000000000000000000000000000000',
  };
  for (const [key, value] of Object.entries(added))
    ops.push({ op: 'add', path: `/metadata/annotations/${escape(key)}`, value });
  if (pod.metadata.labels === undefined) ops.push({ op: 'add', path: '/metadata/labels', value: {} });
  const labels: Record<string, string> = {
    'linkerd.io/control-plane-ns': 'linkerd',
    ...(deployment === '' ? {} : { 'linkerd.io/proxy-deployment': deployment }),
    'linkerd.io/workload-ns': String(pod.metadata['namespace'] ?? ''),
  };
  for (const [key, value] of Object.entries(labels))
    ops.push({ op: 'add', path: `/metadata/labels/${escape(key)}`, value });
  if (pod.spec.volumes === undefined) ops.push({ op: 'add', path: '/spec/volumes', value: [] });
  if (pod.spec.initContainers === undefined) ops.push({ op: 'add', path: '/spec/initContainers', value: [] });
  ops.push(
    { op: 'add', path: '/spec/volumes/-', value: { emptyDir: {}, name: 'linkerd-proxy-init-xtables-lock' } },
    {
      op: 'add',
      path: '/spec/initContainers/-',
      value: linkerdInit({ ...pod, metadata: { ...pod.metadata, annotations: effective } }, image),
    },
    {
      op: 'add',
      path: '/spec/volumes/-',
      value: { name: 'linkerd-identity-end-entity', emptyDir: { medium: 'Memory' } },
    },
    {
      op: 'add',
      path: '/spec/volumes/-',
      value: {
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
      },
    },
    // proxy.await (the chart's default): the proxy first, the app held by linkerd-await.
    { op: 'add', path: '/spec/containers/0', value: linkerdProxy(image, policy) },
  );
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
            const injected = injectIstio(pod, namespace);
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
