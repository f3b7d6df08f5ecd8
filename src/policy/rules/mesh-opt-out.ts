import { ownerOf } from './ownership-of.js';
import { buildOptOutFix } from '../fix/mesh.js';
import { buildProxyImageFix } from '../fix/proxy-images.js';
import { allowedProxyImages } from '../mesh/index.js';
import { isEnforcedNamespace } from '../mesh/enrolment.js';
import { approvedItems } from '../mesh/exceptions.js';
import { findKeyProblems, type KeyProblem } from '../mesh/key-check.js';
import { LINKERD_INJECT_ANNOTATION } from '../mesh/linkerd.js';
import { isExemptNamespace } from '../config.js';
import { joinPath, readLabels } from '../objects.js';
import type { Violation } from '../types.js';
import { isZtgateAdmin, whoMay } from './default-deny-protected.js';
import type { Rule } from './rule.js';

const RULE = 'mesh-opt-out';

function describe(problem: KeyProblem): string {
  const what = problem.where === 'labels' ? 'label' : 'annotation';
  return `${what} ${problem.key}=${JSON.stringify(problem.value)} ${problem.meshKey.effect}: ${problem.reason}`;
}

/**
 * Opt-outs and capture bypasses on pods and pod templates of every workload kind, as labels and
 * as annotations, judged by value: what the mesh writes itself (Istio's CNI mode annotations,
 * Linkerd's copy of the namespace's) passes, a value that opts out, narrows capture or weakens the
 * proxy is refused unless an admin approved it in `mesh.exceptions`. Under Linkerd the namespace's
 * config annotations count too: its injector copies them onto every pod that lacks them.
 */
export const meshOptOutWorkload: Rule = {
  name: RULE,
  description:
    "No pod or pod template opts out of the mesh or narrows the proxy's capture (labels and annotations, judged by value).",
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, view, config }): readonly Violation[] {
    if (workload === undefined || config.mesh.provider === 'builtin') return [];
    const owner = ownerOf(workload, view).name;
    const approved = approvedItems(config, workload.namespace, owner);
    const metadata = { labels: workload.podLabels, annotations: workload.podAnnotations };
    const own = findKeyProblems(metadata, config, { onPod: workload.kind === 'Pod', approved });
    const violations: Violation[] = own.map((problem) => {
      const path = joinPath(workload.templatePath, `metadata.${problem.where}.${problem.key}`);
      return {
        rule: RULE,
        path,
        value: problem.value,
        message: `${workload.kind} "${workload.name}": ${describe(problem)}.`,
        fix:
          problem.meshKey.proxyImage === true
            ? buildProxyImageFix({
                images: [problem.value],
                allowed: allowedProxyImages(config),
                lead: `Remove ${path}: the mesh's injector sets the proxy image itself.`,
              })
            : buildOptOutFix({
                namespace: workload.namespace,
                owner,
                path,
                key: problem.key,
                value: problem.value,
                approvable: problem.meshKey.exception !== undefined,
              }),
      };
    });
    if (config.mesh.provider !== 'linkerd') return violations;
    const inherited = view.namespace(workload.namespace)?.annotations ?? {};
    const notOverridden = Object.fromEntries(
      Object.entries(inherited).filter(([key]) => workload.podAnnotations[key] === undefined),
    );
    const fromNamespace = findKeyProblems({ labels: {}, annotations: notOverridden }, config, {
      onPod: false,
      approved,
      skip: [LINKERD_INJECT_ANNOTATION],
    });
    for (const problem of fromNamespace) {
      violations.push({
        rule: RULE,
        path: 'metadata.namespace',
        value: problem.value,
        message: `${workload.kind} "${workload.name}": namespace ${workload.namespace} has ${describe(problem)} (Linkerd copies it onto every pod).`,
        fix: `Ask an admin to remove annotation ${problem.key} from namespace ${workload.namespace} (kubectl annotate namespace ${workload.namespace} ${problem.key}-).`,
      });
    }
    return violations;
  },
};

/**
 * Under Linkerd a namespace's config annotations reach every pod in it, so setting a bypass value
 * there is refused like on a pod, admins excepted (the inject annotation is mesh-enrolment's).
 */
export const meshOptOutNamespace: Rule = {
  name: RULE,
  description:
    'Only ztgate admins may give a Linkerd namespace annotations that its pods inherit as bypasses.',
  appliesTo: 'namespace',
  operations: ['CREATE', 'UPDATE'],
  check({ input, config }): readonly Violation[] {
    const object = input.object;
    const name = object?.metadata?.name;
    if (config.mesh.provider !== 'linkerd' || object?.kind !== 'Namespace' || typeof name !== 'string')
      return [];
    if (isExemptNamespace(config, name) || isZtgateAdmin(input.user, config)) return [];
    if (!isEnforcedNamespace(config, name, readLabels(object.metadata?.labels))) return [];
    const before = readLabels(
      input.operation === 'UPDATE' ? input.oldObject?.metadata?.annotations : undefined,
    );
    const annotations = readLabels(object.metadata?.annotations);
    const changed = Object.fromEntries(
      Object.entries(annotations).filter(([key, value]) => before[key] !== value),
    );
    const problems = findKeyProblems({ labels: {}, annotations: changed }, config, {
      onPod: false,
      approved: new Map(),
      skip: [LINKERD_INJECT_ANNOTATION],
    });
    return problems.map((problem) => ({
      rule: RULE,
      path: `metadata.annotations.${problem.key}`,
      value: problem.value,
      message: `Namespace "${name}": ${describe(problem)}; Linkerd copies it onto every pod there. May do it: ${whoMay(config)}.`,
      fix: `Remove annotation ${problem.key} from the namespace; capture exclusions are approved per workload in the ztgate config (mesh.exceptions).`,
    }));
  },
};
