import { joinPath } from '../objects.js';
import type { Workload } from '../types.js';
import { fixName } from './names.js';
import { renderFix } from './render.js';

/** The ServiceAccount manifest a workload should run as. */
export function serviceAccountManifest(namespace: string, name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

/**
 * The fix for a missing, default or shared identity: the ServiceAccount to create and the field
 * to set in the pod template.
 */
export function buildServiceAccountFix(
  workload: Workload,
  serviceAccountName: string,
  create = true,
): string {
  const path = joinPath(workload.templatePath, 'spec.serviceAccountName');
  const name = fixName(workload, serviceAccountName);
  const prose = create
    ? `Create a ServiceAccount for this workload alone and set ${path}: ${name}`
    : `Set ${path}: ${name} (or create the ServiceAccount the workload names)`;
  return renderFix(prose, [{ value: serviceAccountManifest(workload.namespace, name) }]);
}

/** The fix when the shared ServiceAccount is named after this workload: the other workloads move out. */
export function buildSharerServiceAccountsFix(
  namespace: string,
  serviceAccountName: string,
  sharerNames: readonly string[],
): string {
  const prose = `ServiceAccount ${serviceAccountName} is named after this workload: give each other workload its own and set its serviceAccountName`;
  return renderFix(
    prose,
    sharerNames.map((name) => ({ value: serviceAccountManifest(namespace, name) })),
  );
}
