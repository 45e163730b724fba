import type { InstancesRun } from './instances';
import type { JavaPeerRun } from './java-peer';
import { summarizeClients, type ClientRuns } from './clients';
import type { PassthroughRun, PipelineRun } from './throughput';

const pt = (eps: number, verified = true) => ({ events_per_s: eps, cpu_ms_per_1k_events: 20, outputs_verified: verified }) as unknown as PassthroughRun;
const pz = (eps: number, exactlyOnce = true) => ({ events_per_s: eps, cpu_ms_per_1k_events: 50, peak_rss_mb: 250, verification: { exactlyOnce } }) as unknown as PipelineRun;
const group = (eps: number) => ({ events_per_s: eps, verification: { exactlyOnce: true } }) as unknown as InstancesRun;
const java = (eps: number) => ({ events_per_s: eps }) as unknown as JavaPeerRun;

describe('clients side by side', () => {
  const kafkajs: ClientRuns = { client: 'kafkajs', passthrough: [pt(30_000), pt(28_000)], pipeline: [pz(18_000), pz(21_000)], instances: [] };
  const platformatic: ClientRuns = { client: 'platformatic', passthrough: [pt(36_000), pt(35_000)], pipeline: [pz(27_000), pz(21_000)], instances: [group(30_000), group(31_500)] };

  it('pairs each repetition with the first client and the Java peer of the same repetition', () => {
    const s = summarizeClients([kafkajs, platformatic], [java(120_000), java(100_000)]);
    expect(s.kafkajs!.pipeline_to_first_client).toEqual({ min: 1, median: 1, max: 1, n: 2 });
    // 27,000 / 18,000 and 21,000 / 21,000: the median of the per-repetition ratios, not the ratio of medians.
    expect(s.platformatic!.pipeline_to_first_client).toEqual({ min: 1, median: 1.25, max: 1.5, n: 2 });
    expect(s.platformatic!.pipeline_to_java_peer).toEqual({ min: 0.21, median: 0.218, max: 0.225, n: 2 });
    expect(s.platformatic!.instances_speedup).toEqual({ min: 1.111, median: 1.306, max: 1.5, n: 2 });
    expect(s.kafkajs!.instances_speedup).toBeUndefined();
    expect(s.platformatic!.verified).toBe(true);
  });

  it('pairs only the repetitions both ran (a peer that failed part-way) and reports none without a peer', () => {
    expect(summarizeClients([kafkajs], [java(100_000)]).kafkajs!.pipeline_to_java_peer).toEqual({ min: 0.18, median: 0.18, max: 0.18, n: 1 });
    expect(summarizeClients([kafkajs], []).kafkajs!.pipeline_to_java_peer).toBeUndefined();
  });

  it('is not verified when any pipeline repetition was not exactly once or a passthrough copied wrong', () => {
    expect(summarizeClients([{ ...kafkajs, pipeline: [pz(1), pz(1, false)] }], []).kafkajs!.verified).toBe(false);
    expect(summarizeClients([{ ...kafkajs, passthrough: [pt(1, false)] }], []).kafkajs!.verified).toBe(false);
    expect(summarizeClients([{ ...kafkajs, pipeline: [] }], []).kafkajs!.verified).toBe(false);
  });
});
