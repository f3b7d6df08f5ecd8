import { resourceKey, type ResourceSpec } from '../adapters/kube/resources.js';
import type { ZtgateConfig } from '../policy/config.js';
import { buildDesiredTrustBundle, isSameConfigMapContent } from '../policy/desired/index.js';
import type { Controller } from './runtime/controller.js';
import { ownedObject } from './runtime/intents.js';

/** The core/v1 ConfigMap resource. */
export const CONFIG_MAPS: ResourceSpec = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};

/**
 * The trust-bundle controller: injected pods mount `sidecar.trustBundleConfigMap` from their own
 * namespace, so the leader copies it from ztgate's namespace into every namespace the mutating
 * webhook injects (enforced and audit alike: a copy cuts no traffic, and an audit namespace's
 * pods carry the sidecar too), never into exempt ones. It watches the single source object (field
 * selector, in ztgate's namespace) and its own copies (managed-by label and the same name), never
 * every ConfigMap of the cluster, which RBAC does not grant.
 */
export function trustBundleController(config: ZtgateConfig): Controller {
  const name = config.sidecar.trustBundleConfigMap;
  const home = config.namespace;
  return {
    name: 'trust-bundle',
    owns: [CONFIG_MAPS],
    // Every copy carries the source's name: RBAC grants ConfigMaps by that name alone.
    ownedNames: { [resourceKey(CONFIG_MAPS)]: name },
    watches: [
      {
        name: 'source',
        resource: CONFIG_MAPS,
        namespace: home,
        fieldSelector: `metadata.name=${name}`,
        // The source changed, appeared or went away: every copy needs a look.
        requeue: 'all',
      },
    ],
    desired(namespace, context) {
      if (namespace.enforcement.mode === 'exempt') return [];
      const source = context.watched('source').get(home, name);
      if (source === undefined) return [];
      return [
        ownedObject({
          resource: CONFIG_MAPS,
          object: buildDesiredTrustBundle(source, namespace.name),
          enforcing: false,
          content: ['data', 'binaryData'],
          sameContent: isSameConfigMapContent,
        }),
      ];
    },
    conditions(context) {
      const source = context.watched('source');
      if (!source.synced() || source.get(home, name) !== undefined) return [];
      return [
        {
          key: 'source-missing',
          message: 'trust bundle source ConfigMap is missing; injected pods cannot start until it exists',
          fields: { namespace: home, name },
        },
      ];
    },
  };
}
