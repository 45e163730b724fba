import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from './context';
import { ANALYTICS, type RawTopics } from './dataset';
import { percentile } from './stats';
import { analyticsEventId, startPipeline } from './throughput';
import { perThousand } from './prometheus';
import { memoryOf } from './processes';

/**
 * End-to-end latency at a fixed offered load (design §10: 5,000 events/s): a paced producer writes the
 * dataset's records into fresh raw topics while a warm pipeline runs; a read_committed reader follows the
 * analytics topic. Per record, latency = the analytics record's CreateTime (set by the pipeline's producer)
 * minus the moment the bench handed the raw record to its producer; "visible" latency also counts the commit
 * and the reader's fetch (when a downstream consumer can first see it). Records sent during the warm-up
 * seconds are processed but not measured.
 */
export interface LatencyOptions {
  readonly rate: number;
  readonly warmupS: number;
  readonly measureS: number;
}

export interface LatencyRun {
  readonly offered_events_per_s: number;
  readonly achieved_events_per_s: number;
  readonly measured_records: number;
  readonly latency_p50_ms: number;
  readonly latency_p90_ms: number;
  readonly latency_p99_ms: number;
  readonly latency_max_ms: number;
  readonly visible_p50_ms: number;
  readonly visible_p99_ms: number;
  readonly redis_roundtrips_per_1k_events: number;
  readonly kms_calls_per_1k_events: number;
  readonly peak_rss_mb: number;
  readonly transaction_retries: number;
  readonly exactly_once: boolean;
  readonly duplicates: number;
  readonly missing: number;
}

const TICK_MS = 10;

export async function runLatency(ctx: BenchContext, raw: RawTopics, options: LatencyOptions): Promise<LatencyRun> {
  const { data } = ctx;
  const total = Math.round(options.rate * (options.warmupS + options.measureS));
  if (total > data.size) throw new Error(`latency phase needs ${total} events, the dataset has ${data.size}`);
  const pipeline = await startPipeline(ctx, 'latency', raw);
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

  const reader = ctx.kafka.consumer({ groupId: `${ctx.runId}-latency-reader`, readUncommitted: false, maxWaitTimeInMs: 10 });
  const producer = ctx.kafka.producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
    await reader.connect();
    await reader.subscribe({ topic: pipeline.outputs.analytics, fromBeginning: true });
    let joined = false;
    reader.on(reader.events.GROUP_JOIN, () => {
      joined = true;
    });
    await reader.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          received++;
          if (m.value) record(analyticsEventId(m.value), Number(m.timestamp), now, false);
          else unexpected++;
        }
      },
    });
    while (!joined) await sleep(10);

    // Paced sends: every tick, everything due by now in one request (one batch per partition). The broker's
    // answer names each partition's base offset, which gives every record its eventId.
    const sends: Promise<void>[] = [];
    const warmupEnd = total - Math.round(options.rate * options.measureS);
    let next = 0;
    let measureStartedAt = 0;
    let before: Awaited<ReturnType<typeof pipeline.metrics>> | undefined;
    const start = Date.now();
    while (next < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) * options.rate) / 1000));
      if (next < warmupEnd && due >= warmupEnd) {
        measureStartedAt = Date.now();
        before = await pipeline.metrics();
      }
      if (due > next) {
        const now = Date.now();
        const groups = new Map<string, number[]>();
        for (let seq = next; seq < due; seq++) {
          const lane = `${data.topic[seq]}:${data.partition[seq]}`;
          let g = groups.get(lane);
          if (g === undefined) groups.set(lane, (g = []));
          g.push(seq);
          sendAt[seq] = now;
        }
        next = due;
        const topicMessages = [0, 1].map((t) => ({
          topic: t === 0 ? raw.ocpp : raw.ocpi,
          messages: [...groups].filter(([lane]) => lane.startsWith(`${t}:`)).flatMap(([, seqs]) => seqs.map((seq) => ({ key: data.keys[seq]!, value: data.values[seq]!, partition: data.partition[seq]! }))),
        })).filter((tm) => tm.messages.length > 0);
        sends.push(
          producer.sendBatch({ topicMessages, acks: -1 }).then((metadata) => {
            for (const md of metadata) {
              const t = md.topicName === raw.ocpp ? 0 : 1;
              const seqs = groups.get(`${t}:${md.partition}`) ?? [];
              const base = Number(md.baseOffset);
              seqs.forEach((seq, k) => byEventId.set(`${md.topicName}:${md.partition}:${base + k}`, seq));
            }
          }),
        );
      }
      await sleep(TICK_MS);
    }
    const measuredS = (Date.now() - measureStartedAt) / 1000;
    await Promise.all(sends);
    for (const [eventId, created, seen] of early.splice(0)) record(eventId, created, seen, true);

    let expected = 0;
    for (let seq = 0; seq < total; seq++) if (data.outcome[seq]! & ANALYTICS) expected++;
    const deadline = Date.now() + 60_000;
    while (received < expected && Date.now() < deadline) await sleep(20);
    await sleep(300); // late duplicates, if any, would show here
    for (const [eventId, created, seen] of early.splice(0)) record(eventId, created, seen, true);
    const after = await pipeline.metrics();
    const memory = memoryOf(pipeline.child.pid!);

    const latencies: number[] = [];
    const visible: number[] = [];
    let missing = 0;
    for (let seq = 0; seq < total; seq++) {
      if (!(data.outcome[seq]! & ANALYTICS)) continue;
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
    const b = before ?? after;
    return {
      offered_events_per_s: options.rate,
      achieved_events_per_s: measuredEvents / measuredS,
      measured_records: latencies.length,
      latency_p50_ms: percentile(sorted, 50, true),
      latency_p90_ms: percentile(sorted, 90, true),
      latency_p99_ms: percentile(sorted, 99, true),
      latency_max_ms: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      visible_p50_ms: percentile(sortedVisible, 50, true),
      visible_p99_ms: percentile(sortedVisible, 99, true),
      redis_roundtrips_per_1k_events: perThousand(after.redisRoundTrips - b.redisRoundTrips, measuredEvents),
      kms_calls_per_1k_events: perThousand(after.kmsCalls - b.kmsCalls, measuredEvents),
      peak_rss_mb: memory.peakRssMb,
      transaction_retries: pipeline.transactionRetries(),
      exactly_once: duplicates === 0 && missing === 0 && unexpected === 0 && received === expected,
      duplicates,
      missing,
    };
  } finally {
    await reader.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    const code = await pipeline.stop();
    if (code !== 0) ctx.log(`  pipeline latency exited with ${code}:\n${pipeline.tail()}`);
  }
}
