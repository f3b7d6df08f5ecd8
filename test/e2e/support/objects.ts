/** Builders for the Kubernetes objects the e2e scenarios apply, as a developer would write them. */

/** A plain object manifest. */
export type Manifest = Record<string, unknown>;

/** Several objects in one `kubectl apply -f -`, as `kubectl apply -f dir/` sends them. */
export function list(...items: readonly Manifest[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** A ServiceAccount. */
export function serviceAccount(namespace: string, name: string): Manifest {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

/** A Deployment of one nginx container labelled app=<app>, optionally with a ServiceAccount. */
export function deployment(
  namespace: string,
  name: string,
  options: { app?: string; serviceAccount?: string; replicas?: number } = {},
): Manifest {
  const labels = { app: options.app ?? name };
  const spec: Manifest = {
    containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }],
  };
  if (options.serviceAccount !== undefined) spec.serviceAccountName = options.serviceAccount;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec },
    },
  };
}

/** An allow-list: ingress to app=<app> on 8080 only from app=<from> pods in the same namespace. */
export function allowListPolicy(namespace: string, app: string, from: string): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${app}-allow`, namespace },
    spec: {
      podSelector: { matchLabels: { app } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { app: from } } }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    },
  };
}

/** A policy that lets every source reach app=<app>: an ingress rule with no `from`. */
export function allowAllPolicy(namespace: string, app: string): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${app}-allow-all`, namespace },
    spec: { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress'], ingress: [{}] },
  };
}

/** A deny-all NetworkPolicy, as an admin who owns default deny writes it. */
export function denyAllPolicy(namespace: string, name: string): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** A bare Pod with the namespace's default ServiceAccount. */
export function pod(namespace: string, name: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

/**
 * A CustomResourceDefinition (namespaced unless `scope` says otherwise) of served, schemaless
 * versions (the first one stored): one version by default, several for an API that serves an older
 * one too.
 */
export function customResourceDefinition(
  group: string,
  kind: string,
  plural: string,
  version: string | readonly string[] = 'v1',
  scope: 'Namespaced' | 'Cluster' = 'Namespaced',
): Manifest {
  const versions = typeof version === 'string' ? [version] : version;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope,
      names: { plural, singular: kind.toLowerCase(), kind },
      versions: versions.map((name, index) => ({
        name,
        served: true,
        storage: index === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  };
}

/** Calico's policy CRD as its manifest install (no Calico API server) creates it. */
export function calicoPolicyCrd(): Manifest {
  return customResourceDefinition('crd.projectcalico.org', 'NetworkPolicy', 'networkpolicies');
}

const text = { type: 'string' };
const count = { type: 'integer' };
const objectReference = {
  type: 'object',
  properties: Object.fromEntries(
    ['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'resourceVersion', 'uid'].map((f) => [f, text]),
  ),
};
const labelSelector = {
  type: 'object',
  properties: {
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: { key: text, operator: text, values: { type: 'array', items: text } },
      },
    },
    matchLabels: { type: 'object', additionalProperties: text },
  },
};
const reportResult = {
  type: 'object',
  required: ['policy'],
  properties: {
    category: text,
    message: text,
    policy: text,
    properties: { type: 'object', additionalProperties: text },
    resourceSelector: labelSelector,
    resources: { type: 'array', items: objectReference },
    result: { type: 'string', enum: ['pass', 'fail', 'warn', 'error', 'skip'] },
    rule: text,
    scored: { type: 'boolean' },
    severity: { type: 'string', enum: ['critical', 'high', 'low', 'medium', 'info'] },
    source: text,
    timestamp: {
      type: 'object',
      required: ['nanos', 'seconds'],
      properties: {
        nanos: { type: 'integer', format: 'int32' },
        seconds: { type: 'integer', format: 'int64' },
      },
    },
  },
};

/**
 * The wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport CRDs with a structural schema
 * as kubernetes-sigs/wg-policy-prototypes defines it (the API server prunes any field it does not
 * name) and its printer columns, so `kubectl get policyreport` shows what users see.
 */
export function policyReportCrds(): Manifest[] {
  const columns = [
    { jsonPath: '.scope.kind', name: 'Kind', type: 'string', priority: 1 },
    { jsonPath: '.scope.name', name: 'Name', type: 'string', priority: 1 },
    ...['pass', 'fail', 'warn', 'error', 'skip'].map((field) => ({
      jsonPath: `.summary.${field}`,
      name: `${field[0]?.toUpperCase()}${field.slice(1)}`,
      type: 'integer',
    })),
    { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' },
  ];
  const schema = {
    type: 'object',
    properties: {
      apiVersion: text,
      kind: text,
      metadata: { type: 'object' },
      results: { type: 'array', items: reportResult },
      scope: objectReference,
      scopeSelector: labelSelector,
      summary: {
        type: 'object',
        properties: { error: count, fail: count, pass: count, skip: count, warn: count },
      },
    },
  };
  const crd = (kind: string, plural: string, shortName: string, scope: string): Manifest => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.wgpolicyk8s.io` },
    spec: {
      group: 'wgpolicyk8s.io',
      scope,
      names: { plural, singular: kind.toLowerCase(), kind, shortNames: [shortName] },
      versions: [
        {
          name: 'v1alpha2',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          additionalPrinterColumns: columns,
        },
      ],
    },
  });
  return [
    crd('PolicyReport', 'policyreports', 'polr', 'Namespaced'),
    crd('ClusterPolicyReport', 'clusterpolicyreports', 'cpolr', 'Cluster'),
  ];
}

/** Istio's AuthorizationPolicy CRD (the allow-list fix's proxy half under Istio), v1 stored, v1beta1 too. */
export function istioAuthorizationPolicyCrd(): Manifest {
  return customResourceDefinition('security.istio.io', 'AuthorizationPolicy', 'authorizationpolicies', [
    'v1',
    'v1beta1',
  ]);
}

/** Istio's PeerAuthentication and DestinationRule CRDs as 1.22+ serves them (v1 stored, v1beta1 too). */
export function istioSecurityCrds(): Manifest[] {
  return [
    customResourceDefinition('security.istio.io', 'PeerAuthentication', 'peerauthentications', [
      'v1',
      'v1beta1',
    ]),
    customResourceDefinition('networking.istio.io', 'DestinationRule', 'destinationrules', ['v1', 'v1beta1']),
  ];
}
