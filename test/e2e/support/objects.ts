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

/** A namespaced CustomResourceDefinition of one served, schemaless version. */
export function customResourceDefinition(
  group: string,
  kind: string,
  plural: string,
  version = 'v1',
): Manifest {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

/** Calico's policy CRD as its manifest install (no Calico API server) creates it. */
export function calicoPolicyCrd(): Manifest {
  return customResourceDefinition('crd.projectcalico.org', 'NetworkPolicy', 'networkpolicies');
}
