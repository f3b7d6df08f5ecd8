import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, type CliRun } from './run-cli.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'check');
const STATE = join(FIXTURES, 'state');
const manifest = (name: string): string => join(FIXTURES, 'manifests', name);

async function run(...args: string[]): Promise<CliRun> {
  return runCli('check', args);
}

interface JsonResult {
  kind: string;
  namespace: string | null;
  name: string;
  allowed: boolean;
  violations: { rule: string; path: string; message: string; fix: string }[];
  unknown: { rule: string; path: string; message: string; fix: string }[];
  notes: string[];
  warnings: string[];
}

async function runJson(...args: string[]): Promise<{ code: number; results: JsonResult[] }> {
  const { code, stdout } = await run(...args, '--output', 'json');
  return { code, results: (JSON.parse(stdout) as { results: JsonResult[] }).results };
}

const verdicts = (results: JsonResult[]) =>
  results.map((r) => ({
    object: `${r.kind} ${r.namespace ?? ''}/${r.name}`,
    allowed: r.allowed,
    rules: r.violations.map((v) => `${v.rule} ${v.path}`),
  }));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ztgate check --output json', () => {
  it('allows a workload that satisfies every rule (exit 0)', async () => {
    const { code, results } = await runJson('-f', manifest('web.yaml'), '--state', STATE);
    expect(code).toBe(0);
    expect(verdicts(results)).toEqual([{ object: 'Deployment shop/web', allowed: true, rules: [] }]);
    expect(Object.keys(results[0] ?? {})).toEqual([
      'apiVersion',
      'kind',
      'namespace',
      'name',
      'allowed',
      'violations',
      'unknown',
      'notes',
      'warnings',
    ]);
  });

  it('reports every violation of every object (exit 1)', async () => {
    const { code, results } = await runJson('-f', manifest('violations.yaml'), '--state', STATE);
    expect(code).toBe(1);
    expect(verdicts(results)).toEqual([
      {
        object: 'Deployment shop/cart',
        allowed: false,
        rules: [
          'dedicated-service-account spec.template.spec.serviceAccountName',
          // open-door selects app=cart but admits everyone: allow-list-policy is satisfied, rule 3 is not.
          'no-allow-all-policy spec.template.metadata.labels',
        ],
      },
      {
        object: 'CronJob shop/report',
        allowed: false,
        rules: ['dedicated-service-account spec.jobTemplate.spec.template.spec.serviceAccountName'],
      },
      {
        object: 'NetworkPolicy shop/open-door',
        allowed: false,
        rules: ['no-allow-all-policy spec.ingress[0]'],
      },
    ]);
    const report = results[1]?.violations[0];
    expect(report?.message).toBe(
      'ServiceAccount api is also used by Deployment shop/api; distinct workloads need distinct identities',
    );
    expect(report?.fix).toContain('name: report');
  });

  it('judges a List as one change: its ServiceAccount and policy count for its StatefulSet', async () => {
    const { code, results } = await runJson('-f', manifest('new-service.json'), '--state', STATE);
    expect(code).toBe(0);
    expect(verdicts(results)).toEqual([
      { object: 'NetworkPolicy shop/search-allow-ingress', allowed: true, rules: [] },
      { object: 'StatefulSet shop/search', allowed: true, rules: [] },
    ]);
  });

  it('allows with warnings in an audit-mode namespace', async () => {
    const { code, results } = await runJson('-f', manifest('trial.yaml'), '--state', STATE);
    expect(code).toBe(0);
    expect(results[0]?.allowed).toBe(true);
    expect(results[0]?.warnings).toEqual(
      results[0]?.violations.map((v) => `[${v.rule}] ${v.path}: ${v.message}`),
    );
    // The default deny ztgate's controller creates is a note, not a finding (the offline model).
    expect(results[0]?.violations.map((v) => v.rule)).toEqual([
      'dedicated-service-account',
      'allow-list-policy',
    ]);
    expect(results[0]?.notes).toEqual([
      '[namespace-default-deny] namespace trial has no default deny for ingress and egress; ztgate creates ztgate-default-deny there once namespace trial is enforced (it is not: label ztgate.dev/mode=audit)',
      "[mesh-enrolment] namespace trial is not enrolled in the istio mesh (label istio-injection=enabled): its pods would start without the mesh's proxy; ztgate sets the mark once the namespace is enforced (it is not: label ztgate.dev/mode=audit); enrol it before you enforce",
      '[strict-mtls] mTLS is not STRICT for pods labelled {} in namespace trial: no PeerAuthentication is in force, and Istio then accepts plaintext (PERMISSIVE)',
    ]);
  });

  it("judges Pods as ztgate's mutation leaves them: injected pods pass, hostNetwork pods are refused", async () => {
    const { code, results } = await runJson('-f', join(FIXTURES, 'pods', 'pods.yaml'), '--state', STATE);
    expect(code).toBe(1);
    expect(verdicts(results)).toEqual([
      { object: 'NetworkPolicy shop/web-debug-ingress', allowed: true, rules: [] },
      { object: 'Pod shop/web-debug', allowed: true, rules: [] },
      {
        object: 'Pod shop/web-hostnet',
        allowed: false,
        rules: ['no-host-network spec.hostNetwork'],
      },
    ]);
  });

  it('reads a folder and puts objects without a namespace in --namespace', async () => {
    const { results } = await runJson('-f', join(FIXTURES, 'manifests'), '--state', STATE);
    expect(results.map((r) => r.name)).toEqual([
      'search-allow-ingress',
      'search',
      'experiment',
      'cart',
      'report',
      'open-door',
      'web',
    ]);
  });
});

