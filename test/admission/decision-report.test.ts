import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDecisionReport, createDecisionReportBuilder } from '../../src/admission/decision-report.js';
import { formatDecisionReport } from '../../src/admission/report-text.js';

const log = readFileSync(new URL('../fixtures/admission/decision-log.jsonl', import.meta.url), 'utf8');

describe('buildDecisionReport on a recorded log', () => {
  const report = buildDecisionReport(log.split('\n'));

  it('counts decisions and other lines', () => {
    expect({ ...report, byNamespace: [], byRule: [], byUser: [], denials: [] }).toEqual({
      decisions: 6,
      allowed: 1,
      warned: 1,
      denied: 4,
      from: '2026-01-01T10:00:01.000Z',
      to: '2026-01-01T10:10:00.000Z',
      byNamespace: [],
      byRule: [],
      byUser: [],
      denials: [],
      otherLines: 2,
    });
  });

  it('groups denials by namespace, rule and user, busiest first', () => {
    expect(report.byNamespace).toEqual([
      { key: 'payments', count: 2 },
      { key: 'shop', count: 2 },
    ]);
    expect(report.byRule).toEqual([
      { key: 'dedicated-service-account', count: 2 },
      { key: '(internal error)', count: 1 },
      { key: 'allow-list-policy', count: 1 },
      { key: 'default-deny-protected', count: 1 },
    ]);
    expect(report.byUser).toEqual([
      { key: 'alice', count: 2 },
      { key: 'bob', count: 1 },
      { key: 'carol', count: 1 },
    ]);
  });

  it('lists who was refused what, when', () => {
    expect(report.denials[1]).toEqual({
      time: '2026-01-01T10:06:40.000Z',
      user: 'bob',
      namespace: 'shop',
      kind: 'NetworkPolicy',
      name: 'ztgate-default-deny',
      operation: 'DELETE',
      dryRun: true,
      rules: ['default-deny-protected'],
    });
  });

  it('renders text', () => {
    const text = formatDecisionReport(report).split('\n');
    expect(text[0]).toBe('ztgate decision report: from 2026-01-01T10:00:01.000Z to 2026-01-01T10:10:00.000Z');
    expect(text[1]).toBe('decisions: 6 (allowed 1, warned 1, denied 4)');
    expect(text).toContain('Denials by rule:');
    expect(text).toContain('  2  dedicated-service-account');
    expect(text).toContain(
      '  2026-01-01T10:06:40.000Z  bob  DELETE NetworkPolicy shop/ztgate-default-deny (dry run): default-deny-protected',
    );
  });
});

describe('buildDecisionReport edge cases', () => {
  it.each([
    ['an empty log', [], { decisions: 0, from: undefined }],
    [
      'ISO times',
      ['{"msg":"admission decision","decision":"allow","time":"2026-02-01T00:00:00.000Z"}'],
      { decisions: 1, from: '2026-02-01T00:00:00.000Z' },
    ],
    ['a JSON array line', ['[1,2]'], { decisions: 0, otherLines: 1 }],
  ])('%s', (_name, lines, expected) => {
    expect(buildDecisionReport(lines)).toMatchObject(expected);
  });

  it('says when there is nothing to report', () => {
    expect(formatDecisionReport(buildDecisionReport([]))).toBe(
      'ztgate decision report: no decisions in the log\ndecisions: 0 (allowed 0, warned 0, denied 0)\n',
    );
  });
});

describe('createDecisionReportBuilder', () => {
  it('reports line by line what buildDecisionReport reports at once, and can report midway', () => {
    const lines = log.split('\n');
    const builder = createDecisionReportBuilder();
    const half = Math.floor(lines.length / 2);
    lines.slice(0, half).forEach((line) => builder.add(line));
    expect(builder.finish()).toEqual(buildDecisionReport(lines.slice(0, half)));
    lines.slice(half).forEach((line) => builder.add(line));
    expect(builder.finish()).toEqual(buildDecisionReport(lines));
  });
});
