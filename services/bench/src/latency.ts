import { fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordConsumer, RecordProducer, type KafkaClient } from '@ampseal/kafka';
import { silentLogger } from '@ampseal/foundation';
import type { BenchContext } from './context';
import { ANALYTICS, type RawTopics, type SubsetRecord, writeSubset } from './dataset';
import { captureStderr, exited, failOnExit, memoryOf } from './processes';
import { type PipelineCounters, perThousand } from './prometheus';
import { percentile } from './stats';
import { analyticsEventId, startPipeline } from './throughput';

/**
 * End-to-end latency at a fixed offered load (design §10: 5,000 events/s): a paced producer writes the
 * dataset's first records into fresh raw topics while a warm pipeline runs; a read_committed reader follows the
 * analytics topic. Per record, latency = the analytics record's CreateTime (set by the pipeline's producer)
 * minus the moment the raw record was handed to the producer; "visible" latency also counts the commit and
 * the reader's fetch (when a downstream consumer can first see it). Records sent during the warm-up seconds
 * are processed but not measured.
 *
 * The producer and the reader run in a child process of their own (latency-child.js) with a small heap: in the
 * full run this process holds gigabytes of data, and a GC pause here would delay sends and reads and be
 * counted against the pipeline (seen: p99 963 ms in-process against ~110 ms from a small process).
 */
export interface LatencyOptions {
  readonly rate: number;
  readonly warmupS: number;
  readonly measureS: number;
}

export interface LatencyMeasurement {
  readonly achieved_events_per_s: number;
  readonly measured_records: number;
  readonly latency_p50_ms: number;
  readonly latency_p90_ms: number;
  readonly latency_p99_ms: number;
  readonly latency_max_ms: number;
  readonly visible_p50_ms: number;
  readonly visible_p99_ms: number;
  /** The load generator's own event-loop delay: large values would mean the measurement itself stalled. */
  readonly load_generator_loop_delay_max_ms: number;
  readonly measured_events: number;
  readonly exactly_once: boolean;
  readonly duplicates: number;
  readonly missing: number;
  readonly unexpected: number;
}

/**
 * How the latency phase's pipeline delivers (passed to it as AMPSEAL_DELIVERY and AMPSEAL_MAX_TRANSACTION_MS;
 * unset: the configuration's defaults). `label` names the pipeline's topics and group: two runs in one bench
 * need two labels, and two sets of raw topics (the load generator writes into them).
 */
export interface LatencyPipeline {
  readonly delivery?: 'exactly-once' | 'at-least-once';
  readonly maxTransactionMs?: number;
  readonly label?: string;
}

export interface LatencyRun extends LatencyMeasurement {
  readonly offered_events_per_s: number;
  readonly delivery: 'exactly-once' | 'at-least-once';
  /** AMPSEAL_MAX_TRANSACTION_MS the pipeline ran with; null: its default. */
  readonly max_transaction_ms: number | null;
  readonly redis_roundtrips_per_1k_events: number;
  readonly kms_calls_per_1k_events: number;
  readonly peak_rss_mb: number;
  readonly transaction_retries: number;
}

export interface LatencyChildConfig {
  readonly brokers: readonly string[];
  readonly raw: RawTopics;
  readonly analyticsTopic: string;
  readonly readerGroupId: string;
  readonly subsetFile: string;
  readonly options: LatencyOptions;
}

export type LatencyChildMessage =
  | { readonly type: 'measuring' }
  | { readonly type: 'done'; readonly result: LatencyMeasurement }
  | { readonly type: 'failed'; readonly error: string };

export function latencyEventCount(options: LatencyOptions): number {
  return Math.round(options.rate * (options.warmupS + options.measureS));
}

