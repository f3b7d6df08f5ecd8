import type { ResourceSpec } from '../adapters/kube/resources.js';
import type { ZtgateConfig } from '../policy/config.js';
import {
  buildDesiredPeerAuthentication,
  isSamePeerAuthenticationSpec,
  strictPeerAuthenticationManifest,
} from '../policy/desired/index.js';
import type { Controller } from './runtime/controller.js';
import { ownedObject } from './runtime/intents.js';

// The version the core's manifest names (security.istio.io/v1, served from Istio 1.22 on).
const [GROUP = '', VERSION = ''] = (strictPeerAuthenticationManifest('').apiVersion ?? '').split('/');

/** Istio's PeerAuthentication resource, in the version ztgate writes. */
export const PEER_AUTHENTICATIONS: ResourceSpec = {
  group: GROUP,
  version: VERSION,
  plural: 'peerauthentications',
  kind: 'PeerAuthentication',
  namespaced: true,
};

/**
 * The strict-mtls controller (`mesh.createStrictPeerAuthentication`, Istio providers): a
 * namespace-wide PeerAuthentication `ztgate-strict-mtls` with `mtls.mode: STRICT` in every
 * enforced namespace, re-created when deleted, restored when edited. It refuses plaintext to the
 * namespace's meshed pods, so it enforces: the runtime withholds it in audit and exempt namespaces
 * and removes ztgate's own copy when a namespace goes there. One per namespace rather than one in
 * the mesh root namespace, which would reach the audit namespaces' pods too.
 */
export function strictMtlsController(config: ZtgateConfig): Controller {
  return {
    name: 'strict-mtls',
    owns: [PEER_AUTHENTICATIONS],
    watches: [],
    desired(namespace) {
      const object = buildDesiredPeerAuthentication(config, namespace.name);
      if (object === undefined) return [];
      return [
        ownedObject({
          resource: PEER_AUTHENTICATIONS,
          object,
          enforcing: true,
          content: ['spec'],
          sameContent: isSamePeerAuthenticationSpec,
        }),
      ];
    },
  };
}
