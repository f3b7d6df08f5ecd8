import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './support/kubectl.js';
import { allowListPolicy, denyAllPolicy, deployment, list, serviceAccount } from './support/objects.js';
import { BUILTIN_CONFIG_OVERRIDES } from '../support/builtin-config.js';
import { startScenario, type Scenario } from './support/scenario.js';

// An admin who owns default deny (defaultDeny.create: false): ztgate only requires it.
describe('a namespace without default deny (defaultDeny.create: false)', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario({ ...BUILTIN_CONFIG_OVERRIDES, defaultDeny: { create: false } });
    await s.createNamespace('bare', { waitForDefaultDeny: false });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const app = () =>
    list(
      serviceAccount('bare', 'api'),
      allowListPolicy('bare', 'api', 'web'),
      deployment('bare', 'api', { serviceAccount: 'api' }),
    );

  it('refuses an otherwise compliant Deployment, saying an administrator must add the default deny', async () => {
    const result = await kubectl(s.user, ['apply', '-f', '-'], app());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[namespace-default-deny]');
    expect(result.stderr).toContain('an administrator must create one');
    // The fix: the deny-all policy to add, by its configured name.
    expect(result.stderr).toContain('name: ztgate-default-deny');
    expect((await kubectl(s.admin, ['get', 'networkpolicy', 'ztgate-default-deny', '-n', 'bare'])).code).toBe(
      1,
    );
  });

  it('admits the same Deployment once an administrator has added a deny-all policy', async () => {
    await kubectlOk(s.admin, ['apply', '-f', '-'], list(denyAllPolicy('bare', 'deny-all')));
    const result = await kubectl(s.user, ['apply', '-f', '-'], app());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
