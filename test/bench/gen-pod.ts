/**
 * Pod specs as a ReplicaSet controller's create request carries them: several containers with
 * env, probes, resources and mounts, the projected API token volume the ServiceAccount admission
 * plugin adds, default tolerations, and managedFields. Sized to 4–8 KB like real pods.
 */
import type { KubeObject } from '../../src/policy/types.js';
import type { WorkloadSpec } from './generate.js';
import { stableUid, type Rng } from './prng.js';

const HELPERS = ['log-shipper', 'metrics-exporter', 'config-reloader'] as const;
const ENV_KEYS = [
  'LOG_LEVEL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'FEATURE_FLAGS',
  'CACHE_TTL',
  'REGION',
] as const;

type Json = Record<string, unknown>;

function container(name: string, image: string, port: number, rng: Rng): Json {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      {
        name: 'POD_NAMESPACE',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `${name}-db`, key: 'password' } } },
      { name: rng.pick(ENV_KEYS), value: rng.hex(12) },
    ],
    resources: {
      requests: { cpu: `${rng.int(1, 9) * 50}m`, memory: `${rng.int(1, 8) * 64}Mi` },
      limits: { memory: '1Gi' },
    },
    readinessProbe: {
      httpGet: { path: '/ready', port, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 1,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port, scheme: 'HTTP' },
      initialDelaySeconds: 10,
      periodSeconds: 10,
    },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      { name: 'cache', mountPath: '/var/cache/app' },
      { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

function volumes(w: WorkloadSpec): Json[] {
  return [
    { name: 'config', configMap: { name: `${w.name}-config`, defaultMode: 420 } },
    { name: 'db', secret: { secretName: `${w.name}-db`, defaultMode: 420 } },
    { name: 'cache', emptyDir: { sizeLimit: '512Mi' } },
    {
      name: 'kube-api-access',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
  ];
}

/** A pod spec for workload `w` with one app container and one to three helpers. */
export function buildPodSpec(w: WorkloadSpec, rng: Rng): Json {
  const helpers = HELPERS.slice(0, rng.int(1, HELPERS.length));
  return {
    serviceAccountName: w.serviceAccount,
    containers: [
      container(w.name, `registry.example.com/${w.namespace}/${w.name}:1.${rng.int(0, 40)}.0`, w.port, rng),
      ...helpers.map((h, i) => container(h, `registry.example.com/platform/${h}:2.1.0`, 9100 + i, rng)),
    ],
    volumes: volumes(w),
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler',
    securityContext: { fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
  };
}

/** Grows the app container's env until the object serializes to `targetBytes` (realistic config sprawl). */
export function padToSize(object: KubeObject, appContainer: Json, targetBytes: number, rng: Rng): void {
  const env = appContainer.env as Json[];
  let size = JSON.stringify(object).length;
  while (size < targetBytes) {
    const entry = { name: `APP_SETTING_${env.length}`, value: rng.hex(rng.int(8, 40)) };
    env.push(entry);
    size += JSON.stringify(entry).length + 1;
  }
}

/** A Pod created by the workload's ReplicaSet, as the API server hands it to admission. */
export function buildPod(w: WorkloadSpec, rng: Rng, targetBytes: number): KubeObject {
  const hash = w.templateHash;
  const replicaSet = `${w.name}-${hash}`;
  const spec = buildPodSpec(w, rng);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${replicaSet}-`,
      name: `${replicaSet}-${rng.hex(5)}`,
      namespace: w.namespace,
      labels: { ...w.podLabels, 'pod-template-hash': hash },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9100' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: replicaSet,
          uid: stableUid(w.namespace, 'ReplicaSet', replicaSet),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2025-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {},
          },
        },
      ],
    },
    spec,
  };
  padToSize(pod, (spec.containers as Json[])[0] as Json, targetBytes, rng);
  return pod;
}
