import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { uniqueName } from './resources';
import type { Resources } from './resources';

export interface Seen {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  /** CreateTime (epoch ms) set by the producer. */
  readonly timestamp: number;
}

export async function createTopics(kafka: Kafka, resources: Resources, topics: Array<{ topic: string; partitions?: number }>): Promise<void> {
  const admin = resources.add('admin', kafka.admin(), (a) => a.disconnect());
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions ?? 1, replicationFactor: 1 })),
  });
  resources.add('topics', topics.map((t) => t.topic), (names) => admin.deleteTopics({ topics: names }).catch(() => undefined));
}

export async function produce(kafka: Kafka, topic: string, messages: Array<{ key: string | null; value: string | Buffer }>): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, messages: messages.slice(i, i + 500) });
  } finally {
    await producer.disconnect();
  }
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) out[k] = v.toString();
  return out;
}

/**
 * Waits until every topic exists (the pseudonymizer creates a roaming recipient's topic on first use, and a
 * consumer cannot subscribe to a topic before it exists). Polls the broker's topic list.
 */
export async function waitForTopics(kafka: Kafka, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const listed = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !listed.has(t));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`topics not created within ${timeoutMs} ms: ${missing.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `topics` with read_committed from the beginning until `done(seen)` holds or the timeout passes;
 * what a downstream consumer would see.
 */
export async function consumeUntil(
  kafka: Kafka,
  topics: string[],
  done: (seen: readonly Seen[]) => boolean,
  timeoutMs = 30_000,
): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const seen: Seen[] = [];
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          seen.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value, headers: headersOf(message), timestamp: Number(message.timestamp) });
          if (done(seen)) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch((err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      });
      if (done(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/**
 * How far a consumer group has got on one topic, read the way an operator would: the group's committed
 * offsets (what its transactions committed), against the topic's end offsets.
 */
export class GroupProgress {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly groupId: string,
    private readonly topic: string,
  ) {
    // kafkaClient() registers the admin for clean-up as it creates it.
    this.admin = kafka.admin();
  }

  private connect(): Promise<void> {
    return (this.connected ??= this.admin.connect());
  }

  /** Input records committed by the group: the sum of its committed offsets (a raw topic has no gaps). */
  async committed(): Promise<number> {
    await this.connect();
    const [t] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
    return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  /** The topic's end offset per partition. */
  async ends(): Promise<Map<number, number>> {
    await this.connect();
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }
}
