import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildDecisionRecord, DECISION_MESSAGE } from '../../../src/admission/decision-record.js';
import type { AdmissionRequest } from '../../../src/admission/review-types.js';
import { formatDecisionLine } from '../../../src/adapters/audit/logger.js';

const REQUEST: AdmissionRequest = {
  uid: 'uid-1',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  subResource: undefined,
  operation: 'CREATE',
  namespace: 'shop',
  name: 'web "quoted" \u2028 ünïcode',
  object: undefined,
  oldObject: undefined,
  userInfo: { username: 'alice', groups: ['dev', 'system:authenticated'] },
  dryRun: false,
};

function pinoLine(level: 'info' | 'error', record: object): string {
  let line = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      line += chunk.toString();
      done();
    },
  });
  pino({ level: 'trace' }, sink)[level](record, DECISION_MESSAGE);
  return line;
}

const RECORDS = [
  [
    'an allow',
    'info',
    buildDecisionRecord({
      request: REQUEST,
      outcome: 'allow',
      mode: 'enforce',
      violations: [],
      durationMs: 0.1234,
      webhook: 'validate',
    }),
  ],
  [
    'a denial with violations',
    'info',
    buildDecisionRecord({
      request: { ...REQUEST, namespace: undefined, dryRun: true },
      outcome: 'deny',
      mode: 'audit',
      violations: [
        {
          rule: 'no-privileged',
          path: 'spec.containers[0]',
          message: 'privileged\nline',
          fix: 'x',
          severity: 'error',
        },
      ] as never,
      durationMs: 2,
      webhook: 'mutate',
    }),
  ],
  [
    'an internal fault',
    'error',
    buildDecisionRecord({
      request: REQUEST,
      outcome: 'deny',
      mode: 'enforce',
      violations: [],
      durationMs: 3.5,
      webhook: 'validate',
      error: 'boom "x"',
    }),
  ],
] as const;

describe('formatDecisionLine', () => {
  it.each(RECORDS)('%s: the same bytes pino writes for the record', (_name, level, record) => {
    const expected = pinoLine(level, record);
    const time = (JSON.parse(expected) as { time: number }).time;
    expect(formatDecisionLine(level, record, time)).toBe(expected);
  });
});
