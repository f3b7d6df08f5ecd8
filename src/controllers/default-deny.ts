import { coreResource } from '../adapters/kube/resources.js';
import type { ZtgateConfig } from '../policy/config.js';
import { buildDesiredPolicies, isSameNetworkPolicySpec } from '../policy/desired/index.js';
import type { Controller } from './runtime/controller.js';
import { ownedObject } from './runtime/intents.js';

const NETWORK_POLICIES = coreResource('NetworkPolicy');

/**
 * The default-deny controller: `ztgate-default-deny` and its companions (the DNS allowance) in
 * every enforced namespace, re-created when deleted, restored when edited. All of them enforce —
 * an allowance with `policyTypes: [Egress]` isolates every pod it selects as much as the deny —
 * so the runtime withholds them in audit and exempt namespaces and removes ztgate's own copies.
 * The companions are declared before the deny: created first and removed last, so a namespace
 * never passes through "deny without DNS" on its way in or out.
 */
export function defaultDenyController(config: ZtgateConfig): Controller {
  return {
    name: 'default-deny',
    owns: [NETWORK_POLICIES],
    watches: [],
    desired(namespace) {
      const [deny, ...companions] = buildDesiredPolicies(config, namespace.name);
      if (deny === undefined) return [];
      return [...companions, deny].map((object) =>
        ownedObject({
          resource: NETWORK_POLICIES,
          object,
          enforcing: true,
          content: ['spec'],
          sameContent: (existing, desired) => isSameNetworkPolicySpec(existing['spec'], desired['spec']),
        }),
      );
    },
  };
}
