/**
 * The meshes' injector registrations as their charts install them, for the unit tests of the
 * injector check and for the e2e suite (pointed at the test injector). Written from the charts'
 * templates: Istio's istio-discovery templates/mutatingwebhook.yaml (one configuration per
 * revision, four webhooks for the default revision: namespace label, object label, and their
 * istio.io/rev twins; `failurePolicy: Fail`, `reinvocationPolicy: Never`, path /inject) and
 * Linkerd's linkerd-control-plane templates/proxy-injector-rbac.yaml with the chart's default
 * selectors (`failurePolicy: Ignore` by default, pods and services, path /).
 */

type Json = Record<string, unknown>;

/** Where the API server sends a webhook's reviews. */
export type ClientConfig =
  | {
      readonly service: {
        readonly name: string;
        readonly namespace: string;
        readonly path: string;
        readonly port?: number;
      };
    }
  | { readonly url: string; readonly caBundle: string };

const expression = (key: string, operator: string, values?: string[]): Json =>
  values === undefined ? { key, operator } : { key, operator, values };

function istioWebhook(
  prefix: string,
  clientConfig: ClientConfig,
  namespaceSelector: Json,
  objectSelector: Json,
): Json {
  return {
    name: `${prefix}sidecar-injector.istio.io`,
    clientConfig,
    sideEffects: 'None',
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    failurePolicy: 'Fail',
    reinvocationPolicy: 'Never',
    admissionReviewVersions: ['v1'],
    namespaceSelector,
    objectSelector,
  };
}

/**
 * Istio's injector registration for a revision ('' is the default revision, named
 * `istio-sidecar-injector`; a revision's is `istio-sidecar-injector-<rev>`).
 */
export function istioInjectorWebhooks(revision: string, clientConfig?: ClientConfig): Json {
  const rev = revision === '' ? 'default' : revision;
  const client: ClientConfig = clientConfig ?? {
    service: {
      name: revision === '' ? 'istiod' : `istiod-${revision}`,
      namespace: 'istio-system',
      path: '/inject',
      port: 443,
    },
  };
  const notOptedOut = expression('sidecar.istio.io/inject', 'NotIn', ['false']);
  const webhooks = [
    istioWebhook(
      'rev.namespace.',
      client,
      {
        matchExpressions: [
          expression('istio.io/rev', 'In', [rev]),
          expression('istio-injection', 'DoesNotExist'),
        ],
      },
      { matchExpressions: [notOptedOut] },
    ),
    istioWebhook(
      'rev.object.',
      client,
      {
        matchExpressions: [
          expression('istio.io/rev', 'DoesNotExist'),
          expression('istio-injection', 'DoesNotExist'),
        ],
      },
      { matchExpressions: [notOptedOut, expression('istio.io/rev', 'In', [rev])] },
    ),
  ];
  if (revision === '') {
    webhooks.push(
      istioWebhook(
        'namespace.',
        client,
        { matchExpressions: [expression('istio-injection', 'In', ['enabled'])] },
        { matchExpressions: [notOptedOut] },
      ),
      istioWebhook(
        'object.',
        client,
        {
          matchExpressions: [
            expression('istio-injection', 'DoesNotExist'),
            expression('istio.io/rev', 'DoesNotExist'),
          ],
        },
        {
          matchExpressions: [
            expression('sidecar.istio.io/inject', 'In', ['true']),
            expression('istio.io/rev', 'DoesNotExist'),
          ],
        },
      ),
    );
  }
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: revision === '' ? 'istio-sidecar-injector' : `istio-sidecar-injector-${revision}`,
      labels: { 'istio.io/rev': rev, app: 'sidecar-injector', 'app.kubernetes.io/name': 'istiod' },
    },
    webhooks,
  };
}

/**
 * The default injector after `istioctl tag set default` moved `istio-injection=enabled` to
 * `istio-revision-tag-default`: the same object, every selector replaced by one that matches
 * nothing (istioctl's `istio.io/deactivated: never-match`).
 */
export function deactivatedIstioInjector(): Json {
  const original = istioInjectorWebhooks('');
  const never = { matchLabels: { 'istio.io/deactivated': 'never-match' } };
  return {
    ...original,
    webhooks: (original['webhooks'] as Json[]).map((webhook) => ({
      ...webhook,
      namespaceSelector: never,
      objectSelector: never,
    })),
  };
}

/** Linkerd's injector registration with the chart's default selectors. */
export function linkerdInjectorWebhooks(clientConfig?: ClientConfig, failurePolicy = 'Ignore'): Json {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: 'linkerd-proxy-injector-webhook-config',
      labels: {
        'linkerd.io/control-plane-component': 'proxy-injector',
        'linkerd.io/control-plane-ns': 'linkerd',
      },
    },
    webhooks: [
      {
        name: 'linkerd-proxy-injector.linkerd.io',
        namespaceSelector: {
          matchExpressions: [
            expression('config.linkerd.io/admission-webhooks', 'NotIn', ['disabled']),
            expression('kubernetes.io/metadata.name', 'NotIn', ['kube-system', 'cert-manager']),
          ],
        },
        objectSelector: {
          matchExpressions: [
            expression('linkerd.io/control-plane-component', 'DoesNotExist'),
            expression('linkerd.io/cni-resource', 'DoesNotExist'),
          ],
        },
        clientConfig: clientConfig ?? {
          service: { name: 'linkerd-proxy-injector', namespace: 'linkerd', path: '/' },
        },
        failurePolicy,
        admissionReviewVersions: ['v1', 'v1beta1'],
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods', 'services'],
            scope: 'Namespaced',
          },
        ],
        sideEffects: 'None',
        timeoutSeconds: 10,
      },
    ],
  };
}

/** Ambient's node proxy as its chart names it: the `ztunnel` DaemonSet in the control-plane namespace. */
export function ztunnelDaemonSet(namespace = 'istio-system'): Json {
  const labels = { app: 'ztunnel' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'ztunnel', namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
        spec: {
          serviceAccountName: 'ztunnel',
          containers: [
            { name: 'istio-proxy', image: 'docker.io/istio/ztunnel:1.24.0', args: ['proxy', 'ztunnel'] },
          ],
        },
      },
    },
  };
}
