import { describe, expect, it } from 'vitest';
import { judgeApiserverTargets, type PhaseFigures } from './apiserver-report.js';
import { benchPod, webhookCalls } from './apiserver.js';

describe('bench:apiserver helpers', () => {
  it('counts webhook calls by name from the API server metric, over every label set', () => {
    const metrics = [
      '# TYPE apiserver_admission_webhook_admission_duration_seconds histogram',
      'apiserver_admission_webhook_admission_duration_seconds_bucket{name="ztgate.inject.ztgate.dev",operation="CREATE",rejected="false",type="admit",le="0.005"} 3',
      'apiserver_admission_webhook_admission_duration_seconds_count{name="ztgate.inject.ztgate.dev",operation="CREATE",rejected="false",type="admit"} 600',
      'apiserver_admission_webhook_admission_duration_seconds_count{name="ztgate.inject.ztgate.dev",operation="CREATE",rejected="true",type="admit"} 2',
      'apiserver_admission_webhook_admission_duration_seconds_count{name="bare.workloads.ztgate.dev",operation="CREATE",rejected="false",type="validating"} 300',
      'apiserver_admission_webhook_admission_duration_seconds_sum{name="bare.workloads.ztgate.dev",operation="CREATE",rejected="false",type="validating"} 0.4',
    ].join('\n');
    expect([...webhookCalls(metrics)]).toEqual([
      ['ztgate.inject.ztgate.dev', 602],
      ['bare.workloads.ztgate.dev', 300],
    ]);
  });

  it('builds the pod at the size asked, deterministically', () => {
    const pod = benchPod('api-1', 5_000);
    const size = JSON.stringify(pod).length;
    expect(size).toBeGreaterThanOrEqual(5_000);
    expect(size).toBeLessThan(5_200);
    expect(benchPod('api-1', 5_000)).toEqual(pod);
  });

  const phase = (
    name: PhaseFigures['phase'],
    p50: number,
    p99: number,
    mutateCalls = 1,
    cpu?: { apiserver: number; webhook?: number },
  ): PhaseFigures => ({
    phase: name,
    p50,
    p99,
    rounds: [],
    calls: name === 'none' ? {} : { 'inject.ztgate.dev': mutateCalls, 'workloads.ztgate.dev': 1 },
    ...(cpu === undefined ? {} : { apiserverCpuMs: cpu.apiserver, webhookCpuMs: cpu.webhook }),
  });

  it("judges the issue's targets on the phases: differences to the bare webhook and to none", () => {
    const rows = judgeApiserverTargets([
      phase('none', 2, 5, 1, { apiserver: 1.1 }),
      phase('bare', 3, 9, 1, { apiserver: 1.9, webhook: 0.4 }),
      phase('bare-small', 2.5, 8, 1, { apiserver: 1.5, webhook: 0.3 }),
      phase('ztgate', 3.4, 13.5, 2, { apiserver: 2.6, webhook: 1.3 }),
      phase('mesh-bare', 2.8, 8, 1, { apiserver: 1.8, webhook: 0.5 }),
      phase('mesh-ztgate', 3.5, 9, 1, { apiserver: 1.8, webhook: 0.9 }),
    ]);
    expect(rows.map((r) => [r.name, Number(r.value.toFixed(2)), r.target, r.pass])).toEqual([
      ['ztgate over the bare webhook with the same patch, p50', 0.4, '≤ 0.5 ms', true],
      ['webhook overhead over no webhook, p50', 1.4, '≤ 3 ms', true],
      ['webhook overhead over no webhook, p99', 8.5, '≤ 8 ms', false],
      // Reinvoked /mutate: two calls per pod.
      ["calls per webhook per pod (ztgate's most called)", 2, '≤ 1', false],
      ["a one-operation patch instead of ztgate's, p50 (bare webhook)", -0.5, '', undefined],
      // Where the latency goes: the webhook's own CPU, and the API server's for the second call.
      ["ztgate's server CPU per pod over the bare webhook's", 0.9, '', undefined],
      ["the API server's CPU per pod, ztgate against the bare webhook", 0.7, '', undefined],
      // The default configuration: the mesh's injector mutates, ztgate only validates; compared
      // with the same injector and a bare /validate, not with the builtin phases.
      [
        "under the mesh's injector (Istio, the default): ztgate's /validate over a bare one, p50",
        0.7,
        '≤ 0.5 ms',
        false,
      ],
    ]);
    expect(rows.at(-1)?.compared?.against).toBe("mesh's injector + bare /validate");
    expect(rows[0]?.compared).toEqual({ figure: 3.4, baseline: 3, against: 'bare webhook', unit: 'ms' });
  });

  it('judges nothing on a phase that was not measured', () => {
    const rows = judgeApiserverTargets([phase('none', 2, 5), phase('bare', 3, 9)]);
    expect(rows.map((r) => [r.pass, r.note])).toEqual([
      [undefined, 'a phase was not measured'],
      [undefined, 'a phase was not measured'],
      [undefined, 'a phase was not measured'],
      [undefined, 'no webhook call was counted'],
      [undefined, 'a phase was not measured'],
      [undefined, 'CPU was not read'],
      [undefined, 'CPU was not read'],
      [undefined, 'a phase was not measured'],
    ]);
  });
});
