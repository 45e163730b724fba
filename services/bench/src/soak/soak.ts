import { setTimeout as sleep } from 'node:timers/promises';
import { RecordProducer, TopicAdmin, type PartitionedRecord } from '@ampseal/kafka';
import { createTraffic, OCPI_TOPIC } from '@ampseal/traffic';
import { createTopics, deleteTopics } from '../kafka-io';
import { failOnExit, memoryOf } from '../processes';
import { sumByName } from '../prometheus';
import { preparePipelineRun } from '../pipeline-run';
import { type PipelineProcess, startPipeline } from '../throughput';
import { type Judgement, type Sample, judge } from './growth';

/**
 * `npm run soak -- --minutes N --rate R` (issue 11): the pipeline as a child process on the local stack (started
 * as the benchmark starts it, with the chart's heap), fed generated traffic at a steady rate for N minutes, and
 * sampled every few seconds: RSS and heap from its own /metrics (process_resident_memory_bytes,
 * nodejs_heap_size_used_bytes), consumer lag from the broker (records produced minus the group's committed
 * offsets, what a lag exporter reports). The traffic keeps bringing new cards, so the key cache fills and then
 * evicts, as in production.
 */

export interface SoakOptions {
  readonly seconds: number;
  readonly rate: number;
  readonly sampleEveryS: number;
  readonly seed: number;
  /** AMPSEAL_KEY_CACHE_SIZE of the pipeline (see SOAK_KEY_CACHE_SIZE). */
  readonly keyCacheSize: number;
  readonly log: (line: string) => void;
  /** Polled by the producer and the sampler: true ends the run early, through the normal clean-up (SIGTERM). */
  readonly stopRequested?: () => boolean;
}

export interface SoakReport {
  readonly seconds: number;
  readonly rate: number;
  readonly produced: number;
  readonly committed: number;
  readonly achievedRate: number;
  readonly pipelinePeakRssMb: number;
  readonly samples: readonly Sample[];
  readonly judgement: Judgement;
  /** The pipeline died during the run (its last lines), or undefined. */
  readonly died: string | undefined;
}

/**
 * The soak's key cache (subjects), far below the service default of 200,000. The cache is a bounded LRU whose
 * bound its own tests prove; what a soak looks for is memory that nothing bounds. With the default, this traffic
 * keeps bringing new subjects (about 3.6 per 100 events in the benchmark's traffic), so at 2,000 events/s the
 * cache fills for most of an hour, and that filling is all a 10-minute RSS slope shows (measured: 4.2 MB/min
 * over the second half with the default, 0.19 MB/min at 10,000).
 * At 10,000 the cache is full within the warm-up, so what grows after it is not the cache.
 */
export const SOAK_KEY_CACHE_SIZE = 10_000;

const PARTITIONS = 3;
const TICK_MS = 50;
/**
 * Records per produce request. A producer that fell behind (the box was busy) catches up in several requests:
 * one request per tick would grow past the broker's message.max.bytes (1 MiB by default) and be refused.
 */
const SEND_CHUNK = 500;
const MB = 2 ** 20;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log, rate } = options;
  const { config, runId, raw, kafka, host } = preparePipelineRun('soak', new Set());
  // Many cards: new subjects keep arriving for the whole run, as they do in production.
  const traffic = createTraffic({ seed: options.seed, stations: 2_000, cards: 200_000, malformedRate: 0.005 });
  const admin = new TopicAdmin(kafka);
  const producer = new RecordProducer(kafka, { idempotent: false });
  const samples: Sample[] = [];
  let produced = 0;
  let committed = 0;
  let died: string | undefined;
  let peak = Number.NaN;
  let pipeline: PipelineProcess | undefined;
  try {
    await createTopics(kafka, [raw.ocpp, raw.ocpi], PARTITIONS);
    await admin.start();
    await producer.start();
    pipeline = await startPipeline(host, 'soak', raw, { env: { AMPSEAL_KEY_CACHE_SIZE: String(options.keyCacheSize) } });
    const running = pipeline;
    const death = failOnExit(running.child, 'pipeline', running.tail);
    death.promise.catch((err: Error) => {
      died = err.message;
    });
    const started = performance.now();
    const endAt = started + options.seconds * 1000;
    const going = () => performance.now() < endAt && died === undefined && !options.stopRequested?.();

    const sample = async (): Promise<Sample> => {
      const t = (performance.now() - started) / 1000;
      const metrics = sumByName(await (await fetch(`http://127.0.0.1:${running.port}/metrics`)).text());
      const groups = await admin.committed(running.groupId, [raw.ocpp, raw.ocpi]);
      committed = 0;
      for (const partitions of groups.values()) for (const offset of partitions.values()) committed += Number(offset);
      return {
        t,
        rssMb: (metrics.get('process_resident_memory_bytes') ?? Number.NaN) / MB,
        heapUsedMb: (metrics.get('nodejs_heap_size_used_bytes') ?? Number.NaN) / MB,
        lag: produced - committed,
        produced,
      };
    };

    // The sampler runs beside the paced producer; neither waits for the other.
    const sampler = (async () => {
      let next = started;
      while (going()) {
        const s = await sample();
        samples.push(s);
        log(`  t=${s.t.toFixed(0).padStart(5)} s  rss ${s.rssMb.toFixed(1)} MB  heap ${s.heapUsedMb.toFixed(1)} MB  lag ${s.lag}  produced ${s.produced}`);
        next += options.sampleEveryS * 1000;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();

    while (going()) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      if (due > produced) {
        while (produced < due) {
          const batch: PartitionedRecord[] = [];
          for (; produced < due && batch.length < SEND_CHUNK; produced++) {
            const r = traffic.next();
            batch.push({ topic: r.topic === OCPI_TOPIC ? raw.ocpi : raw.ocpp, key: r.key, value: Buffer.from(r.value, 'utf8') });
          }
          await producer.sendAll(batch);
        }
      }
      await sleep(TICK_MS);
    }
    await sampler;
    if (died === undefined) samples.push(await sample());
    peak = died === undefined ? memoryOf(running.child.pid!).peakRssMb : Number.NaN;
    death.cancel();
    pipeline = undefined;
    const code = await running.stop();
    if (code !== 0 && died === undefined) died = `pipeline exited with ${code} on SIGTERM:\n${running.tail()}`;
  } finally {
    // A run that failed half-way still stops its pipeline before its topics go, or the child would outlive it.
    await pipeline?.stop().catch(() => undefined);
    await producer.stop().catch(() => undefined);
    // Roaming topics are created by the pipeline as recipients appear: everything under this run's prefix goes.
    const topics = await admin.list().catch(() => [] as string[]);
    await admin.stop().catch(() => undefined);
    await deleteTopics(kafka, topics.filter((t) => t.startsWith(`${runId}-`) || t.startsWith(`${runId}.`))).catch(() => undefined);
    const subject = `${config.schemaRegistryUrl}/subjects/${encodeURIComponent(`${runId}-soak.charging.sessions.analytics.v1-value`)}`;
    await fetch(subject, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
  const last = samples[samples.length - 1];
  return {
    seconds: options.seconds,
    rate,
    produced,
    committed,
    achievedRate: last && last.t > 0 ? produced / last.t : Number.NaN,
    pipelinePeakRssMb: peak,
    samples,
    judgement: judge(samples, rate),
    died,
  };
}
