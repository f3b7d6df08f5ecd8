import { parse } from 'yaml';
import { normalizePolicy } from '../../../src/policy/policies/index.js';
import type { KubeObject, Labels, NormalizedPolicy, SelectTarget } from '../../../src/policy/types.js';

/** Parses one YAML policy and normalizes it with istio-system as the mesh root. */
export function policyFrom(yaml: string): NormalizedPolicy {
  const policy = normalizePolicy(parse(yaml) as KubeObject, { istioRootNamespace: 'istio-system' });
  if (policy === undefined) throw new Error('not a policy');
  return policy;
}

/** A pod as a policy sees it. */
export function target(podLabels: Labels, overrides: Partial<SelectTarget> = {}): SelectTarget {
  return {
    namespace: 'pay',
    namespaceLabels: { team: 'payments' },
    podLabels,
    serviceAccountName: 'api',
    serviceAccountLabels: undefined,
    ...overrides,
  };
}

/** Paths of a policy's allow-all findings. */
export function allowAllPaths(policy: NormalizedPolicy): string[] {
  return policy.allowAll.map((finding) => finding.path);
}
