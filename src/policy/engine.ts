import { isExemptNamespace, MODE_LABEL, type ZtgateConfig } from './config.js';
import { asYamlFix } from './fix/render.js';
import { metadataTypeErrors } from './json-types.js';
import { isMtlsPolicyObject } from './mesh/mtls-policies.js';
import { namespaceOf } from './objects.js';
import { isPolicyObject, normalizePolicy } from './policies/index.js';
import { policySizeErrors } from './policies/size.js';
import { RULES } from './rules/index.js';
import type { Rule, RuleContext } from './rules/rule.js';
import type {
  ClusterView,
  Decision,
  EvaluationInput,
  FieldError,
  KubeObject,
  NormalizedPolicy,
  Violation,
  Workload,
} from './types.js';
import { leavesJudgedContentUnchanged } from './unchanged-update.js';
import { readWorkload, type WorkloadReading } from './workload.js';

const SKIPPED: Decision = Object.freeze({
  allowed: true,
  skipped: true,
  mode: 'enforce',
  violations: [],
  warnings: [],
});

/** The wire form of one violation: `[rule] path: message`. */
export function formatViolation(violation: Violation): string {
  return `[${violation.rule}] ${violation.path}: ${violation.message}`;
}

/** `invalid-object` violations for fields ztgate cannot read (also /mutate's answer to them). */
export function invalidObject(errors: readonly FieldError[], what: string): Violation[] {
  return errors.map((error) => ({
    rule: 'invalid-object',
    path: error.path,
    message: error.message,
    fix: `# Correct ${error.path === '' ? `the ${what}` : error.path}; ztgate denies what it cannot read.`,
  }));
}

interface Subject {
  readonly appliesTo: Rule['appliesTo'];
  readonly namespace: string | undefined;
  readonly workload?: Workload | undefined;
  readonly policy?: NormalizedPolicy | undefined;
  readonly oldPolicy?: NormalizedPolicy | undefined;
  readonly invalid: readonly Violation[];
}

function normalize(object: KubeObject | undefined, config: ZtgateConfig): NormalizedPolicy | undefined {
  return object === undefined
    ? undefined
    : normalizePolicy(object, { istioRootNamespace: config.istioRootNamespace });
}

/**
 * What an offline judge has already read of an object, used when `object` is the one judged (a
 * CREATE): `workload` is readWorkload(object, input.namespace) (the audit reads each workload once
 * to find its owner); `policy` is normalizePolicy(object, { istioRootNamespace }) of this config
 * (the view normalized it).
 */
export interface KnownReading {
  readonly object: KubeObject;
  readonly workload?: WorkloadReading | undefined;
  readonly policy?: NormalizedPolicy | undefined;
}

/** What the request is about; undefined for kinds ztgate does not judge. */
function classify(
  input: EvaluationInput,
  config: ZtgateConfig,
  known: KnownReading | undefined,
): Subject | undefined {
  const object = input.operation === 'DELETE' ? (input.oldObject ?? input.object) : input.object;
  if (object === undefined) return undefined;
  const namespace = namespaceOf(object, input.namespace);
  const reading =
    known?.object === object && known.workload !== undefined
      ? known.workload
      : readWorkload(object, input.namespace);
  if (reading !== undefined) {
    if (input.operation === 'DELETE' || input.operation === 'CONNECT') return undefined;
    return {
      appliesTo: 'workload',
      namespace,
      workload: reading.workload,
      invalid: invalidObject(reading.errors ?? [], 'workload'),
    };
  }
  if (object.kind === 'Namespace' && object.apiVersion === 'v1') {
    // A namespace is judged as itself: no namespace of its own to be exempt or in audit mode.
    if (input.operation === 'DELETE' || input.operation === 'CONNECT') return undefined;
    return {
      appliesTo: 'namespace',
      namespace: undefined,
      invalid: invalidObject(metadataTypeErrors(object.metadata), 'namespace'),
    };
  }
  if (isMtlsPolicyObject(object)) {
    if (input.operation === 'CONNECT') return undefined;
    // The root namespace's apply mesh-wide: judged as cluster-wide, never skipped as exempt.
    const scope = namespace === config.istioRootNamespace ? undefined : namespace;
    return { appliesTo: 'mesh-policy', namespace: scope, invalid: [] };
  }
  if (!isPolicyObject(object)) return undefined;
  // A policy too large to judge in one request is refused before it is read (policies/size.ts).
  const tooLarge =
    input.operation === 'DELETE' || input.object === undefined ? [] : policySizeErrors(input.object);
  if (tooLarge.length > 0)
    return { appliesTo: 'policy', namespace, invalid: invalidObject(tooLarge, 'policy') };
  const policy =
    input.operation === 'DELETE'
      ? undefined
      : known?.policy !== undefined && known.object === input.object
        ? known.policy
        : normalize(input.object, config);
  const oldPolicy = normalize(input.oldObject, config);
  const unreadable =
    input.operation !== 'DELETE' && policy === undefined
      ? [{ path: '', message: `the ${object.kind ?? 'policy'} cannot be read as a policy` }]
      : [];
  if (input.operation !== 'DELETE') unreadable.push(...metadataTypeErrors(input.object?.metadata));
  return {
    appliesTo: 'policy',
    namespace,
    policy,
    oldPolicy,
    invalid: invalidObject([...unreadable, ...(policy?.errors ?? [])], 'policy'),
  };
}