describe('ztgate check: the mesh, offline (the injector has not run yet)', () => {
  it('judges a new namespace as /mutate enrols it, so its first workload passes', async () => {
    const { code, results } = await runJson('-f', join(FIXTURES, 'mesh', 'new-namespace.yaml'));
    expect(code).toBe(0);
    expect(results.map((r) => `${r.kind}/${r.name} ${r.allowed}`)).toContain('Deployment/ledger true');
  });

  it('still refuses an opt-out, a hand-written fake proxy and a PERMISSIVE PeerAuthentication', async () => {
    const { code, results } = await runJson('-f', join(FIXTURES, 'mesh', 'bypasses.yaml'), '--state', STATE);
    expect(code).toBe(1);
    const mesh = (r: JsonResult) =>
      r.violations
        .filter((v) => ['mesh-opt-out', 'mtls-sidecar', 'strict-mtls'].includes(v.rule))
        .map((v) => `${v.rule} ${v.path}`);
    // The PERMISSIVE namespace-wide policy in the same change weakens shop for both pods too.
    expect(results.map((r) => [r.name, mesh(r)])).toEqual([
      ['web', ['mesh-opt-out metadata.labels.sidecar.istio.io/inject', 'strict-mtls metadata.namespace']],
      ['web-fake-proxy', ['mtls-sidecar spec.containers[0].image', 'strict-mtls metadata.namespace']],
      ['loose', ['strict-mtls spec.mtls.mode']],
    ]);
  });
});

describe('ztgate check text output', () => {
  it('prints ALLOWED and a summary', async () => {
    const { code, stdout } = await run('-f', manifest('web.yaml'), '--state', STATE);
    expect(code).toBe(0);
    expect(stdout).toBe('ALLOWED Deployment shop/web\n\n1 judged: 1 allowed, 0 denied\n');
  });

  it('prints DENIED, one [rule] path: message line per violation, then each fix as indented YAML', async () => {
    const { stdout } = await run('-f', manifest('violations.yaml'), '--state', STATE);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'DENIED Deployment shop/cart',
      '  [dedicated-service-account] spec.template.spec.serviceAccountName: the pod template sets no serviceAccountName, so its pods run as the shared `default` identity',
      expect.stringMatching(/^ {2}\[no-allow-all-policy\] spec\.template\.metadata\.labels: /),
    ]);
    expect(lines[3]).toBe('  fix for [dedicated-service-account] spec.template.spec.serviceAccountName:');
    expect(lines[4]).toBe(
      '    # Create a ServiceAccount for this workload alone and set spec.template.spec.serviceAccountName: cart',
    );
    expect(lines).toContain('    kind: ServiceAccount');
    expect(lines.at(-2)).toBe('3 judged: 0 allowed, 3 denied');
  });

  it('lists view-only kinds in the summary', async () => {
    const { stdout } = await run('-f', manifest('new-service.json'), '--state', STATE);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe(
      '2 judged: 2 allowed, 0 denied; 1 not judged (view input: ServiceAccount)',
    );
  });

  it('prints audit findings as warnings', async () => {
    const { stdout } = await run('-f', manifest('trial.yaml'), '--state', STATE);
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'ALLOWED Pod trial/experiment',
      expect.stringMatching(/^ {2}warning: \[dedicated-service-account\] spec\.serviceAccountName: /),
    ]);
  });
});

describe('ztgate check exit 2', () => {
  it.each([
    {
      name: 'a broken document',
      args: ['-f', join(FIXTURES, 'broken.yaml')],
      message: `${join(FIXTURES, 'broken.yaml')}: document 2: invalid YAML`,
    },
    {
      name: 'a missing file',
      args: ['-f', join(FIXTURES, 'nope.yaml')],
      message: `${join(FIXTURES, 'nope.yaml')}: no such file or directory`,
    },
    {
      name: 'a missing state folder',
      args: ['-f', manifest('web.yaml'), '--state', join(FIXTURES, 'nope')],
      message: 'no such file or directory',
    },
    {
      name: 'a bad config file',
      args: ['-f', manifest('web.yaml'), '--config', join(FIXTURES, 'nope.yaml')],
      message: 'cannot read the config file',
    },
  ])('$name', async ({ args, message }) => {
    const { code, stdout, stderr } = await run(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it.each([
    { name: 'no -f', args: [] },
    { name: 'an unknown output format', args: ['-f', 'x.yaml', '--output', 'xml'] },
  ])('bad usage: $name', async ({ args }) => {
    expect((await run(...args)).code).toBe(2);
  });
});
