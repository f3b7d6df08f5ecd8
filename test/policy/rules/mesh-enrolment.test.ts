import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import type { KubeObject, Operation, UserInfo } from '../../../src/policy/types.js';
import { deployment, namespace, pod, viewOf } from '../helpers.js';
import { EMPTY_VIEW } from './context.js';

const developer: UserInfo = { username: 'dev@example.com', groups: ['developers'] };
const admin: UserInfo = { username: 'root', groups: ['system:masters'] };
const withProvider = (provider: ZtgateConfig['mesh']['provider'], revision = ''): ZtgateConfig => ({
  ...DEFAULT_CONFIG,
  mesh: { ...DEFAULT_CONFIG.mesh, provider, revision },
});
const linkerd = withProvider('linkerd');

function enrolmentViolations(object: KubeObject, nsObject: KubeObject | undefined, config = DEFAULT_CONFIG) {
  const view = viewOf(nsObject === undefined ? [] : [nsObject]);
  return evaluate({ operation: 'CREATE', object }, view, config).violations.filter(
    (v) => v.rule === 'mesh-enrolment',
  );
}

function annotated(
  name: string,
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
): KubeObject {
  const object = namespace(name, labels);
  return { ...object, metadata: { ...object.metadata, annotations } };
}

describe('mesh-enrolment: workloads', () => {
  it.each([
    [
      'an enrolled namespace',
      deployment('web'),
      namespace('shop', { 'istio-injection': 'enabled' }),
      DEFAULT_CONFIG,
    ],
    [
      'a revision namespace',
      pod('web'),
      namespace('shop', { 'istio.io/rev': 'canary' }),
      withProvider('istio', 'canary'),
    ],
    [
      'Linkerd by annotation',
      deployment('web'),
      annotated('shop', { 'linkerd.io/inject': 'enabled' }),
      linkerd,
    ],
    ['the builtin provider (no mark)', deployment('web'), undefined, withProvider('builtin')],
    ['an exempt namespace', deployment('dns', { namespace: 'kube-system' }), undefined, DEFAULT_CONFIG],
  ])('allows a workload in %s', (_name, object, nsObject, config) => {
    expect(enrolmentViolations(object, nsObject, config)).toEqual([]);
  });

  it('refuses a workload in a namespace without the mark, says the controller sets it, and asks a live read', () => {
    const [violation] = enrolmentViolations(deployment('web'), namespace('shop'));
    expect(violation).toMatchObject({
      rule: 'mesh-enrolment',
      path: 'metadata.namespace',
      missing: { kind: 'Namespace', name: 'shop' },
    });
    expect(violation?.message).toContain("ztgate's controller sets the mark");
    expect(violation?.fix).toContain('kubectl label namespace shop istio-injection=enabled --overwrite');
    expect(violation?.fix).toContain('  labels:\n    istio-injection: enabled');
  });

  it('names the opt-out an admin wrote, and does not promise the controller', () => {
    const [violation] = enrolmentViolations(pod('web'), namespace('shop', { 'istio-injection': 'disabled' }));
    expect(violation?.message).toContain('istio-injection=disabled, an opt-out only a ztgate admin may set');
  });

  it('refuses a workload in a namespace the view does not hold (confirmed by a live read)', () => {
    expect(enrolmentViolations(deployment('web'), undefined)).toHaveLength(1);
  });

  it('Linkerd: a label is no annotation', () => {
    const [violation] = enrolmentViolations(
      deployment('web'),
      namespace('shop', { 'linkerd.io/inject': 'enabled' }),
      linkerd,
    );
    expect(violation?.fix).toContain('kubectl annotate namespace shop linkerd.io/inject=enabled --overwrite');
  });

  it('in an audit namespace: a warning that says ztgate enrols enforced namespaces only', () => {
    const view = viewOf([namespace('shop', { 'ztgate.dev/mode': 'audit' })]);
    const decision = evaluate({ operation: 'CREATE', object: deployment('web') }, view, DEFAULT_CONFIG);
    expect(decision.allowed).toBe(true);
    expect(decision.warnings.find((w) => w.startsWith('[mesh-enrolment]'))).toContain(
      'enrol it before you enforce',
    );
  });
});

function nsChange(
  operation: Operation,
  labels: Record<string, string>,
  before: Record<string, string> | undefined,
  user: UserInfo,
  config: ZtgateConfig = DEFAULT_CONFIG,
  name = 'shop',
) {
  const object = namespace(name, labels);
  const oldObject = before === undefined ? undefined : namespace(name, before);
  return evaluate({ operation, object, oldObject, user }, EMPTY_VIEW, config).violations.filter(
    (v) => v.rule === 'mesh-enrolment',
  );
}

