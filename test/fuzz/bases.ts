/**
 * The AdmissionReviews the fuzzer perturbs: real shapes against the demo state (manifests/demo),
 * each with the verdict ztgate gives it unperturbed. Denied bases are the ones the
 * wrongful-allow oracle watches: a perturbation that does not fix the violation must never
 * turn them into `allowed: true`.
 */

/** A JSON value as the fuzzer edits it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A base review and what ztgate answers for it. */
export interface Base {
  readonly name: string;
  readonly route: '/validate' | '/mutate';
  /** The rules that deny it unperturbed; empty when it is allowed. */
  readonly deniedBy: readonly string[];
  readonly review: Json;
}

function review(uid: string, request: Record<string, Json>): Json {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, ...request } };
}

const developer = { username: 'dev@example.com', groups: ['developers', 'system:authenticated'] };
const replicaSetController = {
  username: 'system:serviceaccount:kube-system:replicaset-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};

const container = (extra: Record<string, Json> = {}): Json => ({
  name: 'catalog',
  image: 'nginxinc/nginx-unprivileged:1.27-alpine',
  ports: [{ containerPort: 8080 }],
  env: [{ name: 'API_TOKEN', value: 'do-not-log-me' }],
  readinessProbe: { httpGet: { path: '/', port: 8080 } },
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
  ...extra,
});

function deployment(name: string, spec: Record<string, Json>, labels = { app: name }): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'ztgate-demo', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec },
    },
  };
}

const APPS_DEPLOYMENT = {
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
};
const CORE_POD = {
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
};
const NETWORK_POLICY = {
  kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  resource: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
};

/** Every base the fuzzer starts from. */
export const BASES: readonly Base[] = [
  {
    name: 'storefront-deployment',
    route: '/validate',
    deniedBy: ['dedicated-service-account', 'allow-list-policy'],
    review: review('f-storefront', {
      ...APPS_DEPLOYMENT,
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      name: 'storefront',
      userInfo: developer,
      object: deployment('storefront', { containers: [container({ name: 'storefront' })] }),
      oldObject: null,
      dryRun: false,
    }),
  },
  {
    name: 'catalog-deployment-net-admin',
    route: '/validate',
    deniedBy: ['no-net-admin'],
    review: review('f-net-admin', {
      ...APPS_DEPLOYMENT,
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      name: 'catalog',
      userInfo: developer,
      object: deployment('catalog', {
        serviceAccountName: 'catalog',
        containers: [
          container({
            securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, runAsNonRoot: true },
          }),
        ],
      }),
      oldObject: null,
      dryRun: false,
    }),
  },
  {
    name: 'catalog-pod-host-network',
    route: '/validate',
    deniedBy: ['no-host-network', 'mtls-sidecar'],
    review: review('f-host-network', {
      ...CORE_POD,
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      userInfo: replicaSetController,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'catalog-7c9d8f-', namespace: 'ztgate-demo', labels: { app: 'catalog' } },
        spec: { serviceAccountName: 'catalog', hostNetwork: true, containers: [container()] },
      },
      oldObject: null,
      dryRun: false,
    }),
  },
  {
    name: 'allow-all-network-policy',
    route: '/validate',
    deniedBy: ['no-allow-all-policy'],
    review: review('f-allow-all', {
      ...NETWORK_POLICY,
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      name: 'open',
      userInfo: developer,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'open', namespace: 'ztgate-demo' },
        spec: {
          podSelector: { matchLabels: { app: 'catalog' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 8080 }] }],
        },
      },
      oldObject: null,
      dryRun: false,
    }),
  },
  {
    name: 'calico-allow-without-source',
    route: '/validate',
    deniedBy: ['no-allow-all-policy'],
    review: review('f-calico', {
      kind: { group: 'projectcalico.org', version: 'v3', kind: 'NetworkPolicy' },
      resource: { group: 'projectcalico.org', version: 'v3', resource: 'networkpolicies' },
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      name: 'calico-open',
      userInfo: developer,
      object: {
        apiVersion: 'projectcalico.org/v3',
        kind: 'NetworkPolicy',
        metadata: { name: 'calico-open', namespace: 'ztgate-demo' },
        spec: {
          selector: "app == 'catalog'",
          types: ['Ingress'],
          ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [8080] } }],
        },
      },
      oldObject: null,
      dryRun: false,
    }),
  },
  {
    name: 'namespace-exempt-label',
    route: '/validate',
    deniedBy: ['protected-namespace-labels'],
    review: review('f-namespace', {
      kind: { group: '', version: 'v1', kind: 'Namespace' },
      resource: { group: '', version: 'v1', resource: 'namespaces' },
      operation: 'UPDATE',
      name: 'ztgate-demo',
      userInfo: developer,
      object: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'ztgate-demo', labels: { 'ztgate.dev/exempt': 'true' } },
      },
      oldObject: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ztgate-demo', labels: {} } },
      dryRun: false,
    }),
  },
  {
    name: 'delete-default-deny',
    route: '/validate',
    deniedBy: ['default-deny-protected'],
    review: review('f-delete-deny', {
      ...NETWORK_POLICY,
      operation: 'DELETE',
      namespace: 'ztgate-demo',
      name: 'ztgate-default-deny',
      userInfo: developer,
      object: null,
      oldObject: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'ztgate-default-deny', namespace: 'ztgate-demo' },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      },
      dryRun: false,
    }),
  },
  {
    name: 'catalog-deployment',
    route: '/validate',
    deniedBy: [],
    review: review('f-catalog', {
      ...APPS_DEPLOYMENT,
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      name: 'catalog',
      userInfo: developer,
      object: deployment('catalog', { serviceAccountName: 'catalog', containers: [container()] }),
      oldObject: null,
      dryRun: false,
    }),
  },
  {
    name: 'catalog-pod-mutate',
    route: '/mutate',
    deniedBy: [],
    review: review('f-mutate', {
      ...CORE_POD,
      operation: 'CREATE',
      namespace: 'ztgate-demo',
      userInfo: replicaSetController,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'catalog-7c9d8f-', namespace: 'ztgate-demo', labels: { app: 'catalog' } },
        spec: { serviceAccountName: 'catalog', containers: [container()] },
      },
      oldObject: null,
      dryRun: false,
    }),
  },
];
