/**
 * The syntax Kubernetes gives the names in an AdmissionReview's kind and resource. The API server
 * only ever sends names it has validated, so anything else came from someone else on the port.
 * Lengths are checked before the (anchored, linear) patterns run, so each test is constant time.
 */

// DNS-1123 label / subdomain, as k8s.io/apimachinery/pkg/util/validation spells them.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN_PART = DNS_LABEL;
// A kind is CamelCase letters and digits (CRD validation lower-cases it into a DNS-1035 label).
const KIND = /^[A-Za-z]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
// Resources and subresources are lower-case DNS-1035 labels ("pods", "ephemeralcontainers").
const RESOURCE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const LABEL_MAX = 63;
const SUBDOMAIN_MAX = 253;

/** An API group: "" (core) or a DNS-1123 subdomain. */
export function isApiGroup(value: string): boolean {
  if (value === '') return true;
  if (value.length > SUBDOMAIN_MAX) return false;
  return value.split('.').every((part) => part.length <= LABEL_MAX && DNS_SUBDOMAIN_PART.test(part));
}

/** An API version ("v1", "v1beta1"): a DNS-1123 label. */
export function isApiVersion(value: string): boolean {
  return value.length <= LABEL_MAX && DNS_LABEL.test(value);
}

/** A namespace name ("shop"): a DNS-1123 label, as the API server validates every namespace. */
export function isNamespaceName(value: string): boolean {
  return value.length <= LABEL_MAX && DNS_LABEL.test(value);
}

/** A kind ("Deployment", "CiliumNetworkPolicy"). */
export function isKindName(value: string): boolean {
  return value.length <= LABEL_MAX && KIND.test(value);
}

/** A resource or subresource name ("deployments", "status"). */
export function isResourceName(value: string): boolean {
  return value.length <= LABEL_MAX && RESOURCE.test(value);
}

/**
 * The resource the API server files a kind under when nothing says otherwise (apimachinery's
 * UnsafeGuessKindToResource): lower-cased, `y` → `ies`, `s` → `ses`, else `s`. Every kind ztgate
 * judges follows it (Pod → pods, NetworkPolicy → networkpolicies).
 */
export function guessResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}
