import {
  boolean,
  cidr,
  dnsLabel,
  dnsSubdomain,
  imagePattern,
  imageReference,
  integer,
  labelKey,
  labelValue,
  leaf,
  list,
  nonEmptyString,
  object,
  oneOf,
  port,
  quantity,
  record,
  trustDomain,
  text,
  type SchemaNode,
} from './schema-nodes.js';
import { hostPath } from './schema-nodes.js';

const resourceMap = record(labelKey, quantity);

/** The schema of a ztgate config file: the shape of ZtgateConfig, camelCase, every key optional. */
export const CONFIG_SCHEMA: SchemaNode = object({
  mode: leaf(oneOf('enforce', 'audit')),
  exemptNamespaces: list(leaf(dnsLabel)),
  namespace: leaf(dnsLabel),
  istioRootNamespace: leaf(dnsLabel),
  admins: object({ groups: list(leaf(nonEmptyString)), users: list(leaf(nonEmptyString)) }),
  defaultDeny: object({
    create: leaf(boolean),
    policyName: leaf(dnsSubdomain),
    dns: object({
      enabled: leaf(boolean),
      policyName: leaf(dnsSubdomain),
      podSelector: record(labelKey, labelValue),
      namespace: leaf(dnsLabel),
      ports: list(object({ port: leaf(port), protocol: leaf(oneOf('UDP', 'TCP')) })),
    }),
  }),
  mesh: object({
    provider: leaf(oneOf('istio', 'istio-ambient', 'linkerd', 'builtin')),
    revision: leaf((value) => (value === '' ? undefined : dnsLabel(value))),
    proxyImages: list(leaf(imagePattern)),
    controlPlaneNamespace: leaf((value) => (value === '' ? undefined : dnsLabel(value))),
    createStrictPeerAuthentication: leaf(boolean),
    // Which keys and values qualify depends on the provider: see mesh-rules.ts.
    exceptions: list(
      object({
        namespace: leaf(dnsLabel),
        workload: leaf((value) => (value === '' ? undefined : dnsSubdomain(value)), ''),
        annotations: record(labelKey, text),
      }),
    ),
  }),
  sidecar: object({
    // "" (the default) only outside mesh.provider builtin: see mesh-rules.ts.
    image: leaf(imageReference),
    containerName: leaf(dnsLabel),
    initImage: leaf(imageReference),
    initContainerName: leaf(dnsLabel),
    native: leaf(boolean),
    ports: object({ inbound: leaf(port), outbound: leaf(port), health: leaf(port), admin: leaf(port) }),
    resources: object({ requests: resourceMap, limits: resourceMap }),
    trustDomain: leaf(trustDomain),
    // The API server rejects projected token expirations under 10 minutes.
    token: object({ audience: leaf(nonEmptyString), expirationSeconds: leaf(integer(600, 4_294_967_295)) }),
    trustBundleConfigMap: leaf(dnsSubdomain),
    distributeTrustBundle: leaf(boolean),
    exclude: object({
      inboundPorts: list(leaf(port)),
      outboundPorts: list(leaf(port)),
      outboundCIDRs: list(leaf(cidr)),
    }),
    // Non-root: uid 0 would give the proxy root in the pod.
    runAsUser: leaf(integer(1, 2_147_483_647)),
  }),
  // Admin-only exceptions to the Pod Security Standards baseline's hostPath and hostPort controls.
  podSecurity: object({
    allowedHostPaths: list(
      object({ namespace: leaf(dnsLabel), pathPrefix: leaf(hostPath), readOnly: leaf(boolean) }),
    ),
    allowedHostPorts: list(object({ namespace: leaf(dnsLabel), port: leaf(port) })),
  }),
  view: object({ staleAfterSeconds: leaf(integer(1, 86_400)) }),
  controllers: object({ dryRun: leaf(boolean) }),
  audit: object({ background: leaf(boolean), intervalSeconds: leaf(integer(10, 86_400)) }),
  server: object({
    drainDelaySeconds: leaf(integer(0, 60)),
    // The API server's webhook timeoutSeconds is at most 30: no request needs longer.
    requestTimeoutSeconds: leaf(integer(1, 30)),
    idleTimeoutSeconds: leaf(integer(1, 3600)),
    maxConnections: leaf(integer(1, 65_535)),
    maxSessionAgeSeconds: leaf(integer(10, 86_400)),
  }),
});
