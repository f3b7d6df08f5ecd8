import { EXEMPT_LABEL, MODE_LABEL, type ZtgateConfig } from '../config.js';
import { readLabels } from '../objects.js';
import type { KubeObject, Labels, Violation } from '../types.js';
import { isZtgateAdmin, whoMay } from './default-deny-protected.js';
import type { Rule } from './rule.js';
import { quoteValue, showText } from '../message-text.js';

/** A namespace label that switches ztgate off or softens it, and the value that does. */
const WEAKENING_LABELS: readonly { readonly key: string; readonly value: string; readonly effect: string }[] =
  [
    {
      key: EXEMPT_LABEL,
      value: 'true',
      effect:
        'the webhook registrations skip the namespace: no pod gets the mTLS sidecar and nothing is judged',
    },
    {
      key: MODE_LABEL,
      value: 'audit',
      effect: 'ztgate only warns there: workloads without identity, allow-list or sidecar are admitted',
    },
  ];

function labelsOf(object: KubeObject | undefined): Labels {
  return readLabels(object?.metadata?.labels);
}

/**
 * Whoever can label a namespace could otherwise switch ztgate off in it: `ztgate.dev/exempt=true`
 * takes it out of the webhooks' namespaceSelector, `ztgate.dev/mode=audit` turns denials into
 * warnings. Setting either (on create, or as a change) is reserved to ztgate admins; removing one
 * (enforcing again) is anyone's.
 */
export const protectedNamespaceLabels: Rule = {
  name: 'protected-namespace-labels',
  description:
    'Only ztgate admins may label a namespace ztgate.dev/exempt=true or ztgate.dev/mode=audit (either switches enforcement off there).',
  appliesTo: 'namespace',
  operations: ['CREATE', 'UPDATE'],
  check({ input, config }): readonly Violation[] {
    if (input.object?.kind !== 'Namespace' || isZtgateAdmin(input.user, config)) return [];
    const name = input.object.metadata?.name ?? '';
    const now = labelsOf(input.object);
    const before = labelsOf(input.operation === 'UPDATE' ? input.oldObject : undefined);
    return WEAKENING_LABELS.filter(({ key, value }) => now[key] === value && before[key] !== value).map(
      ({ key, value, effect }) => violation(name, key, value, effect, config),
    );
  },
};

function violation(
  name: string,
  key: string,
  value: string,
  effect: string,
  config: ZtgateConfig,
): Violation {
  return {
    rule: 'protected-namespace-labels',
    path: `metadata.labels.${key}`,
    value,
    message: `Namespace ${quoteValue(name)} would be labelled ${key}=${value}: ${effect}. May set it: ${whoMay(config)}.`,
    fix:
      `Remove the label ${key} from the namespace manifest (kubectl label namespace ${showText(String(name))} ${key}-), ` +
      `or ask a ztgate admin to set it; for a permanent exemption an admin lists ${quoteValue(name)} in the ztgate config (exemptNamespaces).`,
  };
}
