import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildDecisionReport,
  createDecisionReportBuilder,
  whyNoDecisions,
} from '../../src/admission/decision-report.js';
import { parseLogLine } from '../../src/admission/log-line.js';
import { formatDecisionReport } from '../../src/admission/report-text.js';
import { topRefused } from '../../src/admission/report-top.js';
import { decisionLine } from './log-lines.js';

const log = readFileSync(new URL('../fixtures/admission/decision-log.jsonl', import.meta.url), 'utf8');

describe('buildDecisionReport on a recorded log', () => {
  const report = buildDecisionReport(log.split('\n'));

  it('counts real decisions, dry runs apart, and every line it skipped', () => {
    expect({
      decisions: report.decisions,
      allowed: report.allowed,
      warned: report.warned,
      denied: report.denied,
      dryRun: report.dryRun,
      from: report.from,
      to: report.to,
      lines: report.lines,
      replicas: report.replicas,
    }).toEqual({
      decisions: 5,
      allowed: 1,
      warned: 1,
      denied: 3,
      dryRun: { decisions: 1, allowed: 0, warned: 0, denied: 1 },
      from: '2026-01-01T10:00:01.000Z',
      to: '2026-01-01T10:10:00.000Z',
      lines: { read: 8, decisions: 6, otherLogLines: 1, notJson: 1, firstNotJson: 4 },
      replicas: [{ key: 'ztgate-0', count: 6 }],
    });
  });

  it('groups real denials by namespace, rule and user, busiest first; the dry-run DELETE is not among them', () => {
    expect(report.denials).toEqual({
      byNamespace: [
        { key: 'payments', count: 2 },
        { key: 'shop', count: 1 },
      ],
      byRule: [
        { key: 'dedicated-service-account', count: 2 },
        { key: '(internal error)', count: 1 },
        { key: 'allow-list-policy', count: 1 },
      ],
      byUser: [
        { key: 'alice', count: 2 },
        { key: 'carol', count: 1 },
      ],
    });
  });

  it('gives audit-mode warnings the same breakdowns', () => {
    expect(report.warnings).toEqual({
      byNamespace: [{ key: 'legacy', count: 1 }],
      byRule: [{ key: 'allow-list-policy', count: 1 }],
      byUser: [{ key: 'bob', count: 1 }],
    });
  });

  it('lists who was refused or warned what, when, dry runs flagged', () => {
    expect(report.events.map((event) => [event.decision, event.name, event.dryRun])).toEqual([
      ['deny', 'web', false],
      ['warn', 'old', false],
      ['deny', 'ztgate-default-deny', true],
      ['deny', 'pay-7d9', false],
      ['deny', 'pay-x', false],
    ]);
    expect(report.events[2]).toMatchObject({
      time: '2026-01-01T10:06:40.000Z',
      user: 'bob',
      namespace: 'shop',
      kind: 'NetworkPolicy',
      operation: 'DELETE',
      replica: 'ztgate-0',
      rules: ['default-deny-protected'],
    });
  });

  it('renders text with the skipped lines, the dry runs apart and the warnings broken down', () => {
    const text = formatDecisionReport(report).split('\n');
    expect(text.slice(0, 4)).toEqual([
      'ztgate decision report: from 2026-01-01T10:00:01.000Z to 2026-01-01T10:10:00.000Z, 1 replica (ztgate-0 6)',
      'decisions: 5 (allowed 1, warned 1, denied 3)',
      'dry-run decisions, counted apart: 1 (allowed 0, warned 0, denied 1)',
      'lines: 8 read, 6 decisions, 2 skipped (1 other ztgate log line; 1 not JSON, the first at line 4)',
    ]);
    expect(text).toContain('Audit-mode warnings by user:');
    expect(text).toContain('  2  dedicated-service-account');
    expect(text).toContain(
      '  2026-01-01T10:06:40.000Z  bob  DELETE NetworkPolicy shop/ztgate-default-deny (dry run): default-deny-protected',
    );
  });
});

