import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Issue 15 §1: the offline model. What -f and --state do not show is unknown: a warning, a
// failure with --strict. What ztgate itself creates (its default deny) is a note. "retry" is the
// webhook's word only: nobody re-runs a CI job to wait for a controller.
const STATE = join(import.meta.dirname, '..', 'fixtures', 'check', 'state');
const dir = mkdtempSync(join(tmpdir(), 'ztgate-check-unknowns-'));
let files = 0;

function file(text: string): string {
  const path = join(dir, `m${(files += 1)}.yaml`);
  writeFileSync(path, text);
  return path;
}

interface Finding {
  rule: string;
  path: string;
  message: string;
}
interface Result {
  kind: string;
  name: string;
  allowed: boolean;
  violations: Finding[];
  unknown: Finding[];
  notes: string[];
}

async function check(...args: string[]) {
  const json = await runCli('check', [...args, '-o', 'json']);
  const text = await runCli('check', args);
  for (const output of [json.stdout, json.stderr, text.stdout, text.stderr])
    expect(output).not.toMatch(/retry/i);
  expect(text.code).toBe(json.code);
  const results = json.code === 2 ? [] : (JSON.parse(json.stdout) as { results: Result[] }).results;
  return { code: json.code, results, text: text.stdout };
}

const summary = (result: Result | undefined) => ({
  allowed: result?.allowed,
  violations: result?.violations.map((f) => f.rule) ?? [],
  unknown: result?.unknown.map((f) => f.rule) ?? [],
  // Notes read `[rule] message`: what ztgate itself provides (the default deny, the mesh's mark, STRICT).
  notes: result?.notes.map((note) => /^\[([a-z-]+)\]/.exec(note)?.[1]) ?? [],
});