/** Parent side: a pipeline, the subset file, the load generator child, the pipeline's counters around it. */
export async function runLatency(ctx: BenchContext, raw: RawTopics, subsetFile: string, options: LatencyOptions, delivery: LatencyPipeline = {}): Promise<LatencyRun> {
  const pipeline = await startPipeline(ctx, delivery.label ?? 'latency', raw, {
    env: {
      ...(delivery.delivery ? { AMPSEAL_DELIVERY: delivery.delivery } : {}),
      ...(delivery.maxTransactionMs !== undefined ? { AMPSEAL_MAX_TRANSACTION_MS: String(delivery.maxTransactionMs) } : {}),
    },
  });
  const config: LatencyChildConfig = {
    brokers: ctx.brokers,
    raw,
    analyticsTopic: pipeline.outputs.analytics,
    readerGroupId: `${ctx.runId}-latency-reader`,
    subsetFile,
    options,
  };
  const child = fork(path.join(__dirname, 'latency-child.js'), [JSON.stringify(config)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr = captureStderr(child);
  const death = failOnExit(child, 'latency load generator', stderr.tail);
  const pipelineDeath = failOnExit(pipeline.child, 'pipeline latency', pipeline.tail);
  try {
    let before: Promise<PipelineCounters> | undefined;
    const done = new Promise<LatencyMeasurement>((resolve, reject) => {
      child.on('message', (message: LatencyChildMessage) => {
        if (message.type === 'measuring') before = pipeline.metrics();
        else if (message.type === 'done') resolve(message.result);
        else if (message.type === 'failed') reject(new Error(`latency load generator: ${message.error}`));
      });
    });
    const measurement = await Promise.race([done, death.promise, pipelineDeath.promise]);
    const after = await pipeline.metrics();
    const b = (await before) ?? after;
    const memory = memoryOf(pipeline.child.pid!);
    return {
      offered_events_per_s: options.rate,
      delivery: delivery.delivery ?? 'exactly-once',
      max_transaction_ms: delivery.maxTransactionMs ?? null,
      ...measurement,
      redis_roundtrips_per_1k_events: perThousand(after.redisRoundTrips - b.redisRoundTrips, measurement.measured_events),
      kms_calls_per_1k_events: perThousand(after.kmsCalls - b.kmsCalls, measurement.measured_events),
      peak_rss_mb: memory.peakRssMb,
      transaction_retries: pipeline.transactionRetries(),
    };
  } finally {
    death.cancel();
    pipelineDeath.cancel();
    await exited(child, 10_000);
    const code = await pipeline.stop();
    if (code !== 0) ctx.log(`  pipeline latency exited with ${code}:\n${pipeline.tail()}`);
  }
}

/** Writes the records the latency phase sends; returns the file (in the OS temp folder), which the caller removes. */
export function prepareLatencySubset(ctx: Pick<BenchContext, 'data' | 'runId'>, options: LatencyOptions): string {
  const total = latencyEventCount(options);
  if (total > ctx.data.size) throw new Error(`latency phase needs ${total} events, the dataset has ${ctx.data.size}`);
  const file = path.join(tmpdir(), `${ctx.runId}-latency.bin`);
  writeSubset(ctx.data, total, file);
  return file;
}

const TICK_MS = 10;

/** Child side: the paced producer and the reader. `onMeasuring` fires when the measured window opens. */
export async function measureLatency(
  kafka: KafkaClient,
  records: readonly SubsetRecord[],
  config: Omit<LatencyChildConfig, 'brokers' | 'subsetFile'>,
  onMeasuring: () => void,
): Promise<LatencyMeasurement> {
  const { raw, options } = config;
  const total = records.length;
  const sendAt = new Float64Array(total).fill(Number.NaN);
  const createdAt = new Float64Array(total).fill(Number.NaN);
  const visibleAt = new Float64Array(total).fill(Number.NaN);
  const byEventId = new Map<string, number>();
  let duplicates = 0;
  let unexpected = 0;
  let received = 0;
  // An output can in principle arrive before this process has handled the produce response that names its
  // offset; such records wait here until every send has resolved.
  const early: Array<[eventId: string, created: number, visible: number]> = [];
  const record = (eventId: string, created: number, visible: number, late: boolean) => {
    const seq = byEventId.get(eventId);
    if (seq === undefined) {
      if (late) unexpected++;
      else early.push([eventId, created, visible]);
    } else if (!Number.isNaN(createdAt[seq]!)) duplicates++;
    else {
      createdAt[seq] = created;
      visibleAt[seq] = visible;
    }
  };

  const loop = monitorEventLoopDelay({ resolution: 10 });
  const reader = new RecordConsumer({
    kafka,
    name: 'latency-reader',
    groupId: config.readerGroupId,
    topics: [config.analyticsTopic],
    fromBeginning: true,
    logger: silentLogger,
    maxWaitMs: 10,
    onBatch: (batch) => {
      const now = Date.now();
      for (const m of batch) {
        received++;
        if (m.value) record(analyticsEventId(m.value), m.timestamp, now, false);
        else unexpected++;
      }
    },
  });
  const producer = new RecordProducer(kafka, { idempotent: false });
  try {
    await producer.start();
    await reader.start();
    while (!reader.hasJoined) await sleep(10);

    // Paced sends: every tick, everything due by now in one request (one batch per partition). The broker's
    // answer names each partition's base offset, which gives every record its eventId.
    loop.enable();
    const sends: Promise<void>[] = [];
    const warmupEnd = total - Math.round(options.rate * options.measureS);
    let next = 0;
    let measureStartedAt = 0;
    const start = Date.now();
    while (next < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) * options.rate) / 1000));
      if (next < warmupEnd && due >= warmupEnd) {
        measureStartedAt = Date.now();
        onMeasuring();
      }
      if (due > next) {
        const now = Date.now();
        const lanes = new Map<string, number[]>();
        for (let seq = next; seq < due; seq++) {
          const r = records[seq]!;
          const lane = `${r.topic}:${r.partition}`;
          let list = lanes.get(lane);
          if (list === undefined) lanes.set(lane, (list = []));
          list.push(seq);
          sendAt[seq] = now;
        }
        next = due;
        const messages = [0, 1].flatMap((t) =>
          [...lanes]
            .filter(([lane]) => lane.startsWith(`${t}:`))
            .flatMap(([, seqs]) => seqs.map((seq) => ({ topic: t === 0 ? raw.ocpp : raw.ocpi, key: records[seq]!.key, value: records[seq]!.value, partition: records[seq]!.partition }))),
        );
        sends.push(
          producer.sendAll(messages).then((written) => {
            for (const md of written) {
              const t = md.topic === raw.ocpp ? 0 : 1;
              const base = Number(md.baseOffset);
              (lanes.get(`${t}:${md.partition}`) ?? []).forEach((seq, k) => byEventId.set(`${md.topic}:${md.partition}:${base + k}`, seq));
            }
          }),
        );
      }
      await sleep(TICK_MS);
    }
    const measuredS = (Date.now() - measureStartedAt) / 1000;
    await Promise.all(sends);
    loop.disable();
    for (const [eventId, created, seen] of early.splice(0)) record(eventId, created, seen, true);

    let expected = 0;
    for (const r of records) if (r.outcome & ANALYTICS) expected++;
    const deadline = Date.now() + 60_000;
    while (received < expected && Date.now() < deadline) await sleep(20);
    await sleep(300); // late duplicates, if any, would show here
    for (const [eventId, created, seen] of early.splice(0)) record(eventId, created, seen, true);

    const latencies: number[] = [];
    const visible: number[] = [];
    let missing = 0;
    for (let seq = 0; seq < total; seq++) {
      if (!(records[seq]!.outcome & ANALYTICS)) continue;
      if (Number.isNaN(createdAt[seq]!)) {
        missing++;
        continue;
      }
      if (seq < warmupEnd) continue;
      latencies.push(createdAt[seq]! - sendAt[seq]!);
      visible.push(visibleAt[seq]! - sendAt[seq]!);
    }
    const sorted = Float64Array.from(latencies).sort();
    const sortedVisible = Float64Array.from(visible).sort();
    const measuredEvents = total - warmupEnd;
    return {
      achieved_events_per_s: measuredEvents / measuredS,
      measured_records: latencies.length,
      measured_events: measuredEvents,
      latency_p50_ms: percentile(sorted, 50, true),
      latency_p90_ms: percentile(sorted, 90, true),
      latency_p99_ms: percentile(sorted, 99, true),
      latency_max_ms: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      visible_p50_ms: percentile(sortedVisible, 50, true),
      visible_p99_ms: percentile(sortedVisible, 99, true),
      load_generator_loop_delay_max_ms: loop.max / 1e6,
      // At least once, duplicates are allowed: `exactly_once` is then false whenever one occurred (counted below).
      exactly_once: duplicates === 0 && missing === 0 && unexpected === 0 && received === expected,
      duplicates,
      missing,
      unexpected,
    };
  } finally {
    loop.disable();
    await reader.stop().catch(() => undefined);
    await producer.stop().catch(() => undefined);
  }
}
