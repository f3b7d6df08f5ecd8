import type { ResourceSpec } from '../../adapters/kube/resources.js';
import type { ViewSnapshot } from '../../adapters/view-source.js';
import type { ZtgateConfig } from '../../policy/config.js';
import type { NamespaceEnforcement } from '../../policy/desired/index.js';
import type { KubeObject, Labels } from '../../policy/types.js';

/** A namespace as a controller sees it, with the enforcement ztgate applies there. */
export interface NamespaceSubject {
  readonly name: string;
  readonly labels: Labels;
  readonly object: KubeObject;
  readonly enforcement: NamespaceEnforcement;
}

/** Read access to the objects of one of a controller's watches. */
export interface WatchedObjects {
  /** True once the watch has listed: before that, absence means "not known yet". */
  synced(): boolean;
  get(namespace: string, name: string): KubeObject | undefined;
  objectsIn(namespace: string): Iterable<KubeObject>;
}

/** What a controller's pure functions may read besides the namespace. */
export interface ControllerContext {
  readonly config: ZtgateConfig;
  /** The objects of a watch the controller declared, by the watch's name. */
  watched(name: string): WatchedObjects;
  /** The published cluster view and the objects it was built from (cluster mode, once synced). */
  view(): ViewSnapshot | undefined;
  /**
   * Whether the API server serves a resource of the controller's `optionalOwns`: undefined until
   * discovery has answered once. Write none of its objects unless true.
   */
  serves(resource: ResourceSpec): boolean | undefined;
}

/** A resource a controller reads besides namespaces; its changes re-reconcile namespaces. */
export interface WatchDeclaration {
  readonly name: string;
  readonly resource: ResourceSpec;
  /** Only this namespace (a namespaced resource); cluster-wide when absent. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * A change re-reconciles the changed object's namespace (default), every namespace, or only the
   * cluster-wide work item (where conditions are judged): for what only a condition reads.
   */
  readonly requeue?: 'namespace' | 'all' | 'cluster';
}

/**
 * An object a controller wants to hold: created when absent (when it has a body to create),
 * replaced when it differs, left alone when identical.
 */
export interface EnsureIntent {
  readonly action: 'ensure';
  readonly resource: ResourceSpec;
  /** Undefined for cluster-scoped objects (a Namespace, a ClusterPolicyReport). */
  readonly namespace: string | undefined;
  readonly name: string;
  /**
   * True when the object cuts or restricts traffic (a deny, an allowance, which isolates the pods
   * it selects too; an enrolment mark; STRICT mTLS). The runtime writes it only in enforced
   * namespaces; elsewhere it reports it as withheld, and removes ztgate's own copy.
   */
  readonly enforcing: boolean;
  /**
   * The body to create when the object is absent. Undefined for fields set on an object someone
   * else owns (a Namespace's labels): never created, never removed.
   */
  readonly create: KubeObject | undefined;
  isUpToDate(existing: KubeObject): boolean;
  /** The body to PUT over an existing object that is not up to date (keeps its resourceVersion). */
  replacement(existing: KubeObject): KubeObject;
  /** Stands for `create` (a digest) where that is large: a dry run sends again only when it changes. */
  readonly fingerprint?: string;
}

/** An object a controller wants gone: deleted only while it carries ztgate's managed-by label. */
export interface RemoveIntent {
  readonly action: 'remove';
  readonly resource: ResourceSpec;
  readonly namespace: string | undefined;
  readonly name: string;
}

/**
 * A record to post once, such as an Event: created unless this leader term posted it already, and
 * an existing one (409) counts as posted — a name derived from what the record says keeps a new
 * leader from posting it again. Never read, replaced or deleted; posts are rate-limited.
 */
export interface PostIntent {
  readonly action: 'post';
  readonly resource: ResourceSpec;
  readonly namespace: string;
  readonly name: string;
  /** Read only when it is sent; undefined: nothing to send after all. */
  readonly body: KubeObject | undefined;
  /**
   * Not before this time (ms since the epoch): the post is held back, and the work item comes back
   * then and declares again what it still wants posted.
   */
  readonly notBefore?: number;
}

/** One thing a controller declares about one object. */
export type Intent = EnsureIntent | RemoveIntent | PostIntent;

/** A standing problem a controller reports (a missing source, an absent mesh injector). */
export interface ControllerCondition {
  /** Stable within the controller; the log line and the gauge are keyed on it. */
  readonly key: string;
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * A controller: a declaration, no I/O. The runtime (startControllers) watches, queues, elects a
 * leader, compares and writes; a controller only says what it wants, as pure functions of the
 * namespace, the config and what it watches. Intents run in the order given; when the runtime
 * removes withheld objects it goes in reverse, so declare allowances before the deny they soften
 * and no step of either transition is stricter than where it ends.
 */
export interface Controller {
  readonly name: string;
  /** Resources it creates objects of: the runtime watches ztgate's own (managed-by label) as its cache. */
  readonly owns: readonly ResourceSpec[];
  /**
   * The one name its objects of a resource carry, by resourceKey, where there is one: the cache
   * watch then asks for that name too (fieldSelector metadata.name), which lets RBAC restrict
   * list and watch with resourceNames (ConfigMaps: never read one that is not the trust bundle).
   */
  readonly ownedNames?: Readonly<Record<string, string>>;
  /**
   * Owned resources served only where a CRD is installed (resourceKeys of `owns`): watched once
   * discovery finds them, looked for again every so often; `context.serves` says which are.
   */
  readonly optionalOwns?: readonly string[];
  /** Reconcile the namespaces each published cluster view touched (every namespace after a relist). */
  readonly readsView?: boolean;
  readonly watches: readonly WatchDeclaration[];
  /** What it wants for one namespace (not called for terminating namespaces). */
  desired?(namespace: NamespaceSubject, context: ControllerContext): readonly Intent[];
  /** What it wants cluster-wide: cluster-scoped objects, or objects of one fixed namespace. */
  desiredCluster?(context: ControllerContext, enforcement: NamespaceEnforcement): readonly Intent[];
  /** Standing problems, logged once when they appear or change and once when they clear. */
  conditions?(context: ControllerContext): readonly ControllerCondition[];
}
