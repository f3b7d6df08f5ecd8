import { describe, expect, it } from 'vitest';
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
});
