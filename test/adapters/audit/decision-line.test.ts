import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  buildDecisionRecord,
  DECISION_MESSAGE,
  type DecisionFacts,
} from '../../../src/admission/decision-record.js';
import type { AdmissionRequest } from '../../../src/admission/review-types.js';
import { createLogger, decisionLine, logDecision } from '../../../src/adapters/audit/logger.js';
import type { Violation } from '../../../src/policy/types.js';

/** A stream that keeps what it is given, line by line. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { stream, lines };
}

const request: AdmissionRequest = {
  uid: 'line-1',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  subResource: undefined,
  operation: 'CREATE',
  namespace: 'shop',
  name: 'web',
  object: undefined,
  oldObject: undefined,
  userInfo: { username: 'alice', groups: ['developers', 'system:authenticated'] },
  dryRun: false,
};

const violation = (index: number, text: string): Violation => ({
  rule: 'allow-list-policy',
  path: `spec.template.metadata.labels[${index}]`,
  message: `no policy selects "${text}"\\ here`,
  fix: `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${text}\n`,
});

const facts = (overrides: Partial<DecisionFacts> = {}): DecisionFacts => ({
  request,
  outcome: 'allow',
  mode: 'enforce',
  violations: [],
  durationMs: 0.123456,
  webhook: 'validate',
  ...overrides,
});

/** Records covering every optional field and the strings pino escapes itself (quotes, controls, long, non-ASCII). */
const CASES: Record<string, DecisionFacts> = {
  'an allow': facts(),
  'a denial with fixes': facts({
    outcome: 'deny',
    violations: [violation(0, 'web'), violation(1, 'wéb "quoted"\t\u0001')],
  }),
  'violations left out': facts({
    outcome: 'deny',
    violations: Array.from({ length: 60 }, (_, index) => violation(index, 'x'.repeat(200))),
  }),
  'an internal error': facts({ outcome: 'deny', error: 'boom "at" \\ line\n2' }),
  'no namespace, name or user': facts({
    request: { ...request, namespace: undefined, name: undefined, userInfo: {} },
    webhook: 'mutate',
  }),
  'long and unusual strings': facts({
    request: {
      ...request,
      uid: 'u'.repeat(150),
      name: 'n\u0000"\\',
      userInfo: { username: `日本語-${'é'.repeat(120)}`, groups: ['a"b', 'c\\d', '\u2028'] },
    },
    outcome: 'warn',
    mode: 'audit',
    violations: [violation(0, 'e\u0301')],
  }),
};

/** pino's own line for the record, with the time replaced by `timeMs`. */
function pinoLine(level: 'info' | 'error', facts: DecisionFacts): { line: string; timeMs: number } {
  const { stream, lines } = capture();
  const logger = pino({ level: 'trace' }, stream);
  logger[level](buildDecisionRecord(facts), DECISION_MESSAGE);
  const line = lines[0] ?? '';
  const time = /"time":(\d+)/.exec(line)?.[1];
  return { line, timeMs: Number(time) };
}

describe('decision lines', () => {
  it.each(Object.entries(CASES))('are the bytes pino writes: %s', (_name, cases) => {
    const level = cases.error === undefined ? 'info' : 'error';
    const expected = pinoLine(level, cases);
    const logger = pino({ level: 'trace' }, capture().stream);
    expect(decisionLine(logger, level, buildDecisionRecord(cases), expected.timeMs)).toBe(expected.line);
  });

  it('escape a lone surrogate in a short top-level string, as in nested fields and as logText counts it', () => {
    const record = buildDecisionRecord(facts({ request: { ...request, uid: 'a\ud800b' } }));
    const line = decisionLine(pino(capture().stream), 'info', record, 1);
    expect(line).toContain('"uid":"a\\ud800b"');
    expect((JSON.parse(line) as { uid: string }).uid).toBe('a\ud800b');
    expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line);
  });

  it('carry the logger bindings and level, and go to the logger stream with the other lines', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ destination: stream });
    logger.info('before');
    logDecision(logger, buildDecisionRecord(facts()));
    logDecision(logger, buildDecisionRecord(facts({ outcome: 'deny', error: 'failed' })));
    logger.info('after');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => [line['level'], line['msg'], line['pid'], typeof line['hostname']])).toEqual([
      [30, 'before', process.pid, 'string'],
      [30, DECISION_MESSAGE, process.pid, 'string'],
      [50, DECISION_MESSAGE, process.pid, 'string'],
      [30, 'after', process.pid, 'string'],
    ]);
    expect(parsed[2]?.['error']).toBe('failed');
  });

  it('are not written above their level', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ destination: stream, level: 'error' });
    logDecision(logger, buildDecisionRecord(facts()));
    logDecision(logger, buildDecisionRecord(facts({ outcome: 'deny', error: 'failed' })));
    expect(lines.map((line) => (JSON.parse(line) as { error?: string }).error)).toEqual(['failed']);
  });
});
