import { type InstancesRun, scaling } from './instances';
import type { PipelineRun } from './throughput';

const single = (eps: number, cpu: number, exactlyOnce = true) => ({ events_per_s: eps, cpu_ms_per_1k_events: cpu, verification: { exactlyOnce } }) as unknown as PipelineRun;
const group = (eps: number, first: number, cpu: number, exactlyOnce = true) =>
  ({ events_per_s: eps, events_per_s_from_first_ready: first, cpu_ms_per_1k_events: cpu, verification: { exactlyOnce } }) as unknown as InstancesRun;

describe('scaling figures of --instances', () => {
  it('pairs each N-instance repetition with the single-instance run before it, and takes medians', () => {
    const s = scaling(2, 6, [single(10_000, 60), single(12_000, 62), single(11_000, 61)], [group(15_000, 13_000, 70), group(18_000, 16_000, 72), group(22_000, 19_000, 75)]);
    expect(s.speedup_per_repetition).toEqual([1.5, 1.5, 2]);
    expect(s).toMatchObject({
      instances: 2,
      raw_partitions: 6,
      pipeline_1_events_per_s: 11_000,
      pipeline_n_events_per_s: 18_000,
      pipeline_n_events_per_s_from_first_ready: 16_000,
      speedup: 1.5,
      cpu_ms_per_1k_events_1: 61,
      cpu_ms_per_1k_events_n: 72,
      exactly_once: true,
    });
  });

  it('is not exactly once when any N-instance repetition was not, or none ran', () => {
    expect(scaling(2, 6, [single(1, 1), single(1, 1)], [group(2, 2, 1), group(2, 2, 1, false)]).exactly_once).toBe(false);
    expect(scaling(2, 6, [], []).exactly_once).toBe(false);
  });
});
