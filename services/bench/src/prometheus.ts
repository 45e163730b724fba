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
  readonly memory: MemoryBreakdown;
}

/**
 * Where a process's resident memory is, in MiB, from the Node.js default metrics of the main thread: its V8 heap as
 * reserved (`heap_total`) and as live after the last collection (`heap_used`), and the memory of Buffers and
 * ArrayBuffers outside it (`external`: fetch buffers, the key cache's typed arrays). `other` is the rest of the RSS:
 * handler threads' heaps, compiled code, the native libraries and allocator slack.
 */
export interface MemoryBreakdown {
  readonly rss_mb: number;
  readonly heap_total_mb: number;
  readonly heap_used_mb: number;
  readonly external_mb: number;
  readonly other_mb: number;
}

export function memoryBreakdown(sums: ReadonlyMap<string, number>): MemoryBreakdown {
  const mb = (name: string) => Math.round(((sums.get(name) ?? Number.NaN) / 2 ** 20) * 10) / 10;
  const rss = mb('process_resident_memory_bytes');
  const heapTotal = mb('nodejs_heap_size_total_bytes');
  const external = mb('nodejs_external_memory_bytes');
  return { rss_mb: rss, heap_total_mb: heapTotal, heap_used_mb: mb('nodejs_heap_size_used_bytes'), external_mb: external, other_mb: Math.round((rss - heapTotal - external) * 10) / 10 };
}

export function pipelineCounters(text: string): PipelineCounters {
  const s = sumByName(text);
  return {
    kmsCalls: s.get('ampseal_kms_calls_total') ?? 0,
    redisRoundTrips: s.get('ampseal_redis_roundtrips_total') ?? 0,
    recordsIn: s.get('ampseal_records_in_total') ?? 0,
    recordsOut: s.get('ampseal_records_out_total') ?? 0,
    cpuSeconds: s.get('process_cpu_seconds_total') ?? 0,
    memory: memoryBreakdown(s),
  };
}

export function perThousand(count: number, events: number): number {
  return events > 0 ? (count * 1_000) / events : Number.NaN;
}
