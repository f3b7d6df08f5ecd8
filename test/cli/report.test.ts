import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, type CliRun } from './run-cli.js';

const LOG = fileURLToPath(new URL('../fixtures/admission/decision-log.jsonl', import.meta.url));

async function run(args: readonly string[]): Promise<CliRun> {
  return runCli('report', args);
}

afterEach(() => vi.restoreAllMocks());

describe('ztgate report on a recorded log', () => {
  it('prints denials by namespace, rule and user with the time range', async () => {
    const { code, stdout } = await run([LOG]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'ztgate decision report: from 2026-01-01T10:00:01.000Z to 2026-01-01T10:10:00.000Z',
      'decisions: 6 (allowed 1, warned 1, denied 4)',
    ]);
    expect(lines.slice(lines.indexOf('Denials by user:'), lines.indexOf('Denials by user:') + 4)).toEqual([
      'Denials by user:',
      '  2  alice',
      '  1  bob',
      '  1  carol',
    ]);
  });

  it('prints JSON with --output json', async () => {
    const { code, stdout } = await run([LOG, '--output', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.byNamespace).toEqual([
      { key: 'payments', count: 2 },
      { key: 'shop', count: 2 },
    ]);
    expect(report.denials).toHaveLength(4);
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
    const dir = mkdtempSync(join(tmpdir(), 'ztgate-report-'));
    const big = join(dir, 'decisions.log');
    const copies = Math.ceil(60_000 / recorded.length);
    writeFileSync(big, `${Array.from({ length: copies }, () => recorded.join('\n')).join('\n')}\n`);
    const once = JSON.parse((await run([LOG, '--output', 'json'])).stdout);
    const { code, stdout } = await run([big, '--output', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.decisions).toBe(once.decisions * copies);
    expect(report.denied).toBe(once.denied * copies);
    expect(report.denials).toHaveLength(once.denials.length * copies);
    expect(report.byUser).toEqual(
      once.byUser.map((row: { key: string; count: number }) => ({ ...row, count: row.count * copies })),
    );
    expect([report.from, report.to]).toEqual([once.from, once.to]);
  });
});
