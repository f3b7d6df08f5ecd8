import { coreResource, type ResourceSpec } from '../adapters/kube/resources.js';
import type { ZtgateConfig } from '../policy/config.js';
import {
  expectedInjector,
  judgeInjector,
  type InjectorExpectation,
  type InjectorStatus,
} from '../policy/mesh/injector.js';
import type { KubeObject } from '../policy/types.js';
import type {
  Controller,
  ControllerCondition,
  ControllerContext,
  WatchDeclaration,
} from './runtime/controller.js';

/** The resource Istio's and Linkerd's injectors register as. */
export const MUTATING_WEBHOOK_CONFIGURATIONS: ResourceSpec = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'mutatingwebhookconfigurations',
  kind: 'MutatingWebhookConfiguration',
  namespaced: false,
};

/** The name of the condition a missing injector raises. */
export const INJECTOR_MISSING = 'injector-missing';

/** The configured mesh's injector and the by-name watches that read it. */
export interface InjectorWatches {
  readonly expectation: InjectorExpectation;
  readonly watches: readonly WatchDeclaration[];
}

/**
 * The watches of the mesh's injector objects, one field-selected watch a name (so RBAC can name
 * them), requeueing the cluster-wide work item; undefined under the builtin injector. Controllers
 * that declare the same watches share one cache of them.
 */
export function injectorWatches(config: ZtgateConfig): InjectorWatches | undefined {
  const expectation = expectedInjector(config);
  if (expectation === undefined) return undefined;
  const resource =
    expectation.kind === 'DaemonSet' ? coreResource('DaemonSet') : MUTATING_WEBHOOK_CONFIGURATIONS;
  const watches = expectation.names.map((name) => ({
    name,
    resource,
    ...(expectation.namespace === undefined ? {} : { namespace: expectation.namespace }),
    fieldSelector: `metadata.name=${name}`,
    requeue: 'cluster' as const,
  }));
  return { expectation, watches };
}

/** The injector as the watches hold it, judged; undefined until every watch has listed. */
export function readInjector(
  config: ZtgateConfig,
  { expectation, watches }: InjectorWatches,
  context: ControllerContext,
): InjectorStatus | undefined {
  if (!watches.every((watch) => context.watched(watch.name).synced())) return undefined;
  const found: KubeObject[] = [];
  for (const { name } of watches) {
    const object = context.watched(name).get(expectation.namespace ?? '', name);
    if (object !== undefined) found.push(object);
  }
  return judgeInjector(config, found);
}

/**
 * The mesh-injector check: ztgate enrols namespaces and verifies pods, but the mesh's injector
 * adds the proxy, so without it every new pod of an enforced namespace is refused. Every replica
 * watches the injector's objects by name (one field-selected watch each, so RBAC can name them):
 * the MutatingWebhookConfiguration of Istio or Linkerd, ambient's ztunnel DaemonSet. A missing
 * injector, or one that selects no enrolled namespace, is a standing condition: the leader logs
 * it once per change, `ztgate_mesh_injector_present` reads 0 on every replica, and `ztgate audit`
 * reports it. Writes nothing; undefined under the builtin injector.
 */
export function meshInjectorController(config: ZtgateConfig): Controller | undefined {
  const injector = injectorWatches(config);
  if (injector === undefined) return undefined;
  const { expectation, watches } = injector;
  return {
    name: 'mesh-injector',
    owns: [],
    watches,
    conditions(context): ControllerCondition[] {
      const status = readInjector(config, injector, context);
      if (status === undefined || status.present) return [];
      const fields = {
        provider: config.mesh.provider,
        kind: expectation.kind,
        names: expectation.names,
        ...(expectation.namespace === undefined ? {} : { namespace: expectation.namespace }),
      };
      return [{ key: INJECTOR_MISSING, message: status.message, fields }];
    },
  };
}
