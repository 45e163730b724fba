/**
 * Reads the counters the benchmark needs out of a Prometheus text exposition (`/metrics`). Pure.
 */

/** Sum of every sample of each metric name, over all label sets (`ampseal_kms_calls_total{…} 2` → 2). */
export function sumByName(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = brace >= 0 ? line.indexOf(' ', line.lastIndexOf('}')) : line.indexOf(' ');
    if (space < 0) continue;
    const name = line.slice(0, brace >= 0 ? brace : space);
    const value = Number(line.slice(space + 1).trim().split(' ')[0]);
    if (!Number.isFinite(value)) continue;
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  return sums;
}

/** The pipeline counters of one scrape. */
export interface PipelineCounters {
  readonly kmsCalls: number;
  readonly redisRoundTrips: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly cpuSeconds: number;
}

export function pipelineCounters(text: string): PipelineCounters {
  const s = sumByName(text);
  return {
    kmsCalls: s.get('ampseal_kms_calls_total') ?? 0,
    redisRoundTrips: s.get('ampseal_redis_roundtrips_total') ?? 0,
    recordsIn: s.get('ampseal_records_in_total') ?? 0,
    recordsOut: s.get('ampseal_records_out_total') ?? 0,
    cpuSeconds: s.get('process_cpu_seconds_total') ?? 0,
  };
}

export function perThousand(count: number, events: number): number {
  return events > 0 ? (count * 1_000) / events : Number.NaN;
}
