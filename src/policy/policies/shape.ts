/**
 * The Go types of each policy flavour's spec, as far as the readers depend on them. The adapters
 * read a field of the wrong type as absent (`asList("x")` is `[]`), so `spec: ""` or
 * `ingress: true` read as a policy without rules and were allowed, though the API server's
 * decoder (built-in types) or structural schema (CRDs) refuses them: "cannot unmarshal string
 * into Go struct field NetworkPolicySpec.spec.ingress of type []v1.NetworkPolicyIngressRule".
 * Each error is an `invalid-object` finding at its path. Unknown fields are not checked here:
 * the API server prunes them, and the readers already treat them as absent.
 */
import { describeJsonType } from '../json-types.js';
import { isRecord } from '../objects.js';
import type { FieldError, KubeObject } from '../types.js';

/** A field's Go type: a scalar, a list of one shape, a struct of known fields, or unchecked. */
type Shape =
  | 'string'
  | 'integer'
  | 'int-or-string'
  | 'object'
  | 'any'
  | { readonly list: Shape }
  | { readonly fields: Readonly<Record<string, Shape>> };

/** At most this many type errors per object: a 300,000-item list of numbers is one finding, not 300,000. */
const MAX_ERRORS = 20;

const strings: Shape = { list: 'string' };
/** A label selector: label-selector.ts validates its parts (keys, operators, values). */
const SELECTOR: Shape = 'object';

const KUBERNETES_PORT: Shape = { fields: { protocol: 'string', port: 'int-or-string', endPort: 'integer' } };
const kubernetesRule = (peers: string): Shape => ({
  list: { fields: { [peers]: { list: 'any' }, ports: { list: KUBERNETES_PORT } } },
});
/** networking.k8s.io/v1 NetworkPolicySpec; peers are checked by kubernetes-peers.ts. */
const KUBERNETES_SPEC: Shape = {
  fields: {
    podSelector: SELECTOR,
    policyTypes: strings,
    ingress: kubernetesRule('from'),
    egress: kubernetesRule('to'),
  },
};

const CALICO_ENTITY: Shape = {
  fields: {
    nets: strings,
    notNets: strings,
    selector: 'string',
    notSelector: 'string',
    namespaceSelector: 'string',
    ports: { list: 'int-or-string' },
    notPorts: { list: 'int-or-string' },
    serviceAccounts: { fields: { names: strings, selector: 'string' } },
    services: { fields: { name: 'string', namespace: 'string' } },
  },
};
const CALICO_RULES: Shape = {
  list: {
    fields: {
      action: 'string',
      protocol: 'int-or-string',
      notProtocol: 'int-or-string',
      ipVersion: 'integer',
      source: CALICO_ENTITY,
      destination: CALICO_ENTITY,
      http: 'object',
      icmp: 'object',
      notICMP: 'object',
      metadata: 'object',
    },
  },
};
/** projectcalico.org/v3 (Global)NetworkPolicySpec. */
const CALICO_SPEC: Shape = {
  fields: {
    selector: 'string',
    namespaceSelector: 'string',
    serviceAccountSelector: 'string',
    types: strings,
    ingress: CALICO_RULES,
    egress: CALICO_RULES,
  },
};

const CILIUM_CIDR_SET: Shape = {
  list: { fields: { cidr: 'string', cidrGroupRef: 'string', except: strings } },
};
const CILIUM_PORTS: Shape = { list: { fields: { ports: { list: 'object' }, rules: 'object' } } };
const CILIUM_INGRESS: Shape = {
  list: {
    fields: {
      fromEndpoints: { list: SELECTOR },
      fromRequires: { list: SELECTOR },
      fromCIDR: strings,
      fromCIDRSet: CILIUM_CIDR_SET,
      fromEntities: strings,
      toPorts: CILIUM_PORTS,
    },
  },
};
const CILIUM_EGRESS: Shape = {
  list: {
    fields: {
      toEndpoints: { list: SELECTOR },
      toRequires: { list: SELECTOR },
      toCIDR: strings,
      toCIDRSet: CILIUM_CIDR_SET,
      toEntities: strings,
      toFQDNs: { list: { fields: { matchName: 'string', matchPattern: 'string' } } },
      toServices: { list: 'object' },
      toPorts: CILIUM_PORTS,
    },
  },
};
/** cilium.io/v2 Rule (a CNP's `spec`, or each of its `specs`). */
const CILIUM_RULE: Shape = {
  fields: {
    endpointSelector: SELECTOR,
    nodeSelector: SELECTOR,
    ingress: CILIUM_INGRESS,
    ingressDeny: CILIUM_INGRESS,
    egress: CILIUM_EGRESS,
    egressDeny: CILIUM_EGRESS,
  },
};

