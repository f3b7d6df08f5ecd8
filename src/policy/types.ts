import type { PeerAuthenticationInfo } from './mesh/peer-authentication.js';

/**
 * Shared data shapes of the pure policy core. Everything here is plain data: the core takes
 * a request and a frozen ClusterView and returns a Decision; adapters do all I/O.
 */

/** Kubernetes labels (or annotations): string keys to string values. */
export type Labels = Readonly<Record<string, string>>;

/** An owner reference as Kubernetes writes it in metadata.ownerReferences. */
export interface OwnerReference {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly controller?: boolean;
}

/**
 * The owner reference an object marks `controller: true`, as the object's author wrote it: a
 * claim, not a fact. Whether it counts is decided against the cluster view (src/policy/ownership.ts).
 */
export interface ControllerClaim {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  /** Its index in metadata.ownerReferences, for messages. */
  readonly index: number;
}

/** Object metadata fields the core reads. */
export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Labels;
  readonly annotations?: Labels;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly [key: string]: unknown;
}

/** Any Kubernetes object as decoded from YAML/JSON; the core never trusts its shape. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
  readonly [key: string]: unknown;
}

/** The pod-bearing kinds ztgate judges. */
export const WORKLOAD_KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'ReplicationController',
] as const;

/** One of the pod-bearing kinds. */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A reference to an object by kind, namespace and name. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * A pod-bearing object reduced to what the rules need. `templatePath` is the dotted field path
 * of the pod template ("" for a Pod, "spec.template" for a Deployment, "spec.jobTemplate.spec.template"
 * for a CronJob) so violations can point into it: `${templatePath}.spec.serviceAccountName`.
 */