/**
 * Runs one rule; a rule that throws denies (fail closed) instead of letting the object through.
 * Every fix comes out as YAML that pastes (asYamlFix: a fix written as sentences is commented).
 */
function runRule(rule: Rule, context: RuleContext): readonly Violation[] {
  try {
    const violations = rule.check(context);
    // Most rules find nothing: no copy of their empty answer on every request.
    if (violations.length === 0) return violations;
    return violations.map((violation) => {
      const fix = asYamlFix(violation.fix);
      return fix === violation.fix ? violation : { ...violation, fix };
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [
      {
        rule: rule.name,
        path: '',
        message: `ztgate could not evaluate this rule (${reason}); denied to fail closed`,
        fix: '# Report this to the ztgate administrators with the object that triggered it.',
      },
    ];
  }
}

function modeFor(namespace: string | undefined, view: ClusterView, config: ZtgateConfig): Decision['mode'] {
  if (config.mode === 'audit') return 'audit';
  if (namespace === undefined) return 'enforce';
  return view.namespace(namespace)?.labels[MODE_LABEL] === 'audit' ? 'audit' : 'enforce';
}

/** A workload UPDATE whose findings all predate it: nothing the rules read changed. */
function isUnchangedWorkloadUpdate(
  input: EvaluationInput,
  subject: Subject,
  violations: readonly Violation[],
): boolean {
  return (
    input.operation === 'UPDATE' &&
    violations.length > 0 &&
    subject.invalid.length === 0 &&
    subject.workload !== undefined &&
    leavesJudgedContentUnchanged(subject.workload, input.oldObject)
  );
}

/** Per frozen list of rules, the rules for each kind of subject and operation. */
const applicableByRules = new WeakMap<readonly Rule[], Map<string, readonly Rule[]>>();
const APPLICABLE_KEPT = 32;

/**
 * The rules of `rules` that judge this kind of subject on this operation, in order. A frozen
 * list (RULES) is filtered once per kind and operation, not once per decision; any other list
 * every time, since it may change.
 */
export function applicableRules(
  rules: readonly Rule[],
  appliesTo: Rule['appliesTo'],
  operation: EvaluationInput['operation'],
): readonly Rule[] {
  const filter = () =>
    rules.filter((rule) => rule.appliesTo === appliesTo && rule.operations.includes(operation));
  if (!Object.isFrozen(rules)) return filter();
  let byKind = applicableByRules.get(rules);
  if (byKind === undefined) applicableByRules.set(rules, (byKind = new Map()));
  const key = `${appliesTo}\u0000${operation}`;
  const known = byKind.get(key);
  if (known !== undefined) return known;
  const applicable = Object.freeze(filter());
  // Kinds and operations are a handful; a request's unexpected spelling must not grow the map.
  if (byKind.size < APPLICABLE_KEPT) byKind.set(key, applicable);
  return applicable;
}

/**
 * Judges one object against the view: every applicable rule runs and every violation is
 * returned. Audit mode (config or namespace label) allows with the violations as warnings.
 * `known`: what the caller already read of the object, not read again.
 */
export function evaluate(
  input: EvaluationInput,
  view: ClusterView,
  config: ZtgateConfig,
  rules: readonly Rule[] = RULES,
  known?: KnownReading,
): Decision {
  const subject = classify(input, config, known);
  if (subject === undefined) return SKIPPED;
  if (subject.namespace !== undefined && isExemptNamespace(config, subject.namespace)) return SKIPPED;
  const applicable = applicableRules(rules, subject.appliesTo, input.operation);
  if (applicable.length === 0 && subject.invalid.length === 0) return SKIPPED;
  const violations: Violation[] = [...subject.invalid];
  // A malformed workload cannot be judged further; its invalid-object violations deny it.
  if (subject.appliesTo !== 'workload' || subject.workload !== undefined) {
    const context: RuleContext = {
      input,
      view,
      config,
      workload: subject.workload,
      policy: subject.policy,
      oldPolicy: subject.oldPolicy,
    };
    for (const rule of applicable) violations.push(...runRule(rule, context));
  }
  const mode = modeFor(subject.namespace, view, config);
  if (mode === 'enforce' && isUnchangedWorkloadUpdate(input, subject, violations)) {
    // Findings the object had before this update are reported, not refused (unchanged-update.ts).
    return Object.freeze({
      allowed: true,
      skipped: false,
      mode,
      violations: Object.freeze(violations),
      warnings: Object.freeze(violations.map(formatViolation)),
    });
  }
  const audit = mode === 'audit';
  return Object.freeze({
    allowed: audit || violations.length === 0,
    skipped: false,
    mode,
    violations: Object.freeze(violations),
    warnings: Object.freeze(audit ? violations.map(formatViolation) : []),
  });
}
