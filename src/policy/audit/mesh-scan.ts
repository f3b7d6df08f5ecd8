/**
 * What the audit (`ztgate audit` and the background audit alike, one namespace at a time) reports
 * about the mesh beyond what admission judges: namespaces the mesh does not enrol or where mTLS is
 * not STRICT, and running pods that are not meshed (created before their namespace was enrolled,
 * or, under ambient, never redirected by istio-cni: the `ambient.istio.io/redirection: enabled`
 * annotation only arrives after scheduling).
 */
import { resolveOwner } from '../cluster-view.js';
import { EXEMPT_LABEL, isExemptNamespace, type ZtgateConfig } from '../config.js';
import { isEnforcedNamespace, isEnrolled } from '../mesh/enrolment.js';
import { approvedItems } from '../mesh/exceptions.js';
import { AMBIENT_REDIRECTION_ANNOTATION } from '../mesh/istio-ambient.js';
import { LINKERD_DEFAULT_POLICY_ANNOTATION, LINKERD_STRICT_POLICIES } from '../mesh/linkerd.js';
import { resolveLevel, type PeerAuthenticationInfo } from '../mesh/peer-authentication.js';
import { verifyMeshedPod } from '../mesh/verify.js';
import type { ClusterView, KubeObject, Labels, NamespaceInfo } from '../types.js';
import { readWorkload, type WorkloadReading } from '../workload.js';
import type { AuditResult } from './scan.js';

const wide = (list: readonly PeerAuthenticationInfo[]) =>
  list.filter((policy) => policy.selector === undefined);

/** Why a namespace's mTLS is not strict, or undefined when it is. */
function mtlsProblem(namespace: NamespaceInfo, view: ClusterView, config: ZtgateConfig): string | undefined {
  if (config.mesh.provider === 'linkerd') {
    const value = namespace.annotations[LINKERD_DEFAULT_POLICY_ANNOTATION];
    return value !== undefined && LINKERD_STRICT_POLICIES.includes(value)
      ? undefined
      : `namespace ${namespace.name} has ${LINKERD_DEFAULT_POLICY_ANNOTATION}=${JSON.stringify(value ?? '(unset)')}, which admits callers without a mesh identity`;
  }
  const root = config.istioRootNamespace;
  const mesh = resolveLevel(wide(view.peerAuthentications(root)), 'PERMISSIVE');
  const mode =
    namespace.name === root ? mesh : resolveLevel(wide(view.peerAuthentications(namespace.name)), mesh);
  return mode === 'STRICT'
    ? undefined
    : `the namespace-wide mTLS mode in force in ${namespace.name} is ${mode}`;
}

/**
 * Enrolment and STRICT mTLS of one namespace ztgate enforces, under a mesh (a namespace in audit
 * mode is reviewed by what enforcing it would do, see enforcement-review.ts). Reads the namespace
 * and the PeerAuthentications of the namespace and of the mesh root namespace.
 */
export function scanNamespaceMesh(
  namespace: NamespaceInfo,
  view: ClusterView,
  config: ZtgateConfig,
): AuditResult[] {
  if (config.mesh.provider === 'builtin') return [];
  if (!isEnforcedNamespace(config, namespace.name, namespace.labels)) return [];
  const resource = { apiVersion: 'v1', kind: 'Namespace', namespace: undefined, name: namespace.name };
  const enrolled = isEnrolled(namespace, config);
  const results: AuditResult[] = [
    {
      category: 'namespace-not-enrolled',
      rule: 'mesh-enrolment',
      result: enrolled ? 'pass' : 'fail',
      resource,
      path: '',
      message: enrolled
        ? `enrolled in the ${config.mesh.provider} mesh`
        : `namespace ${namespace.name} is not enrolled in the ${config.mesh.provider} mesh: new pods start without its proxy`,
      fix: '',
    },
  ];
  const problem = mtlsProblem(namespace, view, config);
  results.push({
    category: 'namespace-without-strict-mtls',
    rule: 'strict-mtls',
    result: problem === undefined ? 'pass' : 'fail',
    resource,
    path: '',
    message: problem ?? 'mTLS is required (STRICT)',
    fix: '',
  });
  return results;
}

function podResult(pod: KubeObject, path: string, message: string): AuditResult {
  const uid = pod.metadata?.uid;
  return {
    category: 'pod-not-meshed',
    rule: 'mtls-sidecar',
    result: 'fail',
    resource: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: pod.metadata?.namespace,
      name: pod.metadata?.name ?? '',
      ...(typeof uid === 'string' ? { uid } : {}),
    },
    path,
    message,
    fix: '',
  };
}

/** Whether a namespace's running pods are checked for the mesh: every namespace ztgate judges, audit mode too. */
export function isMeshJudged(config: ZtgateConfig, namespace: string, labels: Labels): boolean {
  return !isExemptNamespace(config, namespace) && labels[EXEMPT_LABEL] !== 'true';
}

/**
 * Findings on one running pod of a namespace isMeshJudged accepts (anything else: none). A
 * top-level pod (standalone, or claiming a controller the view does not verify) is judged whole by
 * the scan already, except under ambient, where only istio-cni's redirection says it is meshed.
 * `reading`: readWorkload(pod), when the caller has it.
 */
export function scanPodMesh(
  pod: KubeObject,
  topLevel: boolean,
  view: ClusterView,
  config: ZtgateConfig,
  reading: WorkloadReading | undefined = readWorkload(pod),
): AuditResult[] {
  if (pod.kind !== 'Pod' || pod.apiVersion !== 'v1') return [];
  const workload = reading?.workload;
  if (workload === undefined || workload.podSpec['hostNetwork'] === true) return [];
  if (config.mesh.provider === 'istio-ambient') {
    const redirected = workload.object.metadata?.annotations?.[AMBIENT_REDIRECTION_ANNOTATION] === 'enabled';
    return redirected
      ? []
      : [
          podResult(
            pod,
            `metadata.annotations.${AMBIENT_REDIRECTION_ANNOTATION}`,
            `Pod "${workload.name}" has no ${AMBIENT_REDIRECTION_ANNOTATION}: enabled, so istio-cni has not redirected it into ztunnel; restart it once its namespace is enrolled and istio-cni runs on its node`,
          ),
        ];
  }
  if (topLevel) return [];
  const owner = resolveOwner(view, workload);
  const findings = verifyMeshedPod(
    workload,
    config,
    approvedItems(config, workload.namespace, owner.name),
    false,
  );
  return findings.map((finding) =>
    podResult(
      pod,
      finding.path,
      `Pod "${workload.name}" ${finding.message}; restart its ${owner.kind} ${owner.name} (kubectl rollout restart) once its namespace is enrolled`,
    ),
  );
}
