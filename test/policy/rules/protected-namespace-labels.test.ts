import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import { protectedNamespaceLabels } from '../../../src/policy/rules/protected-namespace-labels.js';
import type { KubeObject, Operation, UserInfo } from '../../../src/policy/types.js';
import { EMPTY_VIEW } from './context.js';

const developer: UserInfo = { username: 'dev@example.com', groups: ['developers', 'system:authenticated'] };
const admin: UserInfo = { username: 'root@example.com', groups: ['system:masters'] };
const named: UserInfo = { username: 'platform-bot', groups: [] };
const withNamedAdmin: ZtgateConfig = {
  ...DEFAULT_CONFIG,
  admins: { groups: ['system:masters'], users: ['platform-bot'] },
};

function ns(labels: Record<string, string> = {}, name = 'shop'): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function judge(
  operation: Operation,
  object: KubeObject,
  oldObject: KubeObject | undefined,
  user: UserInfo | undefined,
  config: ZtgateConfig = DEFAULT_CONFIG,
) {
  return evaluate({ operation, object, oldObject, user }, EMPTY_VIEW, config);
}

const exempt = { 'ztgate.dev/exempt': 'true' };
const audit = { 'ztgate.dev/mode': 'audit' };

describe('protected-namespace-labels: allowed', () => {
  it.each([
    [
      'a namespace without ztgate labels, by a developer',
      'CREATE',
      ns({ team: 'shop' }),
      undefined,
      developer,
    ],
    ['an exempt namespace created by an admin', 'CREATE', ns(exempt), undefined, admin],
    ['audit mode set by a configured admin user', 'UPDATE', ns(audit), ns(), named, withNamedAdmin],
    ['the exemption removed (enforcing again) by a developer', 'UPDATE', ns(), ns(exempt), developer],
    ['audit mode removed by a developer', 'UPDATE', ns(), ns(audit), developer],
    [
      'mode set to enforce by a developer',
      'UPDATE',
      ns({ 'ztgate.dev/mode': 'enforce' }),
      ns(audit),
      developer,
    ],
    [
      'other labels changed on an exempt namespace',
      'UPDATE',
      ns({ ...exempt, a: 'b' }),
      ns(exempt),
      developer,
    ],
    ['exempt=false by a developer', 'CREATE', ns({ 'ztgate.dev/exempt': 'false' }), undefined, developer],
    ['a namespace deleted by a developer', 'DELETE', ns(exempt), ns(exempt), developer],
  ] as const)('%s', (_name, operation, object, oldObject, user, config = DEFAULT_CONFIG) => {
    const decision = judge(operation, object, oldObject, user, config);
    expect(decision.violations).toEqual([]);
    expect(decision.allowed).toBe(true);
  });
});

describe('protected-namespace-labels: denied', () => {
  it.each([
    [
      'an exempt namespace created by a developer',
      'CREATE',
      ns(exempt),
      undefined,
      developer,
      ['metadata.labels.ztgate.dev/exempt'],
    ],
    [
      'an exemption added by a developer',
      'UPDATE',
      ns(exempt),
      ns(),
      developer,
      ['metadata.labels.ztgate.dev/exempt'],
    ],
    [
      'audit mode set by a developer',
      'UPDATE',
      ns(audit),
      ns({ 'ztgate.dev/mode': 'enforce' }),
      developer,
      ['metadata.labels.ztgate.dev/mode'],
    ],
    [
      'both, by a request without user',
      'CREATE',
      ns({ ...exempt, ...audit }),
      undefined,
      undefined,
      ['metadata.labels.ztgate.dev/exempt', 'metadata.labels.ztgate.dev/mode'],
    ],
    [
      'ztgate-system labelled audit by a developer (no namespace is exempt from this rule)',
      'UPDATE',
      ns(audit, 'ztgate-system'),
      ns({}, 'ztgate-system'),
      developer,
      ['metadata.labels.ztgate.dev/mode'],
    ],
  ] as const)('%s', (_name, operation, object, oldObject, user, paths) => {
    const decision = judge(operation, object, oldObject, user);
    expect(decision.allowed).toBe(false);
    expect(decision.violations.map((v) => [v.rule, v.path])).toEqual(
      paths.map((path) => ['protected-namespace-labels', path]),
    );
  });

  it('says what the label does, who may set it, and how to undo it', () => {
    const [violation] = protectedNamespaceLabels.check({
      input: { operation: 'UPDATE', object: ns(exempt), oldObject: ns(), user: developer },
      view: EMPTY_VIEW,
      config: DEFAULT_CONFIG,
      workload: undefined,
      policy: undefined,
      oldPolicy: undefined,
    });
    expect(violation?.message).toContain('no pod gets the mTLS sidecar');
    expect(violation?.message).toContain('members of group(s) system:masters');
    expect(violation?.fix).toContain('kubectl label namespace shop ztgate.dev/exempt-');
    expect(violation?.fix).toContain('exemptNamespaces');
  });

  it('only warns in audit mode (config), like every rule', () => {
    const decision = judge('CREATE', ns(exempt), undefined, developer, { ...DEFAULT_CONFIG, mode: 'audit' });
    expect(decision.allowed).toBe(true);
    expect(decision.warnings.join('\n')).toContain('[protected-namespace-labels]');
  });
});
