import { memoryBreakdown, perThousand, pipelineCounters, sumByName } from './prometheus';

const scrape = `# HELP ampseal_kms_calls_total KMS API calls
# TYPE ampseal_kms_calls_total counter
ampseal_kms_calls_total{operation="Decrypt",outcome="ok",service="pseudonymizer"} 2
ampseal_kms_calls_total{operation="GenerateDataKey",outcome="ok",service="pseudonymizer"} 1
ampseal_redis_roundtrips_total{outcome="ok",service="pseudonymizer"} 86
ampseal_records_in_total{service="pseudonymizer"} 100000
ampseal_records_out_total{audience="analytics",service="pseudonymizer"} 69031
ampseal_records_out_total{audience="roaming",service="pseudonymizer"} 8383
process_cpu_seconds_total{service="pseudonymizer"} 6.2 1732600000000
nodejs_heap_size_used_bytes{service="pseudonymizer"} 1.5e+7
`;

describe('reading /metrics', () => {
  it('sums every label set of a metric', () => {
    const sums = sumByName(scrape);
    expect(sums.get('ampseal_kms_calls_total')).toBe(3);
    expect(sums.get('ampseal_records_out_total')).toBe(77_414);
    expect(sums.get('nodejs_heap_size_used_bytes')).toBe(15_000_000);
  });

  it('reads a sample that carries a timestamp', () => {
    expect(sumByName(scrape).get('process_cpu_seconds_total')).toBe(6.2);
  });

  it('gives the pipeline counters, zero for a metric never exported', () => {
    expect(pipelineCounters(scrape)).toMatchObject({ kmsCalls: 3, redisRoundTrips: 86, recordsIn: 100_000, recordsOut: 77_414, cpuSeconds: 6.2 });
    expect(pipelineCounters('').kmsCalls).toBe(0);
  });

  it('scales counts to per 1,000 events', () => {
    expect(perThousand(86, 100_000)).toBeCloseTo(0.86);
    expect(perThousand(1, 0)).toBeNaN();
  });

  it('breaks the resident memory down into the V8 heap, memory outside it, and the rest', () => {
    const mib = 2 ** 20;
    const sums = sumByName(
      [`process_resident_memory_bytes ${200 * mib}`, `nodejs_heap_size_total_bytes ${120 * mib}`, `nodejs_heap_size_used_bytes ${70 * mib}`, `nodejs_external_memory_bytes ${30 * mib}`].join('\n'),
    );
    expect(memoryBreakdown(sums)).toEqual({ rss_mb: 200, heap_total_mb: 120, heap_used_mb: 70, external_mb: 30, other_mb: 50 });
    expect(memoryBreakdown(new Map()).rss_mb).toBeNaN();
  });
});
