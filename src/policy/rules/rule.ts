import type { ZtgateConfig } from '../config.js';
import type {
  ClusterView,
  EvaluationInput,
  NormalizedPolicy,
  RuleName,
  Violation,
  Workload,
} from '../types.js';

/** What every rule receives: the request, the frozen view, the config, and the object pre-digested. */
export interface RuleContext {
  readonly input: EvaluationInput;
  readonly view: ClusterView;
  readonly config: ZtgateConfig;
  /** Set when the judged object is a pod-bearing workload. */
  readonly workload: Workload | undefined;
  /** Set when the judged (new) object is a policy of a known flavour. */
  readonly policy: NormalizedPolicy | undefined;
  /** Set when the old object (UPDATE/DELETE) is a policy of a known flavour. */
  readonly oldPolicy: NormalizedPolicy | undefined;
}

/** One rule: a stable name, what it judges, and a pure check returning every violation. */
export interface Rule {
  readonly name: RuleName;
  /** One sentence for docs and `--help`. */
  readonly description: string;
  /**
   * Which objects the rule judges: pod-bearing workloads, network policies of every flavour,
   * Namespaces, or the mesh's mTLS settings (Istio PeerAuthentication and DestinationRule).
   */
  readonly appliesTo: 'workload' | 'policy' | 'namespace' | 'mesh-policy';
  /** Operations the rule judges. */
  readonly operations: readonly EvaluationInput['operation'][];
  check(context: RuleContext): readonly Violation[];
}
