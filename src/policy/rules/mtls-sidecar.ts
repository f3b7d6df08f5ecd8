import { ownerOf } from './ownership-of.js';
import { isExemptNamespace } from '../config.js';
import { buildProxyImageFix } from '../fix/proxy-images.js';
import { allowedProxyImages } from '../mesh/index.js';
import { approvedItems } from '../mesh/exceptions.js';
import { verifyMeshedPod } from '../mesh/verify.js';
import { quoteValue } from '../message-text.js';
import type { Violation } from '../types.js';
import type { Rule } from './rule.js';

function fixFor(provider: string, builtin: boolean): string {
  if (builtin)
    return "Create the pod through the API server with ztgate's mutating webhook enabled, or run `ztgate inject -f <manifest>` and apply the result; do not remove or edit ztgate's containers.";
  return (
    `Create the pod through the API server in a namespace enrolled in ${provider}, whose injector adds its proxy ` +
    "and redirect; do not declare or edit the mesh's containers yourself (resources may be set through the mesh's own annotations)."
  );
}

/**
 * Validate-after-mutate: a Pod in an enforced namespace must carry the mesh's real proxy and
 * redirect, checked by one verifier per provider (src/policy/mesh/verify-*.ts), so neither a later
 * mutating webhook nor a hand-written spec can strip or fake them. Before the mesh's injector has
 * run (a pod template under Istio or Linkerd, or any pod in `ztgate check`) only the containers
 * declared under the mesh's names are judged, so a fake proxy in a Deployment is refused at its
 * own `kubectl apply`. Under the builtin injector templates are left to their pods (ztgate's
 * /mutate injects pods, not templates). hostNetwork pods are left to `no-host-network`.
 */
export const mtlsSidecarRule: Rule = {
  name: 'mtls-sidecar',
  description:
    "Pods in enforced namespaces carry the mesh's real proxy and traffic redirect (by name, image, arguments and privileges).",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, view, config, input }): readonly Violation[] {
    if (workload === undefined) return [];
    if (isExemptNamespace(config, workload.namespace) || workload.podSpec['hostNetwork'] === true) return [];
    const builtin = config.mesh.provider === 'builtin';
    const isPod = workload.kind === 'Pod';
    // Pod updates cannot add containers, and refusing them would block label changes on old pods.
    if (isPod ? input.operation !== 'CREATE' : builtin) return [];
    const approved = approvedItems(config, workload.namespace, ownerOf(workload, view).name);
    const pending = !isPod || input.beforeMutation === true;
    const findings = verifyMeshedPod(workload, config, approved, pending);
    const why = builtin
      ? 'ztgate could not inject it (is the mutating webhook registered for this namespace?) or something removed it'
      : `the ${config.mesh.provider} injector did not mesh it (is the namespace enrolled, is the injector installed?) or something changed it`;
    const fix = fixFor(config.mesh.provider, builtin);
    // One fix for every refused image of the pod: a mirror serves the proxy and its init image.
    const refused = findings.flatMap((finding) => ('refusedImage' in finding ? [finding.refusedImage] : []));
    const imageFix =
      refused.length === 0
        ? fix
        : buildProxyImageFix({ images: refused, allowed: allowedProxyImages(config), lead: fix });
    return findings.map((finding) => ({
      rule: 'mtls-sidecar',
      path: finding.path,
      ...(finding.value === undefined ? {} : { value: finding.value }),
      message: `Pod ${quoteValue(workload.name)} ${finding.message}${finding.missing === true ? `; ${why}` : ''}.`,
      fix: 'refusedImage' in finding ? imageFix : fix,
    }));
  },
};
