/**
 * Whether the configured mesh's injector is installed, judged from the objects that install it:
 * ztgate only enrols namespaces and verifies pods, so without the injector every new pod of an
 * enforced namespace is refused (no proxy). Facts: Istio's chart names its injector
 * `istio-sidecar-injector` (`istio-sidecar-injector-<rev>` for a revision) and a revision tag
 * `istio-revision-tag-<tag>`; `istioctl tag set default` takes over `istio-injection=enabled`
 * namespaces through `istio-revision-tag-default` and leaves the old configuration with selectors
 * that match nothing, so a name alone proves nothing: one of its webhooks must select an enrolled
 * namespace. Linkerd's chart installs `linkerd-proxy-injector-webhook-config`; ambient has no
 * injector, istio-cni and the `ztunnel` DaemonSet in the control-plane namespace capture pods.
 */
import type { ZtgateConfig } from '../config.js';
import { isRecord, readLabels } from '../objects.js';
import { matchesLabelSelector } from '../selectors/label-selector.js';
import type { KubeObject } from '../types.js';
import { enrolmentMark } from './enrolment.js';
import { meshInjector } from './index.js';

/** What installs the configured mesh's data plane, for the cluster to be asked about. */
export interface InjectorExpectation {
  readonly apiVersion: 'admissionregistration.k8s.io/v1' | 'apps/v1';
  readonly kind: 'MutatingWebhookConfiguration' | 'DaemonSet';
  /** The control-plane namespace for a DaemonSet; undefined for a (cluster-scoped) webhook configuration. */
  readonly namespace: string | undefined;
  /** Any one of these names will do. */
  readonly names: readonly string[];
}

/** What the check found. */
export interface InjectorStatus {
  readonly present: boolean;
  /** The object that proves it (present), or the first name looked for (missing). */
  readonly name: string;
  readonly expectation: InjectorExpectation;
  /** One sentence for the log and the audit finding. */
  readonly message: string;
}

/**
 * The objects to look for, or undefined under the builtin injector (ztgate's own webhook): the
 * core's meshInjector, and for Istio also the revision tag that serves the same namespaces
 * (`istio-revision-tag-default` for `istio-injection=enabled`, `istio-revision-tag-<rev>` for a
 * tag named like mesh.revision).
 */
export function expectedInjector(config: ZtgateConfig): InjectorExpectation | undefined {
  const injector = meshInjector(config);
  if (injector === undefined) return undefined;
  if (injector.kind === 'DaemonSet')
    return {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      namespace: injector.namespace,
      names: [injector.name],
    };
  const tag =
    config.mesh.provider === 'istio' ? [`istio-revision-tag-${config.mesh.revision || 'default'}`] : [];
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    namespace: undefined,
    names: [injector.name, ...tag],
  };
}

/** The labels of a namespace ztgate has enrolled (a name that no selector excludes by itself). */
function enrolledNamespaceLabels(config: ZtgateConfig): Readonly<Record<string, string>> {
  const labels: Record<string, string> = { 'kubernetes.io/metadata.name': 'ztgate-enrolled-example' };
  for (const key of enrolmentMark(config)) if (key.where === 'labels') labels[key.key] = key.value;
  return labels;
}

function coversPodCreate(rule: unknown): boolean {
  if (!isRecord(rule)) return false;
  const has = (field: string, value: string): boolean =>
    Array.isArray(rule[field]) && (rule[field].includes(value) || rule[field].includes('*'));
  return has('apiGroups', '') && has('resources', 'pods') && has('operations', 'CREATE');
}

/** Whether one of the configuration's webhooks is called for a new pod of an enrolled namespace. */
function selectsEnrolledPods(configuration: KubeObject, labels: Readonly<Record<string, string>>): boolean {
  const webhooks = configuration['webhooks'];
  if (!Array.isArray(webhooks)) return false;
  return webhooks.some(
    (webhook) =>
      isRecord(webhook) &&
      Array.isArray(webhook['rules']) &&
      webhook['rules'].some(coversPodCreate) &&
      // An absent namespaceSelector selects every namespace.
      matchesLabelSelector(webhook['namespaceSelector'] ?? {}, labels),
  );
}

function describe(expectation: InjectorExpectation): string {
  const names = expectation.names.join(' or ');
  const where = expectation.namespace === undefined ? '' : ` in namespace ${expectation.namespace}`;
  return `${expectation.kind} ${names}${where}`;
}

/**
 * Judges the objects found under the expected names (what the cluster answered; absent ones are
 * simply not in `found`). Undefined under the builtin injector, which needs no one else's.
 */
export function judgeInjector(
  config: ZtgateConfig,
  found: readonly KubeObject[],
): InjectorStatus | undefined {
  const expectation = expectedInjector(config);
  if (expectation === undefined) return undefined;
  const candidates = found.filter(
    (object) =>
      object.kind === expectation.kind &&
      expectation.names.includes(object.metadata?.name ?? '') &&
      (expectation.namespace === undefined || object.metadata?.namespace === expectation.namespace),
  );
  const provider = config.mesh.provider;
  const missing = (why: string): InjectorStatus => ({
    present: false,
    name: expectation.names[0] ?? '',
    expectation,
    message: `${why}: new pods in enforced namespaces get no ${provider} proxy, and ztgate refuses them; install ${provider} or set mesh.provider to the mesh you run`,
  });
  if (candidates.length === 0)
    return missing(`the ${provider} injector is not installed (no ${describe(expectation)})`);
  if (expectation.kind === 'DaemonSet') {
    const name = candidates[0]?.metadata?.name ?? '';
    return { present: true, name, expectation, message: `${describe(expectation)} is installed` };
  }
  const labels = enrolledNamespaceLabels(config);
  const selecting = candidates.find((candidate) => selectsEnrolledPods(candidate, labels));
  if (selecting === undefined) {
    const names = candidates.map((candidate) => candidate.metadata?.name ?? '').join(', ');
    const mark = Object.entries(labels)
      .filter(([key]) => key !== 'kubernetes.io/metadata.name')
      .map(([key, value]) => `${key}=${value}`)
      .join(', ');
    return missing(
      `the ${provider} injector ${names} selects no pod of a namespace ztgate enrolled${mark === '' ? '' : ` (${mark})`}`,
    );
  }
  const name = selecting.metadata?.name ?? '';
  const labelsOf = readLabels(selecting.metadata?.labels);
  const revision =
    labelsOf['istio.io/rev'] === undefined ? '' : ` (istio.io/rev ${labelsOf['istio.io/rev']})`;
  return {
    present: true,
    name,
    expectation,
    message: `the ${provider} injector ${name}${revision} is installed`,
  };
}