function deployment(namespace: string, sa = 'web'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: ${sa}
      containers: [{name: web, image: example/web:1, ports: [{containerPort: 8080}]}]
`;
}
const serviceAccount = (namespace: string) =>
  `---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: ${namespace}}\n`;
const allowList = (namespace: string) => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-allow-ingress, namespace: ${namespace}}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 8080}]}]
`;
const namespaceObject = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n---\n`;

afterEach(() => vi.restoreAllMocks());

describe('check without --state: what -f does not show is unknown', () => {
  it('warns on the ServiceAccount and allow-list it cannot see, notes the default deny ztgate creates (exit 0)', async () => {
    const { code, results, text } = await check('-f', file(deployment('shop')));
    expect(code).toBe(0);
    expect(summary(results[0])).toEqual({
      allowed: true,
      violations: [],
      unknown: ['dedicated-service-account', 'allow-list-policy'],
      notes: ['namespace-default-deny', 'mesh-enrolment', 'strict-mtls'],
    });
    expect(results[0]?.unknown[0]?.message).toBe(
      'ServiceAccount shop/web is not in -f: unknown (no --state given, so the cluster may hold it)',
    );
    expect(text.split('\n').at(-2)).toBe(
      '1 judged: 1 allowed, 0 denied; 2 unknown findings (not shown by -f or --state: warnings, failures with --strict)',
    );
    expect(text).toContain(
      "note: [namespace-default-deny] namespace shop has no default deny for ingress and egress; ztgate's controller creates ztgate-default-deny in every namespace it enforces",
    );
  });

  it('fails on the same unknowns with --strict (exit 1)', async () => {
    const { code, results, text } = await check('--strict', '-f', file(deployment('shop')));
    expect(code).toBe(1);
    expect(summary(results[0])).toMatchObject({
      allowed: false,
      unknown: ['dedicated-service-account', 'allow-list-policy'],
    });
    expect(text.startsWith('DENIED Deployment shop/web\n  unknown: [dedicated-service-account]')).toBe(true);
  });

  it('passes --strict when -f holds what the workload needs', async () => {
    const { code, results } = await check(
      '--strict',
      '-f',
      file(deployment('shop') + serviceAccount('shop') + allowList('shop')),
    );
    expect(code).toBe(0);
    expect(results.map(summary)).toEqual([
      {
        allowed: true,
        violations: [],
        unknown: [],
        notes: ['namespace-default-deny', 'mesh-enrolment', 'strict-mtls'],
      },
      { allowed: true, violations: [], unknown: [], notes: [] },
    ]);
  });

  it('still denies what does not depend on the cluster: the shared `default` identity', async () => {
    const { code, results } = await check('-f', file(deployment('shop', 'default')));
    expect(code).toBe(1);
    expect(summary(results[0])).toMatchObject({ allowed: false, violations: ['dedicated-service-account'] });
  });
});

describe('check with --state: a namespace the state holds is known whole', () => {
  it('denies a ServiceAccount the state does not hold in a namespace it holds (shop)', async () => {
    const { code, results } = await check('-f', file(deployment('shop', 'nobody')), '--state', STATE);
    expect(code).toBe(1);
    expect(summary(results[0])).toEqual({
      allowed: false,
      violations: ['dedicated-service-account'],
      unknown: [],
      notes: [],
    });
    expect(results[0]?.violations[0]?.message).toBe('ServiceAccount shop/nobody does not exist');
  });

  it('calls the same unknown in a namespace the state does not hold', async () => {
    const { code, results } = await check('-f', file(deployment('lab')), '--state', STATE);
    expect(code).toBe(0);
    expect(summary(results[0])).toEqual({
      allowed: true,
      violations: [],
      unknown: ['dedicated-service-account', 'allow-list-policy'],
      notes: ['namespace-default-deny', 'mesh-enrolment', 'strict-mtls'],
    });
    expect(results[0]?.unknown[1]?.message).toBe(
      'no policy in namespace lab allow-lists ingress to pods labelled {app=web}, as far as -f and --state show: unknown (namespace lab is not in --state, so the cluster may hold it)',
    );
  });

  it('knows a namespace the change creates on top of the state: its missing ServiceAccount is denied', async () => {
    const { code, results } = await check(
      '-f',
      file(namespaceObject('lab') + deployment('lab')),
      '--state',
      STATE,
    );
    expect(code).toBe(1);
    expect(results.map(summary)).toEqual([
      { allowed: true, violations: [], unknown: [], notes: [] },
      {
        allowed: false,
        violations: ['dedicated-service-account', 'allow-list-policy'],
        unknown: [],
        // The new Namespace joins the view enrolled, as /mutate leaves it.
        notes: ['namespace-default-deny', 'strict-mtls'],
      },
    ]);
  });

  it('denies a missing default deny an admin must create (defaultDeny.create: false) where the namespace is known', async () => {
    const config = file('defaultDeny:\n  create: false\n');
    const ok = deployment('lab') + serviceAccount('lab') + allowList('lab');
    const known = await check('--config', config, '-f', file(namespaceObject('lab') + ok), '--state', STATE);
    expect(known.code).toBe(1);
    const web = (results: Result[]) => results.find((result) => result.kind === 'Deployment');
    expect(web(known.results)?.violations[0]?.message).toBe(
      'namespace lab has no default deny for ingress and egress; an administrator must create one (ztgate does not: defaultDeny.create is false)',
    );
    const unknown = await check('--config', config, '-f', file(ok));
    expect([unknown.code, summary(web(unknown.results))]).toEqual([
      0,
      {
        allowed: true,
        violations: [],
        unknown: ['namespace-default-deny'],
        notes: ['mesh-enrolment', 'strict-mtls'],
      },
    ]);
  });

  it('keeps audit mode: unknowns in an audit-mode namespace fail nothing, even with --strict', async () => {
    const { code, results } = await check('--strict', '-f', file(deployment('trial')), '--state', STATE);
    expect(code).toBe(0);
    expect(summary(results[0])).toMatchObject({
      allowed: true,
      violations: ['dedicated-service-account', 'allow-list-policy'],
    });
  });
});