export interface Workload {
  readonly kind: WorkloadKind;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** Labels of the pods this workload creates (the pod template's labels). */
  readonly podLabels: Labels;
  /** The pod spec (template spec for controllers), untyped: rules read it defensively. */
  readonly podSpec: Readonly<Record<string, unknown>>;
  readonly podAnnotations: Labels;
  readonly templatePath: string;
  /**
   * The controller the object claims in metadata.ownerReferences, unverified: resolveOwnership
   * (cluster-view.ts) decides against the view whether it counts.
   */
  readonly controller: ControllerClaim | undefined;
  /** The ServiceAccount the pods run as, or undefined when none is set. */
  readonly serviceAccountName: string | undefined;
  /** The field that set it ("serviceAccountName" or the deprecated "serviceAccount"). */
  readonly serviceAccountField: 'serviceAccountName' | 'serviceAccount' | undefined;
  readonly object: KubeObject;
}

/** A field-level error such as an unparsable selector; reported, never an allow. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** The policy flavours ztgate understands. */
export type PolicyFlavour =
  'kubernetes' | 'calico' | 'calico-global' | 'cilium' | 'cilium-clusterwide' | 'istio';

/** What a policy's selector is matched against: one pod as the CNI or mesh sees it. */
export interface SelectTarget {
  readonly namespace: string;
  readonly namespaceLabels: Labels;
  readonly podLabels: Labels;
  readonly serviceAccountName: string | undefined;
  /** Labels of the ServiceAccount when known (Calico serviceAccountSelector). */
  readonly serviceAccountLabels: Labels | undefined;
}

/** One label (key and value) a pod must carry to be selected. */
export interface RequiredLabel {
  readonly key: string;
  readonly value: string;
}

/** One way a policy admits every source (or everything), found where it is written. */
export interface AllowAllFinding {
  readonly path: string;
  readonly message: string;
}

/**
 * Any policy flavour in one common form. Adapters in policies/ build it; rules read only this.
 * `namespace` is undefined for cluster-wide policies (Calico GNP, Cilium CCNP) and set for
 * Istio policies, including those in the mesh root namespace (`clusterWide` true there).
 */
export interface NormalizedPolicy {
  readonly flavour: PolicyFlavour;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  /** True when the policy applies beyond its own namespace (GNP, CCNP, Istio root namespace). */
  readonly clusterWide: boolean;
  /** Whether the policy selects this pod. An invalid selector selects nothing. */
  selects(target: SelectTarget): boolean;
  /** True when the selector picks every pod in scope (`podSelector: {}`, `all()`, no Istio selector). */
  readonly selectsEveryPod: boolean;
  /**
   * True when the selector picks a pod that carries none of the labels the author named: one
   * with no labels of its own, only those every pod has (its namespace, its ServiceAccount name,
   * in some namespace). `{}`, `all()`, selectors made only of NotIn/DoesNotExist/!has()/!=, and
   * selectors on keys every pod carries do; such a policy is written for no workload in
   * particular, so it is no one's allow-list. Absent (hand-built policies): read as selectsEveryPod.
   */
  readonly selectsUnlabelledPods?: boolean;
  /**
   * Pod labels every pod this policy selects carries (`selects` is false without any one of
   * them), so a view can index policies by label; empty or absent when the adapter cannot
   * promise one.
   */
  readonly requiredPodLabels?: readonly RequiredLabel[] | undefined;
  readonly appliesToIngress: boolean;
  readonly appliesToEgress: boolean;
  readonly ingressRuleCount: number;
  readonly egressRuleCount: number;
  /** True for an allow-list: a policy that admits named sources (Istio ALLOW with rules, K8s/Calico/Cilium with allow rules or none). */
  readonly isAllowList: boolean;
  /**
   * True when the policy denies all ingress and egress for every pod of a namespace it applies in:
   * every pod selected, both directions, no allow rules.
   */
  readonly isDefaultDeny: boolean;
  /** For a cluster-wide default deny: whether it covers this namespace. Namespaced ones: own namespace only. */
  coversNamespace(namespace: string, namespaceLabels: Labels): boolean;
  /** Each way the policy admits every source (ingress), found where it is written. */
  readonly allowAll: readonly AllowAllFinding[];
  /**
   * Each way the policy lets the pods it selects reach every destination (egress), found where it
   * is written; whatever its selector, it cancels the namespace's egress default deny for them.
   * Absent (hand-built policies): none.
   */
  readonly allowAllEgress?: readonly AllowAllFinding[];
  readonly errors: readonly FieldError[];
  readonly source: KubeObject;
}

/** Stable rule names; tests and the decision log key on these. */
export const RULE_NAMES = [
  'dedicated-service-account',
  'allow-list-policy',
  'no-allow-all-policy',
  'namespace-default-deny',
  'no-host-network',
  'no-host-namespaces',
  'no-extra-capabilities',
  'no-host-path',
  'no-host-ports',
  'no-host-process',
  'no-host-probes',
  'no-unconfined-apparmor',
  'no-custom-selinux',
  'no-unmasked-proc',
  'no-unconfined-seccomp',
  'no-unsafe-sysctls',
  'no-proxy-identity',
  'no-proxy-process-access',
  'no-proxy-ports',
  'no-net-admin',
  'mesh-enrolment',
  'mesh-opt-out',
  'mtls-sidecar',
  'strict-mtls',
  'default-deny-protected',
  'protected-namespace-labels',
  'invalid-object',
] as const;

/** One of the stable rule names. */
export type RuleName = (typeof RULE_NAMES)[number];

/** Something absent from the view that made a rule deny; adapters may confirm with a live read. */
export interface MissingRef {
  readonly kind: 'ServiceAccount' | 'Policy' | 'Namespace' | 'Workload' | 'PeerAuthentication';
  readonly namespace?: string;
  readonly name?: string;
  /**
   * For kind Workload: the claimed owner's kind (a Pod's ReplicaSet the watch has not delivered
   * yet, or one the view holds in a state that does not match the claim: read live to confirm).
   */
  readonly workloadKind?: string;
  /**
   * True when ztgate's own controllers create (or set) what is missing wherever they enforce, as
   * the default deny with `defaultDeny.create`: the webhook says a retry passes, `ztgate check`
   * does not count it as a finding (see the offline model in the README).
   */
  readonly providedByZtgate?: boolean;
}

/** One denial reason, as data. */
export interface Violation {
  readonly rule: RuleName;
  /** Dotted field path into the judged object, e.g. "spec.template.spec.serviceAccountName". */
  readonly path: string;
  readonly message: string;
  /** The exact fix: prose plus YAML to create, ready to paste. */
  readonly fix: string;
  readonly value?: unknown;
  readonly missing?: MissingRef;
}

/** Admission operations as the API server names them. */
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** The requesting user, from AdmissionReview request.userInfo. */
export interface UserInfo {
  readonly username?: string;
  readonly groups?: readonly string[];
}

/** What the engine judges: one object in one operation. */
export interface EvaluationInput {
  readonly operation: Operation;
  /** The new object (CREATE/UPDATE) — undefined for DELETE. */
  readonly object: KubeObject | undefined;
  /** The old object (UPDATE/DELETE). */
  readonly oldObject?: KubeObject | undefined;
  /** Namespace of the request (AdmissionReview request.namespace), used when metadata lacks it. */
  readonly namespace?: string | undefined;
  readonly user?: UserInfo | undefined;
  /**
   * Who asks: `webhook` (the default) answers a request the API server sends now, so a message
   * may say a retry will pass; `offline` is `ztgate check`, `ztgate audit` and the background
   * audit, where no retry happens (messages come from fix/who-acts.ts).
   */
  readonly caller?: Caller | undefined;
  /**
   * True when the object has not been through the mutating webhooks yet (`ztgate check`): the
   * mesh's injector will still add its proxy, so its absence is no violation yet.
   */
  readonly beforeMutation?: boolean | undefined;
}

/** Who evaluates: the admission webhook, or an offline judge (check, audit). */
export type Caller = 'webhook' | 'offline';

/** The engine's answer: every violation of every rule, at once. */
export interface Decision {
  readonly allowed: boolean;
  /** True when ztgate does not judge this kind/operation (allowed untouched). */
  readonly skipped: boolean;
  /** Mode in force for this request: audit turns violations into warnings. */
  readonly mode: 'enforce' | 'audit';
  readonly violations: readonly Violation[];
  readonly warnings: readonly string[];
}

/** A namespace as the view knows it. */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Labels;
  /** Its annotations (Linkerd enrols a namespace by annotation). */
  readonly annotations: Labels;
}