const ISTIO_SOURCE_KEYS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
];
const ISTIO_OPERATION_KEYS = [
  'hosts',
  'notHosts',
  'ports',
  'notPorts',
  'methods',
  'notMethods',
  'paths',
  'notPaths',
];
const listsOfStrings = (keys: readonly string[]): Shape => ({
  fields: Object.fromEntries(keys.map((key) => [key, strings])),
});
/** security.istio.io AuthorizationPolicy spec. */
const ISTIO_SPEC: Shape = {
  fields: {
    selector: { fields: { matchLabels: 'object' } },
    action: 'string',
    rules: {
      list: {
        fields: {
          from: { list: { fields: { source: listsOfStrings(ISTIO_SOURCE_KEYS) } } },
          to: { list: { fields: { operation: listsOfStrings(ISTIO_OPERATION_KEYS) } } },
          when: { list: { fields: { key: 'string', values: strings, notValues: strings } } },
        },
      },
    },
  },
};

/** The top-level fields of each flavour's object, by API group. */
const OBJECT_SHAPES: Readonly<Record<string, Shape>> = {
  'networking.k8s.io': { fields: { spec: KUBERNETES_SPEC } },
  'projectcalico.org': { fields: { spec: CALICO_SPEC } },
  'crd.projectcalico.org': { fields: { spec: CALICO_SPEC } },
  'cilium.io': { fields: { spec: CILIUM_RULE, specs: { list: CILIUM_RULE } } },
  'security.istio.io': { fields: { spec: ISTIO_SPEC } },
};

function scalarError(
  value: unknown,
  shape: 'string' | 'integer' | 'int-or-string' | 'object',
): string | undefined {
  const isInteger = typeof value === 'number' && Number.isInteger(value);
  if (shape === 'string' && typeof value !== 'string') return 'a string';
  if (shape === 'integer' && !isInteger) return 'an integer';
  if (shape === 'int-or-string' && !isInteger && typeof value !== 'string') return 'an integer or a string';
  if (shape === 'object' && !isRecord(value)) return 'an object';
  return undefined;
}

/**
 * Whether a value has its shape, without building a path or a message: a policy of 40,000 rules
 * (what fits in the 3 MiB body limit) is checked in one allocation-free pass, and only an
 * ill-typed one is walked again for its errors.
 */
function fits(value: unknown, shape: Shape): boolean {
  if (value === undefined || value === null || shape === 'any') return true;
  if (typeof shape === 'string') return scalarError(value, shape) === undefined;
  if ('list' in shape) {
    if (!Array.isArray(value)) return false;
    for (const item of value) if (!fits(item, shape.list)) return false;
    return true;
  }
  if (!isRecord(value)) return false;
  for (const key in shape.fields) {
    if (Object.hasOwn(value, key) && !fits(value[key], shape.fields[key] as Shape)) return false;
  }
  return true;
}

function typeError(path: string, value: unknown, expected: string): FieldError {
  const name = path.slice(path.lastIndexOf('.') + 1);
  return { path, message: `${name} is ${describeJsonType(value)}, not ${expected}` };
}

function walk(value: unknown, shape: Shape, path: string, errors: FieldError[]): void {
  // null and absent are unset, as Go's decoder leaves them.
  if (errors.length >= MAX_ERRORS || fits(value, shape)) return;
  if (typeof shape === 'string') {
    if (shape !== 'any') errors.push(typeError(path, value, scalarError(value, shape) ?? shape));
    return;
  }
  if ('list' in shape) {
    if (!Array.isArray(value)) return void errors.push(typeError(path, value, 'a list'));
    for (const [index, item] of value.entries()) walk(item, shape.list, `${path}[${index}]`, errors);
    return;
  }
  if (!isRecord(value)) return void errors.push(typeError(path, value, 'an object'));
  for (const [key, field] of Object.entries(shape.fields)) {
    if (Object.hasOwn(value, key)) walk(value[key], field, path === '' ? key : `${path}.${key}`, errors);
  }
}

/** Where a policy object's known fields hold a value of the wrong type (at most MAX_ERRORS). */
export function policyShapeErrors(object: KubeObject): FieldError[] {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const shape = Object.hasOwn(OBJECT_SHAPES, group) ? OBJECT_SHAPES[group] : undefined;
  const errors: FieldError[] = [];
  if (shape !== undefined) walk(object, shape, '', errors);
  return errors;
}
