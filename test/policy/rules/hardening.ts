/**
 * Helpers for the workload-hardening tables: every rule that keeps a workload inside its sandbox
 * and behind the proxy runs on each case, so a table row also proves a field is reported once,
 * by one rule, and that a look-alike trips none of them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_CONFIG, deepFreeze, type ZtgateConfig } from '../../../src/policy/config.js';
import {
  noHostNetworkRule,
  noNetAdminRule,
  noProxyIdentityRule,
  noProxyPortsRule,
  noProxyProcessAccessRule,
  POD_SECURITY_RULES,
  type Rule,
} from '../../../src/policy/rules/index.js';
import type { KubeObject, Violation, WorkloadKind } from '../../../src/policy/types.js';
import { toWorkload } from '../../../src/policy/workload.js';
import { EMPTY_VIEW } from './context.js';

/** The rules a hardening case runs (all of them, whichever the case is about). */
export const HARDENING_RULES: readonly Rule[] = [
  noHostNetworkRule,
  noNetAdminRule,
  ...POD_SECURITY_RULES,
  noProxyIdentityRule,
  noProxyProcessAccessRule,
  noProxyPortsRule,
];

type Json = Record<string, unknown>;

/** DEFAULT_CONFIG with another mesh provider and deep overrides, frozen as loadConfig freezes it. */
export function configWith(
  provider: ZtgateConfig['mesh']['provider'] = DEFAULT_CONFIG.mesh.provider,
  overrides: Partial<Pick<ZtgateConfig, 'podSecurity' | 'sidecar'>> = {},
): ZtgateConfig {
  return deepFreeze({
    ...structuredClone(DEFAULT_CONFIG),
    mesh: { ...DEFAULT_CONFIG.mesh, provider },
    ...structuredClone(overrides),
  });
}

const API_VERSIONS: Readonly<Record<WorkloadKind, string>> = {
  Pod: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  ReplicationController: 'v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/** A workload `w` of `kind` in namespace `shop` whose pods have this spec (and pod annotations). */
export function workload(spec: Json, kind: WorkloadKind = 'Pod', annotations: Json = {}): KubeObject {
  const metadata = { name: 'w', namespace: 'shop', annotations };
  const template = { metadata: { labels: { app: 'w' }, annotations }, spec };
  const body: Json =
    kind === 'Pod'
      ? { metadata, spec }
      : kind === 'CronJob'
        ? { metadata: { name: 'w', namespace: 'shop' }, spec: { jobTemplate: { spec: { template } } } }
        : { metadata: { name: 'w', namespace: 'shop' }, spec: { template } };
  return { apiVersion: API_VERSIONS[kind], kind, ...body };
}

/** The findings of every hardening rule on a CREATE of `object`, as `[rule, path]` pairs. */
export function findings(object: KubeObject, config: ZtgateConfig = DEFAULT_CONFIG): [string, string][] {
  return violations(object, config).map((v) => [v.rule, v.path]);
}

/** The violations themselves (for message and fix assertions). */
export function violations(object: KubeObject, config: ZtgateConfig = DEFAULT_CONFIG): Violation[] {
  const subject = toWorkload(object);
  if (subject === undefined) throw new Error('not a workload');
  const context = {
    input: { operation: 'CREATE' as const, object },
    view: EMPTY_VIEW,
    config,
    workload: subject,
    policy: undefined,
    oldPolicy: undefined,
  };
  return HARDENING_RULES.flatMap((rule) => [...rule.check(context)]);
}

/** A pod the mesh injected, read from test/policy/rules/fixtures/<name>.yaml. */
export function injectedPod(name: 'istio-injected' | 'istio-cni-injected' | 'linkerd-injected'): KubeObject {
  const file = fileURLToPath(new URL(`./fixtures/${name}.yaml`, import.meta.url));
  return parse(readFileSync(file, 'utf8')) as KubeObject;
}

/** An app container. */
export const app = { name: 'app', image: 'registry.example/app:1.0' };

/** An app container with this securityContext. */
export function appWith(securityContext: Json, extra: Json = {}): Json {
  return { ...app, securityContext, ...extra };
}
