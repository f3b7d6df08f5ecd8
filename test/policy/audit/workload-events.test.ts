import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import type { AuditResult } from '../../../src/policy/audit/scan.js';
import {
  buildViolationEvent,
  eventTime,
  findingsByWorkload,
} from '../../../src/policy/audit/workload-events.js';

const resource = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'u1' };
const finding: AuditResult = {
  category: 'workload-refused',
  rule: 'dedicated-service-account',
  result: 'fail',
  resource,
  path: 'spec.template.spec.serviceAccountName',
  message: 'web runs as default',
  fix: 'apiVersion: v1\nkind: ServiceAccount',
};

describe('eventTime', () => {
  it('is the RFC 3339 time of the seconds, whole seconds in UTC, whatever was asked before', () => {
    // Seconds from 1970 to 9999: what Date prints with a four-digit year.
    const seconds = fc.integer({ min: 0, max: 253_402_300_799 });
    fc.assert(
      fc.property(fc.array(seconds, { minLength: 1, maxLength: 6 }), (asked) => {
        for (const value of asked) {
          const text = eventTime(value);
          expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
          expect(Date.parse(text)).toBe(value * 1000);
        }
      }),
    );
  });

  it('stamps an Event with the time of its own seconds, one after another', () => {
    const [workload] = findingsByWorkload([finding], DEFAULT_CONFIG);
    if (workload === undefined) throw new Error('the finding makes no workload');
    const at = (seconds: number) =>
      buildViolationEvent(workload, { name: 'web.ztgate.0', seconds, audit: false });
    for (const [seconds, time] of [
      [1_764_660_000, '2025-12-02T07:20:00Z'],
      [1_764_660_000, '2025-12-02T07:20:00Z'],
      [1_764_660_061, '2025-12-02T07:21:01Z'],
      [0, '1970-01-01T00:00:00Z'],
    ] as const) {
      const event = at(seconds);
      expect([event['firstTimestamp'], event['lastTimestamp']]).toEqual([time, time]);
    }
  });
});
