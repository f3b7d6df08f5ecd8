import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlJson, kubectlOk } from './support/kubectl.js';
import { allowListPolicy, deployment, list, serviceAccount, type Manifest } from './support/objects.js';
import { waitFor } from './support/processes.js';
import { startScenario, type Scenario } from './support/scenario.js';

// ztgate judges what a change brings in. A Deployment written before its namespace was enforced
// runs as `default`; the developer follows ztgate's fix (its own ServiceAccount). The deployment
// controller then scales the old ReplicaSet down with an UPDATE that leaves its template as it
// was: refusing it would keep the old pods running and stall the rollout that fixes them.
const NS = 'legacy';

// ztgate's own injector with test images (ztgate ships no proxy), as the other builtin suites run it.
const BUILTIN = {
  mesh: { provider: 'builtin' },
  sidecar: {
    image: 'registry.example/ztgate-test/proxy:1.0',
    initImage: 'registry.example/ztgate-test/proxy-init:1.0',
  },
} as const;

interface ReplicaSetList {
  items: {
    metadata: { name: string };
    spec: { replicas: number; template: { spec: { serviceAccountName?: string } } };
  }[];
}

/** The Deployment with Recreate, so the controller scales the old ReplicaSet to 0 before the new one starts. */
function app(serviceAccountName?: string): Manifest {
  const d = deployment(NS, 'api', {
    replicas: 2,
    ...(serviceAccountName === undefined ? {} : { serviceAccount: serviceAccountName }),
  });
  return { ...d, spec: { ...(d.spec as Manifest), strategy: { type: 'Recreate' } } };
}

describe('updates that leave the pod template alone', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario(BUILTIN);
    // Written while the namespace was in audit mode: admitted with warnings, as before an install.
    await s.createNamespace(NS, { labels: { 'ztgate.dev/mode': 'audit' } });
    await kubectlOk(s.user, ['apply', '-f', '-'], list(allowListPolicy(NS, 'api', 'web'), app()));
    await waitFor(
      async () =>
        (await kubectlJson<ReplicaSetList>(s.admin, ['get', 'rs', '-n', NS, '-o', 'json'])).items.length ===
        1,
      30_000,
      () => 'the deployment controller made no ReplicaSet',
    );
    await kubectlOk(s.admin, ['label', 'namespace', NS, 'ztgate.dev/mode-']);
    await waitFor(
      async () =>
        (await kubectl(s.admin, ['get', 'networkpolicy', 'ztgate-default-deny', '-n', NS])).code === 0,
      15_000,
      () => `no ztgate-default-deny in ${NS} after the switch to enforce`,
    );
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('admits a scale of the non-compliant ReplicaSet with its findings as warnings, and refuses a template change', async () => {
    const [old] = (await kubectlJson<ReplicaSetList>(s.admin, ['get', 'rs', '-n', NS, '-o', 'json'])).items;
    const name = old?.metadata.name ?? '';
    // A PATCH of spec.replicas (kubectl scale goes through the scale subresource, which ztgate does not judge).
    const scaled = await kubectl(s.user, [
      'patch',
      'rs',
      name,
      '-n',
      NS,
      '--type=merge',
      '-p',
      '{"spec":{"replicas":1}}',
    ]);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stderr).toContain('[dedicated-service-account]');
    expect(scaled.stderr).toContain(
      'already so before this update (pod template and owner unchanged): admitted',
    );
    expect(scaled.stderr).not.toContain('audit mode');
    const changed = await kubectl(s.user, ['set', 'image', `rs/${name}`, '-n', NS, 'app=nginx:1.28']);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain('denied the request');
    expect(changed.stderr).toContain('[dedicated-service-account]');
  });

  it("following ztgate's fix, the deployment controller retires the old ReplicaSet", async () => {
    const fix = await kubectl(s.user, ['apply', '-f', '-'], list(serviceAccount(NS, 'api'), app('api')));
    expect(fix.code, fix.stderr).toBe(0);
    await waitFor(
      async () => {
        const { items } = await kubectlJson<ReplicaSetList>(s.admin, ['get', 'rs', '-n', NS, '-o', 'json']);
        const old = items.find((rs) => rs.spec.template.spec.serviceAccountName === undefined);
        const fixed = items.find((rs) => rs.spec.template.spec.serviceAccountName === 'api');
        return old?.spec.replicas === 0 && fixed?.spec.replicas === 2;
      },
      30_000,
      () => 'the old ReplicaSet was not scaled to 0 and the new one to 2 within 30 s',
    );
  });
});