describe('what kubectl logs gives', () => {
  it.each([
    ['--prefix', '[pod/ztgate-7d9f8-abcde/ztgate] {"msg":"x"}', 'ztgate-7d9f8-abcde', undefined],
    ['--timestamps', '2026-01-01T10:00:01.123456789Z {"msg":"x"}', undefined, 1767261601123],
    [
      '--prefix --timestamps',
      '[pod/ztgate-1/ztgate] 2026-01-01T10:00:01.5+01:00 {"msg":"x"}',
      'ztgate-1',
      1767258001500,
    ],
    ['neither', '{"msg":"x"}', undefined, undefined],
  ])('%s', (_name, raw, pod, stampMs) => {
    expect(parseLogLine(raw)).toEqual({ pod, stampMs, json: { msg: 'x' } });
  });

  it('reads two replicas with --prefix --timestamps, interleaved, and names each', () => {
    const lines = [
      ...[0, 1, 2].map(
        (index) =>
          `[pod/ztgate-a/ztgate] 2026-01-01T10:0${index}:00.000000001Z ${decisionLine({ time: 1767261600000 + index * 60_000, decision: 'deny', namespace: 'shop', name: `a${index}`, rules: ['allow-list-policy'], hostname: 'ztgate-a' })}`,
      ),
      '[pod/ztgate-b/ztgate] 2026-01-01T10:00:00.000000001Z {"level":30,"msg":"listening"}',
      `[pod/ztgate-b/ztgate] 2026-01-01T10:05:00.000000001Z ${decisionLine({ time: 1767261900000, decision: 'warn', namespace: 'legacy', name: 'b', rules: ['namespace-default-deny'], hostname: 'ztgate-b' })}`,
      '[pod/ztgate-b/ztgate] 2026-01-01T10:06:00.000000001Z Error: something not JSON',
    ];
    const report = buildDecisionReport(lines);
    expect(report.replicas).toEqual([
      { key: 'ztgate-a', count: 3 },
      { key: 'ztgate-b', count: 1 },
    ]);
    expect([report.denied, report.warned, report.from, report.to]).toEqual([
      3,
      1,
      '2026-01-01T10:00:00.000Z',
      '2026-01-01T10:05:00.000Z',
    ]);
    expect(report.lines).toEqual({ read: 6, decisions: 4, otherLogLines: 1, notJson: 1, firstNotJson: 6 });
  });

  it("takes the kubelet's timestamp when pino's time is missing", () => {
    const line = decisionLine({ time: 0, decision: 'allow', namespace: 'a', name: 'b' }).replace(
      '"time":0,',
      '',
    );
    expect(buildDecisionReport([`2026-03-01T00:00:00Z ${line}`]).from).toBe('2026-03-01T00:00:00.000Z');
  });
});

describe('topRefused', () => {
  it('ranks real refusals by object, with their rules and the latest violations and fixes', () => {
    const lines = [
      decisionLine({
        time: 1,
        decision: 'deny',
        namespace: 'shop',
        name: 'web',
        rules: ['allow-list-policy'],
      }),
      decisionLine({
        time: 2,
        decision: 'deny',
        namespace: 'shop',
        name: 'web',
        rules: ['dedicated-service-account'],
      }),
      decisionLine({
        time: 3,
        decision: 'deny',
        namespace: 'shop',
        name: 'cart',
        rules: ['no-host-network'],
      }),
      decisionLine({
        time: 4,
        decision: 'deny',
        namespace: 'shop',
        name: 'cart',
        dryRun: true,
        rules: ['x'],
      }),
      decisionLine({ time: 5, decision: 'warn', namespace: 'shop', name: 'cart', rules: ['y'] }),
    ];
    const top = topRefused(buildDecisionReport(lines).events, 10);
    expect(top.map(({ name, count, rules }) => ({ name, count, rules }))).toEqual([
      { name: 'web', count: 2, rules: ['allow-list-policy', 'dedicated-service-account'] },
      { name: 'cart', count: 1, rules: ['no-host-network'] },
    ]);
    expect(top[0]?.violations).toEqual([
      {
        rule: 'dedicated-service-account',
        path: 'spec.template',
        message: 'dedicated-service-account says no',
        fix: '# fix for dedicated-service-account\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}',
      },
    ]);
  });
});

describe('whyNoDecisions', () => {
  it.each([
    ['an empty log', [], 'it is empty'],
    ['blank lines', ['', '  '], 'it is empty'],
    [
      'another program',
      ['hello', '{"level":30,"msg":"listening"}', '[1,2]'],
      'none of its 3 lines is an admission decision (1 other ztgate log line, 2 lines that are not JSON)',
    ],
  ])('%s', (_name, lines, why) => {
    expect(whyNoDecisions(buildDecisionReport(lines))).toBe(why);
  });

  it('is undefined once there is a decision, a dry run included', () => {
    const line = decisionLine({ time: 1, decision: 'allow', namespace: 'a', name: 'b', dryRun: true });
    expect(whyNoDecisions(buildDecisionReport([line]))).toBeUndefined();
  });

  it('reads ISO times', () => {
    expect(
      buildDecisionReport([
        '{"msg":"admission decision","decision":"allow","time":"2026-02-01T00:00:00.000Z"}',
      ]).from,
    ).toBe('2026-02-01T00:00:00.000Z');
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
