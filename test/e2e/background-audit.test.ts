import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeRest, loadKubeConfig, type KubeRest } from '../../src/adapters/kube/index.js';
import { hasStatus } from '../../src/adapters/kube/kube-rest.js';
import { BUILTIN_CONFIG_OVERRIDES } from '../support/builtin-config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { kubectlOk, type KubectlTarget } from './support/kubectl.js';
import {
  allowAllPolicy,
  allowListPolicy,
  deployment,
  list,
  policyReportCrds,
  serviceAccount,
} from './support/objects.js';
import { httpsGet, waitFor } from './support/processes.js';
import {
  createServingCert,
  labelExemptNamespaces,
  startZtgate,
  type ServingCert,
  type Ztgate,
} from './support/ztgate.js';

interface Report {
  metadata: { resourceVersion: string; labels?: Record<string, string> };
  summary: { pass: number; fail: number };
  results?: {
    rule: string;
    result: string;
    resources: { kind: string; name: string; uid?: string }[];
    properties?: { fix?: string };
  }[];
}
interface EventList {
  items: { reason: string; type: string; message: string; involvedObject: { uid: string } }[];
}

const WROTE = 'controller wrote an object';
const SYSTEM = ['kube-system', 'kube-public', 'kube-node-lease'];

// The background audit in `ztgate serve`, two replicas against a real API server. No webhook is
// registered: the workloads are what a cluster held before ztgate was installed, or while it was
// down — the objects the webhook never judged. Under the builtin injector with test images, as the
// other suites about default deny, identities and allow-lists run (the mesh's findings: mesh.test.ts).
describe('background audit against a real API server', () => {
  let cp: ControlPlane;
  let admin: KubectlTarget;
  let rest: KubeRest;
  let cert: ServingCert;
  const replicas: Ztgate[] = [];

  // Polled through the REST client (kubectl takes a few hundred ms to start): the figures are the audit's.
  const report = async (ns: string): Promise<Report | undefined> =>
    rest
      .request<Report>('GET', `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports/ztgate-audit`)
      .catch((error: unknown) => {
        if (hasStatus(error, 404)) return undefined;
        throw error;
      });
  const failed = (found: Report | undefined, name: string): string[] =>
    (found?.results ?? [])
      .filter((r) => r.result === 'fail' && r.resources[0]?.name === name)
      .map((r) => r.rule)
      .sort();
  const uidOf = async (ns: string, name: string): Promise<string> =>
    kubectlOk(admin, ['get', 'deployment', name, '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
  const violations = async (ns: string, uid: string) =>
    (await rest.request<EventList>('GET', `/api/v1/namespaces/${ns}/events`)).items.filter(
      (event) => event.reason === 'ZtgateViolation' && event.involvedObject.uid === uid,
    );
  /** When the replica logged it became leader (ms since the epoch, pino's `time`). */
  const ledAt = (replica: Ztgate): number | undefined =>
    replica.logLines().find((line) => line['msg'] === 'became leader')?.['time'] as number | undefined;
  const wrote = (replica: Ztgate) => replica.logLines().filter((line) => line['msg'] === WROTE);

  beforeAll(async () => {
    cp = await startControlPlane();
    admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
    rest = createKubeRest(loadKubeConfig({ kubeconfig: cp.adminKubeconfig }));
    for (const ns of SYSTEM)
      await kubectlOk(admin, ['label', '--overwrite', 'namespace', ns, `kubernetes.io/metadata.name=${ns}`]);
    await labelExemptNamespaces(cp, ['ztgate-system']);
    await kubectlOk(admin, ['apply', '-f', '-'], list(...policyReportCrds()));
    cert = await createServingCert(mkdtempSync(join(cp.dir, 'certs-')));
    // Written while no ztgate ran: a Deployment with no identity of its own and no allow-list.
    for (const ns of ['shop', 'gone']) await kubectlOk(admin, ['create', 'namespace', ns]);
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      list(deployment('shop', 'legacy'), deployment('gone', 'old')),
    );
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
    await cp?.stop();
  });

  it('reports a Deployment written while ztgate was down, and posts an Event on it, within 5 s of becoming leader', async () => {
    const a = await startZtgate(cp, BUILTIN_CONFIG_OVERRIDES, cert);
    replicas.push(a);
    const uid = await uidOf('shop', 'legacy');
    let seenAt = 0;
    await waitFor(
      async () => {
        const found = failed(await report('shop'), 'legacy');
        const events = await violations('shop', uid);
        seenAt = Date.now();
        return found.includes('dedicated-service-account') && events.length > 0;
      },
      20_000,
      () => `no report and Event for shop/legacy; log:\n${JSON.stringify(a.logLines().slice(-5))}`,
      50,
    );
    // pino writes the log asynchronously: the line may reach the file a little later; its time is when it happened.
    await waitFor(
      async () => ledAt(a) !== undefined,
      10_000,
      () => 'no "became leader" line in the log',
    );
    const led = ledAt(a);
    const figure = seenAt - (led ?? 0);
    process.stdout.write(`background audit: report and Event ${figure} ms after becoming leader\n`);
    expect(figure).toBeLessThan(5000);
    // ztgate's own default deny arrives within a second; the owner's two findings stay.
    await waitFor(
      async () =>
        failed(await report('shop'), 'legacy').join() === 'allow-list-policy,dedicated-service-account',
      5000,
      () => `findings: ${failed(undefined, 'legacy').join()}`,
    );
    const found = await report('shop');
    const [event, ...others] = await violations('shop', uid);
    expect(others).toEqual([]);
    expect(event?.type).toBe('Warning');
    expect(event?.message).toMatch(/\[allow-list-policy\].*; \[dedicated-service-account\]/);
    expect(found?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('ztgate');
    const identity = found?.results?.find(
      (r) => r.rule === 'dedicated-service-account' && r.result === 'fail',
    );
    expect(identity?.resources[0]).toMatchObject({ kind: 'Deployment', name: 'legacy', uid });
    expect(identity?.properties?.fix).toContain('kind: ServiceAccount');
    // kubectl describe shows it next to the workload.
    const described = await kubectlOk(admin, ['describe', 'deployment', 'legacy', '-n', 'shop']);
    expect(described).toMatch(/Warning\s+ZtgateViolation\s+.*ztgate would refuse this Deployment/);
    // Exempt namespaces get no report.
    expect(await report('kube-system')).toBeUndefined();
  });

  it('lets a second replica write nothing', async () => {
    const b = await startZtgate(cp, BUILTIN_CONFIG_OVERRIDES, cert);
    replicas.push(b);
    const before = (await report('shop'))?.metadata.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const lease = await rest.request<{ spec: { holderIdentity?: string } }>(
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/ztgate-system/leases/ztgate-leader',
    );
    expect(lease.spec.holderIdentity).toBe(`ztgate-e2e-${new URL((replicas[0] as Ztgate).url).port}`);
    expect([ledAt(b), wrote(b)]).toEqual([undefined, []]);
    // Nor does the leader rewrite what did not change.
    expect((await report('shop'))?.metadata.resourceVersion).toBe(before);
  });

  it('clears the result within 5 s of the fix (the ServiceAccount, set on the Deployment, and a policy)', async () => {
    const uid = await uidOf('shop', 'legacy');
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      list(
        serviceAccount('shop', 'legacy'),
        allowListPolicy('shop', 'legacy', 'front'),
        deployment('shop', 'legacy', { serviceAccount: 'legacy' }),
      ),
    );
    const fixed = Date.now();
    await waitFor(
      async () => failed(await report('shop'), 'legacy').length === 0,
      10_000,
      () => 'the fixed Deployment is still reported',
      50,
    );
    const figure = Date.now() - fixed;
    process.stdout.write(`background audit: result cleared ${figure} ms after the fix\n`);
    expect(figure).toBeLessThan(5000);
    // What else the namespace's report holds once the Deployment is fixed (for the README).
    const remaining = ((await report('shop'))?.results ?? []).map(
      (r) => `${r.resources[0]?.kind}/${r.resources[0]?.name} ${r.rule} ${r.result}`,
    );
    process.stdout.write(`background audit: shop after the fix: ${JSON.stringify(remaining)}\n`);
    // The Event stays as history; none is posted for the compliant Deployment.
    expect(await violations('shop', uid)).toHaveLength(1);
  });

  it('lets a new leader rewrite and re-post nothing when nothing changed', async () => {
    const [a, b] = replicas as [Ztgate, Ztgate];
    const before = (await report('shop'))?.metadata.resourceVersion;
    // An allow-all policy: a finding the old leader reports, so the new one has a report and an Event to keep.
    await kubectlOk(admin, ['apply', '-f', '-'], list(allowAllPolicy('shop', 'legacy')));
    await waitFor(
      async () =>
        (await report('shop'))?.metadata.resourceVersion !== before &&
        failed(await report('shop'), 'legacy-allow-all').includes('no-allow-all-policy'),
      10_000,
      () => 'the allow-all policy was not reported',
    );
    // The old leader may still be settling the namespace (a CI run saw it write the report once
    // more right after the finding appeared): the report the new leader must keep is the one
    // that stopped changing while the old leader still ran.
    let kept = (await report('shop'))?.metadata.resourceVersion;
    await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const now = (await report('shop'))?.metadata.resourceVersion;
        const settled = now === kept;
        kept = now;
        return settled;
      },
      15_000,
      () => 'the old leader kept rewriting the report',
    );
    await a.stop();
    await waitFor(
      async () => ledAt(b) !== undefined,
      30_000,
      () => 'the second replica never led',
    );
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(wrote(b)).toEqual([]);
    expect((await report('shop'))?.metadata.resourceVersion).toBe(kept);
    // The new leader's metrics count the findings it judged.
    const metrics = await httpsGet(`${b.url}/metrics`, readFileSync(cert.caFile, 'utf8'));
    expect(metrics.body).toContain('ztgate_audit_findings{namespace="shop",rule="no-allow-all-policy"} 1');
    expect(metrics.body).toMatch(/^ztgate_audit_last_full_pass_timestamp_seconds \d{10}/m);
  });

  it('leaves no report behind for a deleted namespace', async () => {
    // The Deployment's two findings, and its pod's two: it runs without the proxy (no Pod webhook here).
    await waitFor(
      async () => (await report('gone'))?.summary.fail === 4,
      10_000,
      () => 'no report in namespace gone',
    );
    expect(failed(await report('gone'), 'old')).toEqual(['allow-list-policy', 'dedicated-service-account']);
    const table = await kubectlOk(admin, ['get', 'policyreport', '-A']);
    process.stdout.write(`kubectl get policyreport -A\n${table}`);
    expect(table).toMatch(/^gone\s+ztgate-audit\s+\d+\s+4\s+/m);
    await kubectlOk(admin, ['delete', 'namespace', 'gone', '--wait=true', '--timeout=60s']);
    const left = await kubectlOk(admin, ['get', 'policyreport', '-A', '-o', 'name']);
    expect(left).not.toContain('gone');
    const reports = (await kubectlOk(admin, ['get', 'policyreport', '-A'])).split('\n');
    expect(reports.filter((line) => line.startsWith('gone'))).toEqual([]);
  });

  it('keeps posting Events without the PolicyReport CRDs, says so once, and writes the reports once they are back', async () => {
    const b = replicas[1] as Ztgate;
    const missing = () =>
      b.logLines().filter((line) => line['condition'] === 'policy-reports-missing' && line['level'] === 40);
    await kubectlOk(admin, [
      'delete',
      'crd',
      'policyreports.wgpolicyk8s.io',
      'clusterpolicyreports.wgpolicyk8s.io',
    ]);
    // Discovery looks every 30 s.
    await waitFor(
      async () => missing().length === 1,
      45_000,
      () => 'the missing CRDs were not reported',
    );
    await kubectlOk(admin, ['apply', '-f', '-'], list(deployment('shop', 'later')));
    const uid = await uidOf('shop', 'later');
    await waitFor(
      async () => (await violations('shop', uid)).length === 1,
      10_000,
      () => 'no Event without the CRDs',
    );
    await kubectlOk(admin, ['apply', '-f', '-'], list(...policyReportCrds()));
    await waitFor(
      async () => failed(await report('shop').catch(() => undefined), 'later').length > 0,
      45_000,
      () => 'no report once the CRDs were back',
    );
    // Discovery may see one CRD served before the other: the condition clears once both are.
    await waitFor(
      async () => b.logLines().some((line) => line['msg'] === 'controller condition cleared'),
      45_000,
      () => 'the condition never cleared',
    );
    expect(missing()).toHaveLength(1);
  });
});
