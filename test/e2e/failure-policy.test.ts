import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './support/kubectl.js';
import { allowListPolicy, denyAllPolicy, deployment, list, pod, serviceAccount } from './support/objects.js';
import { BUILTIN_CONFIG_OVERRIDES } from '../support/builtin-config.js';
import { startScenario, type Scenario } from './support/scenario.js';

// failurePolicy: Fail with ztgate down: enforced namespaces fail closed, the control plane's
// namespaces (left out by the namespaceSelector) keep working.
describe('with ztgate stopped', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario(BUILTIN_CONFIG_OVERRIDES);
    await s.createNamespace('shop');
    await kubectlOk(
      s.user,
      ['apply', '-f', '-'],
      list(serviceAccount('shop', 'api'), allowListPolicy('shop', 'api', 'web')),
    );
    await s.stopZtgate();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const enforced: [string, string, string][] = [
    ['a Deployment', list(deployment('shop', 'api', { serviceAccount: 'api' })), 'workloads.ztgate.dev'],
    ['a bare Pod', list(pod('shop', 'bare')), 'inject.ztgate.dev'],
    ['a NetworkPolicy', list(denyAllPolicy('shop', 'extra-deny')), 'policies.ztgate.dev'],
  ];
  it.each(enforced)('refuses %s in an enforced namespace', async (_name, manifest, webhook) => {
    const result = await kubectl(s.user, ['apply', '-f', '-'], manifest);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`failed calling webhook "${webhook}"`);
  });

  it('refuses even an admin creating a namespace (its labels cannot be checked)', async () => {
    const result = await kubectl(s.admin, ['create', 'namespace', 'while-down']);
    expect(result.code).toBe(1);
    // Mutating webhooks run first: the enrolment (it would add the mesh's mark) fails closed
    // before namespaces.ztgate.dev is even asked.
    expect(result.stderr).toContain('failed calling webhook "enrol.ztgate.dev"');
  });

  const exempt: [string, string][] = [
    ['kube-system (kubernetes.io/metadata.name)', 'kube-system'],
    ['kube-public (kubernetes.io/metadata.name)', 'kube-public'],
    ['ztgate-system (ztgate.dev/exempt=true)', 'ztgate-system'],
  ];
  it.each(exempt)('still admits Pods and policies in %s', async (_name, namespace) => {
    const result = await kubectl(
      s.admin,
      ['apply', '-f', '-'],
      list(pod(namespace, 'still-works'), denyAllPolicy(namespace, 'still-works')),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('admits the enforced namespace again once ztgate is back', async () => {
    await s.restartZtgate();
    const result = await kubectl(
      s.user,
      ['apply', '-f', '-'],
      list(deployment('shop', 'api', { serviceAccount: 'api' })),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
