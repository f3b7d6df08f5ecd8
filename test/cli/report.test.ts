import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decisionLine } from '../admission/log-lines.js';
import { runCli, type CliRun } from './run-cli.js';

const LOG = fileURLToPath(new URL('../fixtures/admission/decision-log.jsonl', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ztgate-report-'));

async function run(args: readonly string[]): Promise<CliRun> {
  return runCli('report', args);
}

function file(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return path;
}

afterEach(() => vi.restoreAllMocks());

/**
 * What `kubectl logs -n ztgate-system -l app.kubernetes.io/name=ztgate --prefix --tail=-1
 * --timestamps` prints for two replicas: each pod's lines in turn, prefixed and stamped.
 */
function twoReplicas(): string[] {
  const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '123456Z');
  const at = (minute: number) => Date.UTC(2026, 0, 1, 10, minute);
  const a = [
    decisionLine({
      time: at(0),
      decision: 'deny',
      namespace: 'shop',
      name: 'web',
      rules: ['allow-list-policy'],
      user: 'alice',
    }),
    decisionLine({
      time: at(1),
      decision: 'warn',
      namespace: 'legacy',
      name: 'old',
      rules: ['dedicated-service-account'],
      user: 'bob',
    }),
    decisionLine({
      time: at(2),
      decision: 'deny',
      namespace: 'shop',
      name: 'web',
      dryRun: true,
      rules: ['allow-list-policy'],
      user: 'alice',
    }),
  ].map((line, index) => `[pod/ztgate-5f7c-a/ztgate] ${stamp(at(index))} ${line}`);
  const b = [
    '{"level":30,"time":1767261600000,"msg":"serving","address":"https://0.0.0.0:8443"}',
    decisionLine({
      time: at(3),
      decision: 'warn',
      namespace: 'legacy',
      name: 'batch',
      rules: ['allow-list-policy'],
      user: 'carol',
    }),
    decisionLine({ time: at(4), decision: 'allow', namespace: 'shop', name: 'api' }),
  ].map((line, index) => `[pod/ztgate-5f7c-b/ztgate] ${stamp(at(index + 3))} ${line}`);
  return [...a, ...b];
}

describe('ztgate report on a recorded log', () => {
  it('prints denials, warnings and the lines it skipped', async () => {
    const { code, stdout } = await run([LOG]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'ztgate decision report: from 2026-01-01T10:00:01.000Z to 2026-01-01T10:10:00.000Z, 1 replica (ztgate-0 6)',
      'decisions: 5 (allowed 1, warned 1, denied 3)',
      'dry-run decisions, counted apart: 1 (allowed 0, warned 0, denied 1)',
      'lines: 8 read, 6 decisions, 2 skipped (1 other ztgate log line; 1 not JSON, the first at line 4)',
    ]);
    expect(lines.slice(lines.indexOf('Denials by user:'), lines.indexOf('Denials by user:') + 3)).toEqual([
      'Denials by user:',
      '  2  alice',
      '  1  carol',
    ]);
  });

  it('prints JSON with --output json', async () => {
    const { code, stdout } = await run([LOG, '--output', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.denials.byNamespace).toEqual([
      { key: 'payments', count: 2 },
      { key: 'shop', count: 1 },
    ]);
    expect(report.events).toHaveLength(5);
  });

  it('reads every replica from kubectl logs --prefix --timestamps, warnings broken down, dry runs apart', async () => {
    const { code, stdout } = await run([file('kubectl-logs.txt', twoReplicas()), '-o', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.replicas).toEqual([
      { key: 'ztgate-5f7c-a', count: 3 },
      { key: 'ztgate-5f7c-b', count: 2 },
    ]);
    expect([report.decisions, report.denied, report.warned, report.dryRun]).toEqual([
      4,
      1,
      2,
      { decisions: 1, allowed: 0, warned: 0, denied: 1 },
    ]);
    expect(report.warnings).toEqual({
      byNamespace: [{ key: 'legacy', count: 2 }],
      byRule: [
        { key: 'allow-list-policy', count: 1 },
        { key: 'dedicated-service-account', count: 1 },
      ],
      byUser: [
        { key: 'bob', count: 1 },
        { key: 'carol', count: 1 },
      ],
    });
    expect(report.lines).toEqual({ read: 6, decisions: 5, otherLogLines: 1, notJson: 0 });
    // One pod's lines come after the other's: the events are put back in time order.
    const shuffled = [...twoReplicas().slice(3), ...twoReplicas().slice(0, 3)];
    const again = JSON.parse((await run([file('shuffled.txt', shuffled), '-o', 'json'])).stdout);
    expect(again.events.map((event: { name: string }) => event.name)).toEqual(['web', 'old', 'web', 'batch']);
  });

  it.each([
    ['an empty file', [], 'report: no admission decisions in FILE: it is empty'],
    [
      "another program's log",
      ['Starting...', '{"level":30,"msg":"listening"}'],
      'report: no admission decisions in FILE: none of its 2 lines is an admission decision (1 other ztgate log line, 1 line that is not JSON)',
    ],
  ])('exits 2 on %s, saying why and how to read the log', async (name, lines, message) => {
    const path = file(`${name.replaceAll(' ', '-')}.log`, lines);
    const result = await run([path]);
    expect([result.code, result.stdout]).toEqual([2, '']);
    expect(result.stderr).toBe(
      `ztgate: ${message.replace('FILE', path)}; read ztgate's log with: kubectl logs -n ztgate-system -l app.kubernetes.io/name=ztgate --prefix --tail=-1\n`,
    );
  });

  it.each([
    ['a missing file', ['/nonexistent/decisions.log'], 2, 'report: cannot read /nonexistent/decisions.log'],
    ['a bad output format', [LOG, '--output', 'yaml'], 2, ''],
  ])('exits %s', async (_name, args, code, message) => {
    const result = await run(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });

  it('reads a long log as a stream: 60,000 lines, the same report as the recorded lines once', async () => {
    const recorded = readFileSync(LOG, 'utf8').trimEnd().split('\n');
    const copies = Math.ceil(60_000 / recorded.length);
    const big = file('decisions.log', Array.from({ length: copies }, () => recorded).flat());
    const once = JSON.parse((await run([LOG, '--output', 'json'])).stdout);
    const { code, stdout } = await run([big, '--output', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.decisions).toBe(once.decisions * copies);
    expect(report.denied).toBe(once.denied * copies);
    expect(report.events).toHaveLength(once.events.length * copies);
    expect(report.denials.byUser).toEqual(
      once.denials.byUser.map((row: { key: string; count: number }) => ({
        ...row,
        count: row.count * copies,
      })),
    );
    expect([report.from, report.to]).toEqual([once.from, once.to]);
  });
});
