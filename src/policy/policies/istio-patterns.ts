/**
 * Istio's string patterns for identities (AuthorizationPolicy `principals`, `namespaces`,
 * `requestPrincipals` and their `when` keys): exact, prefix `abc*`, suffix `*abc`, or presence `*`
 * (pilot/pkg/security/authz/matcher). A `*` anywhere else is a literal to Istio, which no real
 * identity contains; ztgate reads every `*` as a wildcard, as the author meant, so a pattern that
 * would cover everyone with it is refused either way. Whether a pattern covers every identity is
 * checked on witnesses: identities made of names nobody chose, which only wildcards can match.
 */

/** Characters no namespace, ServiceAccount or trust domain holds: they stand for "any name". */
const ANY_NAMESPACE = '\u0001';
const ANY_ACCOUNT = '\u0002';
const ANY_DOMAIN = '\u0003';
/** Istio's default trust domain. */
const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** Longer patterns are not judged as wildcards (no identity is this long). */
const MAX_PATTERN = 1024;

/** Whether `value` matches `pattern`, every `*` standing for any run of characters (linear, greedy). */
export function matchesGlob(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!value.startsWith(first) || value.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, at);
    if (found === -1) return false;
    at = found + middle.length;
  }
  return value.length - last.length >= at && value.endsWith(last);
}

/** Trust domains a principal pattern could cover whole: Istio's default, the one it names, any other. */
function trustDomainCandidates(pattern: string): string[] {
  const candidates = [DEFAULT_TRUST_DOMAIN, ANY_DOMAIN];
  const parts = pattern.split('*');
  const head = parts[0] as string;
  if (parts.length > 1 && !head.includes('/')) candidates.push(head + ANY_DOMAIN);
  for (const part of parts) {
    const slash = part.indexOf('/');
    if (slash > 0) candidates.push(part.slice(0, slash));
  }
  return candidates;
}

/**
 * Whether a `principals` pattern matches every identity of some trust domain
 * (`<trust-domain>/ns/<namespace>/sa/<serviceaccount>`): `*`, `cluster.local/` then `*`, or
 * `*` then `/ns/` then `*` then `/sa/` then `*`.
 */
export function principalCoversTrustDomain(pattern: string): boolean {
  if (pattern.length > MAX_PATTERN || !pattern.includes('*')) return false;
  return trustDomainCandidates(pattern).some((domain) =>
    matchesGlob(pattern, `${domain}/ns/${ANY_NAMESPACE}/sa/${ANY_ACCOUNT}`),
  );
}

/** Whether a pattern matches every value of its field: only wildcards (`*`). */
export function isOnlyWildcard(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= MAX_PATTERN && /^\*+$/.test(pattern);
}

/** Whether a `namespaces` pattern matches every namespace. */
export function namespaceCoversAll(pattern: string): boolean {
  return pattern.length <= MAX_PATTERN && matchesGlob(pattern, ANY_NAMESPACE);
}
