import { setTimeout as sleep } from 'node:timers/promises';
import { RecordProducer, TopicAdmin, ensureTopics, readToEnd, type KafkaClient, type PartitionedRecord, type ReadRecord } from '@ampseal/kafka';
import type { Dataset, RawTopics } from './dataset';

/**
 * The benchmark's own Kafka work, outside every measured window: topics, the bulk loader, the committed-offset
 * probe that ends a throughput measurement, and the read_committed reader that checks the outputs. All of it
 * through the @ampseal/kafka port (no second importer of kafkajs).
 */

/** Records per produce request are capped by bytes: the broker refuses a partition batch over message.max.bytes (1 MiB). */
const LOAD_REQUEST_BYTES = 512 * 1024;

export async function createTopics(kafka: KafkaClient, topics: readonly string[], partitions: number): Promise<void> {
  await ensureTopics(kafka, topics.map((topic) => ({ topic, partitions })));
}

async function withAdmin<T>(kafka: KafkaClient, work: (admin: TopicAdmin) => Promise<T>): Promise<T> {
  const admin = new TopicAdmin(kafka);
  try {
    return await work(admin);
  } finally {
    await admin.stop();
  }
}

/** The subset of `topics` the broker has: a roaming topic exists only once the pipeline had a record for it. */
export async function existingTopics(kafka: KafkaClient, topics: readonly string[]): Promise<string[]> {
  const existing = new Set(await withAdmin(kafka, (admin) => admin.list()));
  return topics.filter((t) => existing.has(t));
}

export async function deleteTopics(kafka: KafkaClient, topics: readonly string[]): Promise<void> {
  await withAdmin(kafka, (admin) => admin.delete(topics));
}

/**
 * Writes records [0, count) of the dataset to fresh raw topics with a plain (non-transactional) producer:
 * one ordered sender per partition, all partitions at once. Offsets then equal the dataset's, which the
 * high watermarks confirm (a retried request that duplicated a batch would show here).
 */
export async function loadDataset(
  kafka: KafkaClient,
  data: Pick<Dataset, 'partitions' | 'topic' | 'partition' | 'values' | 'keys'>,
  topics: RawTopics,
  count: number,
): Promise<{ seconds: number }> {
  const started = performance.now();
  const producer = new RecordProducer(kafka, { idempotent: false });
  await producer.start();
  const P = data.partitions;
  const lanes: number[][] = Array.from({ length: 2 * P }, () => []);
  for (let i = 0; i < count; i++) lanes[data.topic[i]! * P + data.partition[i]!]!.push(i);
  try {
    await Promise.all(
      lanes.map(async (lane, l) => {
        const topic = l < P ? topics.ocpp : topics.ocpi;
        const partition = l % P;
        for (let from = 0; from < lane.length; ) {
          const messages: PartitionedRecord[] = [];
          let bytes = 0;
          while (from < lane.length && (messages.length === 0 || bytes + data.values[lane[from]!]!.length < LOAD_REQUEST_BYTES)) {
            const i = lane[from++]!;
            bytes += data.values[i]!.length + data.keys[i]!.length + 32;
            messages.push({ topic, key: data.keys[i]!, value: data.values[i]!, partition });
          }
          await producer.sendAll(messages);
        }
      }),
    );
  } finally {
    await producer.stop();
  }
  const expected = new Map<string, number>();
  for (let l = 0; l < lanes.length; l++) expected.set(`${l < P ? topics.ocpp : topics.ocpi}:${l % P}`, lanes[l]!.length);
  await withAdmin(kafka, async (admin) => {
    for (const topic of [topics.ocpp, topics.ocpi]) {
      for (const [partition, { high }] of await admin.offsets(topic)) {
        const want = expected.get(`${topic}:${partition}`) ?? 0;
        if (Number(high) !== want) throw new Error(`loading ${topic}[${partition}] gave ${high} records, expected ${want}`);
      }
    }
  });
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
  private constructor(private readonly admin: TopicAdmin) {}

  static async open(kafka: KafkaClient): Promise<CommitProbe> {
    const admin = new TopicAdmin(kafka);
    await admin.start();
    return new CommitProbe(admin);
  }

  async committed(groupId: string, topics: RawTopics): Promise<number> {
    const offsets = await this.admin.committed(groupId, [topics.ocpp, topics.ocpi]);
    let sum = 0;
    for (const partitions of offsets.values()) for (const offset of partitions.values()) sum += Number(offset);
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
    await this.admin.stop();
  }
}

/**
 * Reads topics from the beginning to the end offsets they had at the call, as a read_committed consumer
 * (aborted transactions are never seen), and fails rather than return a partial count.
 */
export async function readTopics(
  kafka: KafkaClient,
  topics: readonly string[],
  onMessage: (topic: string, partition: number, record: ReadRecord) => void,
  options: { readonly timeoutMs?: number } = {},
): Promise<number> {
  const { partitions } = await readToEnd(kafka, topics, {
    deadlineMs: options.timeoutMs ?? 300_000,
    keep: () => false,
    onRecord: (r) => onMessage(r.topic, r.partition, r),
    maxBytesPerPartition: 8 * 1024 * 1024,
  });
  return partitions.reduce((sum, p) => sum + p.records, 0);
}