/** A ServiceAccount as the view knows it. */
export interface ServiceAccountInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
}

/** A workload already in the cluster, reduced to identity facts. */
export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  /** metadata.uid for kinds that create others (undefined for Pods): a claim on it must carry this uid. */
  readonly uid: string | undefined;
  /**
   * The top-level owner: the root of its controller chain where every link was verified
   * (Pod → ReplicaSet → Deployment), else the workload itself.
   */
  readonly owner: ObjectRef;
  /** The ServiceAccount its pod template names (what a claim on it is compared with). */
  readonly serviceAccountName: string | undefined;
  /**
   * Set only when its controller claim did not count for a reason a later layer can change (the
   * owner was not yet in the view, or held another uid or template): currentRoot re-checks it.
   */
  readonly pendingClaim?: ControllerClaim;
}

/**
 * A frozen snapshot of what the cluster holds, indexed so a decision costs what its namespace
 * holds. Adapters (state-dir, kube watch cache) build one with createClusterView and publish a
 * new one on every change; a request reads one reference.
 */
export interface ClusterView {
  /** Monotonic version of this snapshot (for logs and staleness). */
  readonly revision: number;
  namespace(name: string): NamespaceInfo | undefined;
  namespaces(): readonly NamespaceInfo[];
  /** Whether the view holds the namespace's ServiceAccount inventory (so absence means "does not exist"). */
  knowsServiceAccounts(namespace: string): boolean;
  serviceAccount(namespace: string, name: string): ServiceAccountInfo | undefined;
  /** Workloads in the view that run as this ServiceAccount. */
  serviceAccountUsers(namespace: string, serviceAccountName: string): readonly WorkloadRef[];
  /** Policies that may apply to pods in this namespace: its own, plus every cluster-wide one. */
  policiesFor(namespace: string): readonly NormalizedPolicy[];
  /** Every policy in the view. */
  allPolicies(): readonly NormalizedPolicy[];
  /** Every workload in the view, optionally of one namespace. */
  workloads(namespace?: string): readonly WorkloadRef[];
  /**
   * The Istio PeerAuthentications of a namespace (the root namespace's include the mesh-wide
   * ones): `strict-mtls` resolves the mode in force from them.
   */
  peerAuthentications(namespace: string): readonly PeerAuthenticationInfo[];
  /** The raw objects the view was built from (audit, reconciliation). */
  objects(): readonly KubeObject[];
}