const enabled = { 'istio-injection': 'enabled' };

describe('mesh-enrolment: namespaces', () => {
  it.each([
    [
      'a new namespace without the mark (/mutate and the controller add it)',
      'CREATE',
      {},
      undefined,
      developer,
      DEFAULT_CONFIG,
    ],
    ['a new enrolled namespace', 'CREATE', enabled, undefined, developer, DEFAULT_CONFIG],
    ['another label changed', 'UPDATE', { ...enabled, team: 'a' }, enabled, developer, DEFAULT_CONFIG],
    [
      'the equivalent istio.io/rev=default',
      'UPDATE',
      { 'istio.io/rev': 'default' },
      enabled,
      developer,
      DEFAULT_CONFIG,
    ],
    ['an admin removing the mark', 'UPDATE', {}, enabled, admin, DEFAULT_CONFIG],
    [
      'an admin opting a namespace out',
      'CREATE',
      { 'istio-injection': 'disabled' },
      undefined,
      admin,
      DEFAULT_CONFIG,
    ],
    [
      'the mark removed in an audit namespace',
      'UPDATE',
      { 'ztgate.dev/mode': 'audit' },
      { 'ztgate.dev/mode': 'audit', ...enabled },
      developer,
      DEFAULT_CONFIG,
    ],
    [
      'the mark removed under the builtin provider',
      'UPDATE',
      {},
      enabled,
      developer,
      withProvider('builtin'),
    ],
    ['an unenrolled namespace staying so', 'UPDATE', { team: 'a' }, {}, developer, DEFAULT_CONFIG],
  ] as const)('allows %s', (_name, operation, labels, before, user, config) => {
    expect(nsChange(operation, labels, before, user, config)).toEqual([]);
  });

  it('allows anything in an exempt namespace', () => {
    expect(
      nsChange(
        'UPDATE',
        { 'istio-injection': 'disabled' },
        enabled,
        developer,
        DEFAULT_CONFIG,
        'kube-system',
      ),
    ).toEqual([]);
  });

  it.each([
    ['the mark removed', 'UPDATE', {}, enabled, 'metadata.labels', DEFAULT_CONFIG],
    [
      'the mark set to disabled',
      'UPDATE',
      { 'istio-injection': 'disabled' },
      enabled,
      'metadata.labels.istio-injection',
      DEFAULT_CONFIG,
    ],
    [
      'a new namespace opted out',
      'CREATE',
      { 'istio-injection': 'disabled' },
      undefined,
      'metadata.labels.istio-injection',
      DEFAULT_CONFIG,
    ],
    [
      'disabled added before the controller enrolled it',
      'UPDATE',
      { 'istio-injection': 'disabled' },
      {},
      'metadata.labels.istio-injection',
      DEFAULT_CONFIG,
    ],
    // istio-injection makes Istio ignore istio.io/rev: the revision's injector stops.
    [
      'istio-injection added over a revision',
      'UPDATE',
      { 'istio.io/rev': 'canary', ...enabled },
      { 'istio.io/rev': 'canary' },
      'metadata.labels',
      withProvider('istio', 'canary'),
    ],
    [
      'ambient: dataplane-mode none',
      'UPDATE',
      { 'istio.io/dataplane-mode': 'none' },
      { 'istio.io/dataplane-mode': 'ambient' },
      'metadata.labels.istio.io/dataplane-mode',
      withProvider('istio-ambient'),
    ],
  ] as const)('refuses %s by a developer', (_name, operation, labels, before, path, config) => {
    const violations = nsChange(operation, labels, before, developer, config);
    expect(violations.map((v) => v.path)).toEqual([path]);
    expect(violations[0]?.message).toContain('May do it: only members of group(s) system:masters');
  });

  it('Linkerd: the inject annotation set to disabled is refused', () => {
    const object = annotated('shop', { 'linkerd.io/inject': 'disabled' });
    const oldObject = annotated('shop', { 'linkerd.io/inject': 'enabled' });
    const violations = evaluate(
      { operation: 'UPDATE', object, oldObject, user: developer },
      EMPTY_VIEW,
      linkerd,
    ).violations;
    expect(violations.map((v) => `${v.rule} ${v.path}`)).toEqual([
      'mesh-enrolment metadata.annotations.linkerd.io/inject',
    ]);
  });
});
