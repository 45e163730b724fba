import { setTimeout as sleep } from 'node:timers/promises';
import { ensureTopics, type Kafka } from '@ampseal/kafka';
import type { Dataset, RawTopics } from './dataset';

/**
 * The benchmark's own Kafka work, outside every measured window: topics, the bulk loader, the committed-offset
 * probe that ends a throughput measurement, and the read_committed reader that checks the outputs. It uses
 * the client that @ampseal/kafka creates (style rule 13: no second importer of kafkajs).
 */

type Admin = ReturnType<Kafka['admin']>;
type RunConfig = NonNullable<Parameters<ReturnType<Kafka['consumer']>['run']>[0]>;
type KafkaMessage = Parameters<NonNullable<RunConfig['eachBatch']>>[0]['batch']['messages'][number];

/** Records per produce request are capped by bytes: the broker refuses a partition batch over message.max.bytes (1 MiB). */
const LOAD_REQUEST_BYTES = 512 * 1024;

export async function createTopics(kafka: Kafka, topics: readonly string[], partitions: number): Promise<void> {
  await ensureTopics(kafka, topics.map((topic) => ({ topic, partitions })));
}

/** The subset of `topics` the broker has: a roaming topic exists only once the pipeline had a record for it. */
export async function existingTopics(kafka: Kafka, topics: readonly string[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return topics.filter((t) => existing.has(t));
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await admin.deleteTopics({ topics: gone, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Writes records [0, count) of the dataset to fresh raw topics with a plain (non-transactional) producer:
 * one ordered sender per partition, all partitions at once. Offsets then equal the dataset's, which the
 * high watermarks confirm (a retried request that duplicated a batch would show here).
 */
export async function loadDataset(kafka: Kafka, data: Dataset, topics: RawTopics, count: number): Promise<{ seconds: number }> {
  const started = performance.now();
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 5 } });
  await producer.connect();
  const P = data.partitions;
  const lanes: number[][] = Array.from({ length: 2 * P }, () => []);
  for (let i = 0; i < count; i++) lanes[data.topic[i]! * P + data.partition[i]!]!.push(i);
  try {
    await Promise.all(
      lanes.map(async (lane, l) => {
        const topic = l < P ? topics.ocpp : topics.ocpi;
        const partition = l % P;
        for (let from = 0; from < lane.length; ) {
          const messages: Array<{ key: string; value: Buffer; partition: number }> = [];
          let bytes = 0;
          while (from < lane.length && (messages.length === 0 || bytes + data.values[lane[from]!]!.length < LOAD_REQUEST_BYTES)) {
            const i = lane[from++]!;
            bytes += data.values[i]!.length + data.keys[i]!.length + 32;
            messages.push({ key: data.keys[i]!, value: data.values[i]!, partition });
          }
          await producer.send({ topic, messages, acks: -1 });
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  const expected = new Map<string, number>();
  for (let l = 0; l < lanes.length; l++) expected.set(`${l < P ? topics.ocpp : topics.ocpi}:${l % P}`, lanes[l]!.length);
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of [topics.ocpp, topics.ocpi]) {
      for (const o of await admin.fetchTopicOffsets(topic)) {
        const want = expected.get(`${topic}:${o.partition}`) ?? 0;
        if (Number(o.high) !== want) throw new Error(`loading ${topic}[${o.partition}] gave ${o.high} records, expected ${want}`);
      }
    }
  } finally {
    await admin.disconnect();
  }
  return { seconds: (performance.now() - started) / 1000 };
}

/** Records of the dataset's first `count` per raw topic-partition (prefixes keep their offsets). */
export function prefixCounts(data: Dataset, count: number): number[][] {
  const out = [new Array<number>(data.partitions).fill(0), new Array<number>(data.partitions).fill(0)];
  for (let i = 0; i < count; i++) out[data.topic[i]!]![data.partition[i]!]!++;
  return out;
}

/**
 * The committed-offset probe: resolves with the time (performance.now()) at which the group's committed
 * offsets first covered every input record. The offsets commit inside the transactions that carry the
 * outputs, so at that moment every output is visible to read_committed consumers. Polls every `everyMs`.
 */
export class CommitProbe {
  private constructor(private readonly admin: Admin) {}

  static async open(kafka: Kafka): Promise<CommitProbe> {
    const admin = kafka.admin();
    await admin.connect();
    return new CommitProbe(admin);
  }

  async committed(groupId: string, topics: RawTopics): Promise<number> {
    const offsets = await this.admin.fetchOffsets({ groupId, topics: [topics.ocpp, topics.ocpi] });
    let sum = 0;
    for (const t of offsets) for (const p of t.partitions) if (Number(p.offset) > 0) sum += Number(p.offset);
    return sum;
  }

  async waitFor(groupId: string, topics: RawTopics, total: number, options: { timeoutMs: number; everyMs?: number; alive?: () => void }): Promise<number> {
    const deadline = performance.now() + options.timeoutMs;
    for (;;) {
      const done = (await this.committed(groupId, topics)) >= total;
      const at = performance.now();
      if (done) return at;
      options.alive?.();
      if (at > deadline) throw new Error(`group ${groupId} did not commit ${total} records within ${options.timeoutMs} ms`);
      await sleep(options.everyMs ?? 50);
    }
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }
}

export interface ReadOptions {
  /** Stop once this many records were read and nothing new came for `quietMs` (the fallback end condition). */
  readonly expected?: number;
  readonly quietMs?: number;
  readonly timeoutMs?: number;
}

/**
 * Reads topics from the beginning to their end as a read_committed consumer (aborted transactions are never
 * seen). End: every non-empty partition's last data record was read (a committed transactional partition ends
 * with one commit marker, at high watermark − 1), or, failing that, quiet after the expected count.
 */
export async function readTopics(
  kafka: Kafka,
  topics: readonly string[],
  onMessage: (topic: string, partition: number, message: KafkaMessage) => void,
  options: ReadOptions = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const o of await admin.fetchTopicOffsets(topic)) if (Number(o.high) > Number(o.low)) ends.set(`${topic}:${o.partition}`, Number(o.high));
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return 0;
  const consumer = kafka.consumer({
    groupId: `bench-read-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
  });
  await consumer.connect();
  let read = 0;
  const reached = new Set<string>();
  let lastActivity = performance.now();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        lastActivity = performance.now();
        for (const m of batch.messages) onMessage(batch.topic, batch.partition, m);
        read += batch.messages.length;
        const id = `${batch.topic}:${batch.partition}`;
        const end = ends.get(id);
        const last = batch.messages.length > 0 ? Number(batch.messages[batch.messages.length - 1]!.offset) : -1;
        if (end !== undefined && last >= end - 2) reached.add(id);
      },
    });
    const started = performance.now();
    const timeout = options.timeoutMs ?? 300_000;
    const quiet = options.quietMs ?? 3_000;
    while (reached.size < ends.size) {
      const now = performance.now();
      if (now - started > timeout) throw new Error(`reading ${topics.join(', ')} timed out after ${read} records`);
      if (options.expected !== undefined && read >= options.expected && now - lastActivity > quiet) break;
      if (options.expected === undefined && now - lastActivity > quiet && now - started > quiet) break;
      await sleep(20);
    }
  } finally {
    await consumer.disconnect();
  }
  return read;
}
